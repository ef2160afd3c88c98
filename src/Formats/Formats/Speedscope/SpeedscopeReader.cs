using System.Globalization;
using System.Text.Json;
using FlameKit.Formats.Internal;

namespace FlameKit.Formats.Speedscope;

/// <summary>
/// Reads speedscope's JSON file format (<c>https://www.speedscope.app/file-format-schema.json</c>):
/// shared frames, and profiles of type <c>sampled</c> (stacks of frame indices with weights) or
/// <c>evented</c> (open/close events at times), in any of the six units.
/// </summary>
/// <remarks>
/// <para>A file may hold several profiles; <see cref="ReadOptions.ProfileSelector"/> picks one by name or
/// index (default: <c>activeProfileIndex</c>), or <c>all</c> of them as threads of one model profile.
/// <see cref="ListProfiles"/> lists them.</para>
/// <para>Units: the time units become nanoseconds (weights rounded to whole nanoseconds), <c>bytes</c>
/// stays bytes and <c>none</c> becomes a count; fractional bytes/none weights are kept exactly with
/// <see cref="SampleType.DecimalPlaces"/>.</para>
/// <para>Sampled profiles keep their sample order; with a time unit each sample gets a timestamp (start
/// value plus the weights before it). Evented profiles become time-ordered samples: every interval between
/// two event times is one sample of the frames open during it, weighted by its length (time with nothing
/// open, including from <c>startValue</c> to the first event and from the last event to <c>endValue</c>,
/// is a sample with the empty stack), so a profile's total is <c>endValue - startValue</c>, as speedscope
/// computes it. The selected profile's name becomes the thread name and <see cref="Profile.Name"/>.</para>
/// </remarks>
public sealed class SpeedscopeReader : IMultiProfileReader
{
    /// <summary>The URL speedscope files give as <c>$schema</c>.</summary>
    public const string SchemaUrl = "https://www.speedscope.app/file-format-schema.json";

    /// <summary>The speedscope format description.</summary>
    public static ProfileFormat SpeedscopeFormat { get; } = new("speedscope", "speedscope JSON (sampled or evented profiles)", [".speedscope.json", ".json"]);

    /// <inheritdoc/>
    public ProfileFormat Format => SpeedscopeFormat;

    /// <inheritdoc/>
    public Detection Detect(ReadOnlySpan<byte> head, bool isComplete)
    {
        var h = JsonSniff.SkipBomAndSpace(head);
        if (h.IsEmpty || h[0] != (byte)'{') return Detection.No;
        if (h.IndexOf("speedscope.app/file-format-schema.json"u8) >= 0) return Detection.Yes;
        if (h.IndexOf("\"shared\""u8) >= 0 && h.IndexOf("\"profiles\""u8) >= 0 && h.IndexOf("\"frames\""u8) >= 0) return Detection.Maybe;
        return Detection.No;
    }

    /// <inheritdoc/>
    public IReadOnlyList<ProfileEntry> ListProfiles(Stream input)
    {
        var file = Scan(input);
        return file.Profiles.Select(p => new ProfileEntry(p.Index, p.Name, p.Type, p.Unit, p.Index == file.Active)).ToList();
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Two passes over the input, never holding it whole: the first reads the top level, the frames and
    /// each profile's metadata (name, type, unit, start and end, decimals, where it starts); the second
    /// reads the selected profiles' samples or events from where they start. An input that cannot seek
    /// (gzip, a pipe) is first copied to a temporary file. A <see cref="JsonDocument"/> of the whole file
    /// took about five times the file's size (1.3 GB for 250 MB).
    /// </remarks>
    public Profile Read(Stream input, ReadOptions options)
    {
        using var spool = input.CanSeek ? null : Spool(input);
        var source = spool ?? input;
        var file = Scan(source);
        var profiles = file.Profiles;
        if (profiles.Count == 0) throw Error("the file holds no profiles (\"profiles\" is empty)");
        int[] selected = Select(profiles, file.Active, options.ProfileSelector);

        // The unit kind decides the sample type; all selected profiles must agree on it.
        string kind = UnitKind(profiles[selected[0]].Unit);
        foreach (int s in selected)
            if (UnitKind(profiles[s].Unit) != kind)
                throw Error($"profiles {selected[0]} and {s} have incompatible units ({profiles[selected[0]].Unit}, {profiles[s].Unit}); select one with --profile");
        bool isTime = kind == "time";
        int decimals = 0;
        if (!isTime)
            foreach (int s in selected) decimals = Math.Max(decimals, profiles[s].Decimals);
        double scale = isTime ? 1 : Math.Pow(10, decimals);

        // With times, each sample lasts until the next one starts: values are derived from the timestamps.
        var builder = new ProfileBuilder([SpeedscopeUnits.ToModel(kind == "time" ? "nanoseconds" : kind, decimals)]) { DeriveValuesFromTimestamps = isTime };
        if (file.Frames is null) throw Error("missing \"shared\": {\"frames\": [...]}");
        var frames = new LocationId[file.Frames.Count];
        for (int i = 0; i < frames.Length; i++)
        {
            var (name, path, line, col) = file.Frames[i];
            var fn = builder.AddFunction(name, "", path);
            frames[i] = builder.AddLocation(0, MappingId.None, [new Line(fn, line, col)]);
        }
        builder.Name = selected.Length == 1 ? profiles[selected[0]].Name : file.Name;
        long samples = 0;
        foreach (int s in selected) samples += profiles[s].Count + 2;
        builder.EnsureSampleCapacity((int)Math.Min(samples, int.MaxValue), timestamps: isTime);

        foreach (int s in selected)
        {
            var p = profiles[s];
            double perUnit = isTime ? SpeedscopeUnits.NanosPerUnit(p.Unit) : scale;
            int perUnitDigits = isTime ? (int)Math.Round(Math.Log10(perUnit)) : decimals; // perUnit = 10^perUnitDigits
            var thread = builder.AddThread(new ThreadInfo(s, p.Name));
            if (p.Type is not ("sampled" or "evented")) throw Error($"profile {s}: unknown type \"{p.Type}\" (expected sampled or evented)");
            source.Position = p.Offset;
            using var ts = new JsonTokenStream(source, "speedscope", JsonOptions, p.NewlinesBefore);
            Next(ts); // the profile's {
            if (p.Type == "sampled") ReadSampled(ts, p, builder, frames, thread, perUnit, perUnitDigits, isTime);
            else ReadEvented(ts, p, builder, frames, thread, perUnitDigits, isTime, options);
        }
        return builder.Build();
    }

    private static readonly JsonReaderOptions JsonOptions = new() { AllowTrailingCommas = true, MaxDepth = 256 };

    /// <summary>What the first pass learns about a profile.</summary>
    private sealed class ProfileInfo(int index, long offset, long newlinesBefore)
    {
        public int Index { get; } = index;
        /// <summary>Where its object starts in the input.</summary>
        public long Offset { get; } = offset;
        /// <summary>Newlines before <see cref="Offset"/>, for the line numbers of errors in the second pass.</summary>
        public long NewlinesBefore { get; } = newlinesBefore;
        public string Name = "", Type = "", Unit = "";
        /// <summary>The text of <c>startValue</c>/<c>endValue</c> (read exactly later), or null when missing or not a number.</summary>
        public byte[]? StartValue, EndValue;
        /// <summary>Decimal places needed by its weights or event times (for non-time units).</summary>
        public int Decimals;
        /// <summary>Number of samples or events.</summary>
        public long Count;
    }

    private sealed class FileInfo
    {
        public int Active;
        public string Name = "";
        public List<(string Name, string File, long Line, long Column)>? Frames;
        public List<ProfileInfo> Profiles = [];
    }

    /// <summary>The first pass: top level, frames, and each profile's metadata (its samples and events are only counted).</summary>
    private static FileInfo Scan(Stream input)
    {
        var file = new FileInfo();
        using var ts = new JsonTokenStream(input, "speedscope", JsonOptions);
        if (!ts.Read() || ts.TokenType != JsonTokenType.StartObject) throw Error("expected a JSON object at the top level");
        bool hasProfiles = false;
        while (Next(ts) && ts.TokenType == JsonTokenType.PropertyName)
        {
            string key = ts.GetString();
            Next(ts);
            switch (key)
            {
                case "activeProfileIndex":
                    if (ts.TokenType == JsonTokenType.Number && ts.Current().TryGetInt32(out int a) && a >= 0) file.Active = a;
                    break;
                case "name":
                    if (ts.TokenType == JsonTokenType.String) file.Name = ts.GetString();
                    break;
                case "shared" when ts.TokenType == JsonTokenType.StartObject:
                    while (Next(ts) && ts.TokenType == JsonTokenType.PropertyName)
                    {
                        string sk = ts.GetString();
                        Next(ts);
                        if (sk == "frames" && ts.TokenType == JsonTokenType.StartArray) file.Frames = ScanFrames(ts);
                        else SkipValue(ts);
                    }
                    break;
                case "profiles" when ts.TokenType == JsonTokenType.StartArray:
                    hasProfiles = true;
                    while (Next(ts) && ts.TokenType != JsonTokenType.EndArray)
                    {
                        var p = new ProfileInfo(file.Profiles.Count, ts.TokenOffset, ts.NewlinesBeforeToken);
                        file.Profiles.Add(p);
                        if (ts.TokenType == JsonTokenType.StartObject) ScanProfile(ts, p); else SkipValue(ts);
                    }
                    break;
                default:
                    SkipValue(ts);
                    break;
            }
        }
        if (!hasProfiles) throw Error("missing \"profiles\" array");
        return file;
    }

    private static List<(string, string, long, long)> ScanFrames(JsonTokenStream ts)
    {
        var frames = new List<(string, string, long, long)>();
        int i = 0;
        while (Next(ts) && ts.TokenType != JsonTokenType.EndArray)
        {
            if (ts.TokenType != JsonTokenType.StartObject) throw Error($"shared.frames[{i}] needs a string \"name\"");
            var r = new Utf8JsonReader(ts.ReadWhole(), JsonOptions);
            r.Read();
            string? name = null, file = "";
            long line = 0, col = 0;
            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                string k = r.GetString()!;
                r.Read();
                if (k == "name" && r.TokenType == JsonTokenType.String) name = r.GetString();
                else if (k == "file" && r.TokenType == JsonTokenType.String) file = r.GetString()!;
                else if (k == "line" && r.TokenType == JsonTokenType.Number) line = (long)r.GetDouble();
                else if (k == "col" && r.TokenType == JsonTokenType.Number) col = (long)r.GetDouble();
                else r.Skip();
            }
            if (name is null) throw Error($"shared.frames[{i}] needs a string \"name\"");
            frames.Add((name, file, line, col));
            i++;
        }
        return frames;
    }

    private static void ScanProfile(JsonTokenStream ts, ProfileInfo p)
    {
        // Decimals matter only for bytes/none units; skip the work once the unit is known to be a time.
        bool NeedDecimals() => p.Unit.Length == 0 || !SpeedscopeUnits.IsKnown(p.Unit) || SpeedscopeUnits.NanosPerUnit(p.Unit) <= 0;
        while (Next(ts) && ts.TokenType == JsonTokenType.PropertyName)
        {
            string key = ts.GetString();
            Next(ts);
            switch (key)
            {
                case "name": p.Name = ts.TokenType == JsonTokenType.String ? ts.GetString() : ""; break;
                case "type": p.Type = ts.TokenType == JsonTokenType.String ? ts.GetString() : ""; break;
                case "unit": p.Unit = ts.TokenType == JsonTokenType.String ? ts.GetString() : ""; break;
                case "startValue": p.StartValue = ts.TokenType == JsonTokenType.Number ? ts.Current().ValueSpan.ToArray() : null; break;
                case "endValue": p.EndValue = ts.TokenType == JsonTokenType.Number ? ts.Current().ValueSpan.ToArray() : null; break;
                case "samples" when ts.TokenType == JsonTokenType.StartArray:
                    long n = 0;
                    while (Next(ts) && ts.TokenType != JsonTokenType.EndArray) { n++; SkipSmall(ts); }
                    p.Count = Math.Max(p.Count, n);
                    break;
                case "weights" when ts.TokenType == JsonTokenType.StartArray:
                    while (Next(ts) && ts.TokenType != JsonTokenType.EndArray)
                    {
                        if (ts.TokenType == JsonTokenType.Number) { if (NeedDecimals()) p.Decimals = Math.Max(p.Decimals, SpeedscopeUnits.DecimalsOf(ts.Current().GetDouble())); }
                        else SkipValue(ts);
                    }
                    break;
                case "events" when ts.TokenType == JsonTokenType.StartArray:
                    while (Next(ts) && ts.TokenType != JsonTokenType.EndArray)
                    {
                        p.Count++;
                        if (ts.TokenType != JsonTokenType.StartObject) { SkipSmall(ts); continue; }
                        var ev = ts.ReadWhole();
                        if (!NeedDecimals()) continue;
                        var r = new Utf8JsonReader(ev, JsonOptions);
                        r.Read();
                        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
                        {
                            bool at = r.ValueTextEquals("at"u8);
                            r.Read();
                            if (at && r.TokenType == JsonTokenType.Number) p.Decimals = Math.Max(p.Decimals, SpeedscopeUnits.DecimalsOf(r.GetDouble()));
                            else r.Skip();
                        }
                    }
                    break;
                default:
                    SkipValue(ts);
                    break;
            }
        }
    }

    /// <summary>The next token; the input ending before the document does is an error.</summary>
    private static bool Next(JsonTokenStream ts) => ts.Read() ? true : throw Error("unexpected end of input");

    /// <summary>
    /// Moves past the value that starts at the current token, token by token: it may be large (an array
    /// of a kind not read), so it is never buffered whole. Small values known to be small (a stack, an
    /// event) are skipped faster with <see cref="JsonTokenStream.ReadWhole"/>.
    /// </summary>
    private static void SkipValue(JsonTokenStream ts)
    {
        if (ts.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray)) return;
        int depth = ts.Depth;
        while (Next(ts))
            if (ts.Depth == depth && ts.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray) return;
    }

    /// <summary>Moves past a value that is small (a stack, an event): taken whole, faster than token by token.</summary>
    private static void SkipSmall(JsonTokenStream ts)
    {
        if (ts.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) ts.ReadWhole();
    }

    /// <summary>Copies an input that cannot seek to a temporary file (deleted when closed), for the second pass.</summary>
    private static FileStream Spool(Stream input)
    {
        string path = Path.GetTempFileName();
        var fs = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        try
        {
            input.CopyTo(fs);
            fs.Position = 0;
            return fs;
        }
        catch
        {
            fs.Dispose();
            throw;
        }
    }

    private static void ReadSampled(JsonTokenStream ts, ProfileInfo p, ProfileBuilder b, LocationId[] frames, ThreadIndex thread, double perUnit, int perUnitDigits, bool timestamps)
    {
        int index = p.Index;
        // Samples and weights are separate arrays, in either order: the stacks are interned as they come,
        // and both kept (4 + 8 bytes a sample) until the profile's object ends.
        var stacks = new GrowArray<int>(0);
        var weights = new GrowArray<double>(0);
        bool hasSamples = false, hasWeights = false;
        while (Next(ts) && ts.TokenType == JsonTokenType.PropertyName)
        {
            string key = ts.GetString();
            Next(ts);
            if (key == "samples" && ts.TokenType == JsonTokenType.StartArray)
            {
                hasSamples = true;
                stacks.EnsureCapacity((int)Math.Min(p.Count, int.MaxValue));
                int i = 0;
                while (Next(ts) && ts.TokenType != JsonTokenType.EndArray)
                {
                    if (ts.TokenType != JsonTokenType.StartArray) throw Error($"profile {index}: samples[{i}] is not an array of frame indices");
                    var r = new Utf8JsonReader(ts.ReadWhole(), JsonOptions);
                    r.Read();
                    var sid = StackId.Empty;
                    while (r.Read() && r.TokenType != JsonTokenType.EndArray) sid = b.Push(sid, Frame(frames, ref r, index));
                    stacks.Add(sid.Index);
                    i++;
                }
            }
            else if (key == "weights" && ts.TokenType == JsonTokenType.StartArray)
            {
                hasWeights = true;
                weights.EnsureCapacity((int)Math.Min(p.Count, int.MaxValue));
                int i = 0;
                while (Next(ts) && ts.TokenType != JsonTokenType.EndArray)
                {
                    if (ts.TokenType != JsonTokenType.Number) throw Error($"profile {index}: weights[{i}] is not a number");
                    weights.Add(ts.Current().GetDouble());
                    i++;
                }
            }
            else if (key is "samples" or "weights") throw Error($"profile {index}: missing or invalid \"{key}\"");
            else SkipValue(ts);
        }
        if (!hasSamples) throw Error($"profile {index}: missing or invalid \"samples\"");
        if (!hasWeights) throw Error($"profile {index}: missing or invalid \"weights\"");
        if (stacks.Count != weights.Count)
            throw Error($"profile {index}: {stacks.Count} samples but {weights.Count} weights");
        // The start exactly (it may be an absolute time, too large for a double in nanoseconds), the
        // weights as a double sum from it (small, and rounding the sum keeps their errors from adding up).
        long startNs = p.StartValue is { } sv ? Scaled(sv, perUnitDigits, index, "startValue", 0) : 0;
        double at = 0;
        long prevNs = startNs;
        var value = new long[1];
        var stackIds = stacks.AsSpan();
        var ws = weights.AsSpan();
        for (int i = 0; i < stackIds.Length; i++)
        {
            double weight = ws[i];
            if (weight < 0) throw Error($"profile {index}: weights[{i}] is negative ({weight.ToString(CultureInfo.InvariantCulture)})");
            var sid = new StackId(stackIds[i]);
            if (timestamps)
            {
                // Round the running time, not each weight, so rounding errors do not add up.
                at += weight;
                long endNs = startNs + (long)Math.Round(at * perUnit);
                value[0] = endNs - prevNs;
                b.AddSample(sid, value, prevNs, thread);
                prevNs = endNs;
            }
            else
            {
                value[0] = (long)Math.Round(weight * perUnit);
                b.AddSample(sid, value, thread: thread);
            }
        }
    }

    private static void ReadEvented(JsonTokenStream ts, ProfileInfo p, ProfileBuilder b, LocationId[] frames, ThreadIndex thread, int perUnitDigits, bool timestamps, ReadOptions options)
    {
        // Times are read exactly from the numbers' text: absolute times (epoch microseconds) in nanoseconds
        // are past a double's precision, and open/close events 1 ns apart must keep their order.
        int index = p.Index;
        long start = Scaled(p.StartValue ?? throw Error($"profile {index}: missing or invalid \"startValue\""), perUnitDigits, index, "startValue", 0);
        long end = Scaled(p.EndValue ?? throw Error($"profile {index}: missing or invalid \"endValue\""), perUnitDigits, index, "endValue", 0);
        var timeline = new TimelineStacks(b, thread, timestamps);
        timeline.Advance(start);
        bool hasEvents = false;
        while (Next(ts) && ts.TokenType == JsonTokenType.PropertyName)
        {
            string key = ts.GetString();
            Next(ts);
            if (key != "events") { SkipValue(ts); continue; }
            if (ts.TokenType != JsonTokenType.StartArray) throw Error($"profile {index}: missing or invalid \"events\"");
            hasEvents = true;
            int i = 0;
            while (Next(ts) && ts.TokenType != JsonTokenType.EndArray)
            {
                string type = "";
                long at = 0;
                bool hasAt = false;
                LocationId? loc = null;
                if (ts.TokenType == JsonTokenType.StartObject)
                {
                    var r = new Utf8JsonReader(ts.ReadWhole(), JsonOptions);
                    r.Read();
                    while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
                    {
                        string k = r.GetString()!;
                        r.Read();
                        if (k == "type") type = r.TokenType == JsonTokenType.String ? r.GetString()! : "";
                        else if (k == "at")
                        {
                            if (r.TokenType != JsonTokenType.Number) throw Error($"profile {index}: events.at[{i}] is not a number");
                            if (!DecimalText.TryGetScaled(ref r, perUnitDigits, out at)) throw Error($"profile {index}: events.at[{i}] is out of range ({System.Text.Encoding.UTF8.GetString(r.ValueSpan)})");
                            hasAt = true;
                        }
                        else if (k == "frame") loc = Frame(frames, ref r, index);
                        else r.Skip();
                    }
                }
                else SkipSmall(ts);
                if (!hasAt) throw Error($"profile {index}: events.at[{i}] is not a number");
                var l = loc ?? throw Error($"profile {index}: frame index (missing) is not an index into shared.frames (0..{frames.Length - 1})");
                if (type == "O") timeline.Open(l, at);
                else if (type == "C") timeline.Close(l, at);
                else throw Error($"profile {index}: events[{i}] has type \"{type}\" (expected O or C)");
                i++;
            }
        }
        if (!hasEvents) throw Error($"profile {index}: missing or invalid \"events\"");
        timeline.Finish(end);
        if (timeline.Mismatches > 0)
            options.Diagnostics?.Invoke(new Diagnostic($"speedscope: profile {index}: {timeline.Mismatches} close events did not match the innermost open frame"));
    }

    private static int[] Select(List<ProfileInfo> profiles, int active, string? selector)
    {
        if (string.IsNullOrEmpty(selector)) return [active < profiles.Count ? active : 0];
        if (selector is "all" or "*") return Enumerable.Range(0, profiles.Count).ToArray();
        for (int i = 0; i < profiles.Count; i++)
            if (profiles[i].Name == selector) return [i];
        if (int.TryParse(selector, NumberStyles.None, CultureInfo.InvariantCulture, out int idx) && idx < profiles.Count) return [idx];
        var names = profiles.Select((p, i) => $"{i}: {p.Name}");
        throw new ArgumentException($"no profile \"{selector}\" in the file; it holds {string.Join(", ", names)} (or use all)");
    }

    private static string UnitKind(string unit)
    {
        if (!SpeedscopeUnits.IsKnown(unit)) throw Error($"unknown unit \"{unit}\" (expected none, nanoseconds, microseconds, milliseconds, seconds or bytes)");
        return SpeedscopeUnits.NanosPerUnit(unit) > 0 ? "time" : unit;
    }

    /// <summary>The frame a stack entry or an event's <c>frame</c> names (the reader is on it).</summary>
    private static LocationId Frame(LocationId[] frames, ref Utf8JsonReader r, int profile)
    {
        if (r.TokenType == JsonTokenType.Number && r.TryGetInt32(out int i) && i >= 0 && i < frames.Length) return frames[i];
        string text = r.TokenType switch
        {
            JsonTokenType.String => r.GetString()!,
            JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null => System.Text.Encoding.UTF8.GetString(r.ValueSpan),
            _ => "",
        };
        throw Error($"profile {profile}: frame index {text} is not an index into shared.frames (0..{frames.Length - 1})");
    }

    /// <summary>A number's text times 10^<paramref name="digits"/> (the unit's nanoseconds, or the decimals kept), exactly (see <see cref="DecimalText"/>).</summary>
    private static long Scaled(byte[] number, int digits, int profile, string what, int i)
    {
        if (!DecimalText.TryParseScaled(number, digits, out long v)) throw Error($"profile {profile}: {what}[{i}] is out of range ({System.Text.Encoding.UTF8.GetString(number)})");
        return v;
    }

    private static ProfileFormatException Error(string message) => new("speedscope", message);
}
