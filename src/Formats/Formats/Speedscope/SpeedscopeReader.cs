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
        using var doc = Parse(input);
        var root = doc.RootElement;
        int active = ActiveIndex(root);
        var list = new List<ProfileEntry>();
        int i = 0;
        foreach (var p in Profiles(root).EnumerateArray())
        {
            list.Add(new ProfileEntry(i, Str(p, "name"), Str(p, "type"), Str(p, "unit"), i == active));
            i++;
        }
        return list;
    }

    /// <inheritdoc/>
    public Profile Read(Stream input, ReadOptions options)
    {
        using var doc = Parse(input);
        var root = doc.RootElement;
        var profiles = Profiles(root).EnumerateArray().ToArray();
        if (profiles.Length == 0) throw Error("the file holds no profiles (\"profiles\" is empty)");
        int[] selected = Select(profiles, ActiveIndex(root), options.ProfileSelector);

        // The unit kind decides the sample type; all selected profiles must agree on it.
        string kind = UnitKind(Str(profiles[selected[0]], "unit"));
        foreach (int s in selected)
            if (UnitKind(Str(profiles[s], "unit")) != kind)
                throw Error($"profiles {selected[0]} and {s} have incompatible units ({Str(profiles[selected[0]], "unit")}, {Str(profiles[s], "unit")}); select one with --profile");
        bool isTime = kind == "time";
        int decimals = 0;
        if (!isTime)
            foreach (int s in selected) decimals = Math.Max(decimals, MaxDecimals(profiles[s]));
        double scale = isTime ? 1 : Math.Pow(10, decimals);

        var builder = new ProfileBuilder([SpeedscopeUnits.ToModel(kind == "time" ? "nanoseconds" : kind, decimals)]);
        var frames = ReadFrames(root, builder);
        string groupName = root.TryGetProperty("name", out var gn) && gn.ValueKind == JsonValueKind.String ? gn.GetString()! : "";
        builder.Name = selected.Length == 1 ? Str(profiles[selected[0]], "name") : groupName;

        foreach (int s in selected)
        {
            var p = profiles[s];
            string unit = Str(p, "unit");
            double perUnit = isTime ? SpeedscopeUnits.NanosPerUnit(unit) : scale;
            int perUnitDigits = isTime ? (int)Math.Round(Math.Log10(perUnit)) : decimals; // perUnit = 10^perUnitDigits
            var thread = builder.AddThread(new ThreadInfo(s, Str(p, "name")));
            string type = Str(p, "type");
            if (type == "sampled") ReadSampled(p, s, builder, frames, thread, perUnit, perUnitDigits, isTime);
            else if (type == "evented") ReadEvented(p, s, builder, frames, thread, perUnitDigits, isTime, options);
            else throw Error($"profile {s}: unknown type \"{type}\" (expected sampled or evented)");
        }
        return builder.Build();
    }

    private static void ReadSampled(JsonElement p, int index, ProfileBuilder b, LocationId[] frames, ThreadIndex thread, double perUnit, int perUnitDigits, bool timestamps)
    {
        var samples = Need(p, "samples", JsonValueKind.Array, index);
        var weights = Need(p, "weights", JsonValueKind.Array, index);
        if (samples.GetArrayLength() != weights.GetArrayLength())
            throw Error($"profile {index}: {samples.GetArrayLength()} samples but {weights.GetArrayLength()} weights");
        // The start exactly (it may be an absolute time, too large for a double in nanoseconds), the
        // weights as a double sum from it (small, and rounding the sum keeps their errors from adding up).
        long startNs = p.TryGetProperty("startValue", out var sv) && sv.ValueKind == JsonValueKind.Number ? Scaled(sv, perUnitDigits, index, "startValue", 0) : 0;
        double at = 0;
        long prevNs = startNs;
        var value = new long[1];
        var w = weights.EnumerateArray();
        int i = 0;
        foreach (var stack in samples.EnumerateArray())
        {
            w.MoveNext();
            double weight = Num(w.Current, index, "weights", i);
            if (weight < 0) throw Error($"profile {index}: weights[{i}] is negative ({weight.ToString(CultureInfo.InvariantCulture)})");
            var sid = StackId.Empty;
            if (stack.ValueKind != JsonValueKind.Array) throw Error($"profile {index}: samples[{i}] is not an array of frame indices");
            foreach (var f in stack.EnumerateArray()) sid = b.Push(sid, Frame(frames, f, index));
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
            i++;
        }
    }

    private static void ReadEvented(JsonElement p, int index, ProfileBuilder b, LocationId[] frames, ThreadIndex thread, int perUnitDigits, bool timestamps, ReadOptions options)
    {
        // Times are read exactly from the numbers' text: absolute times (epoch microseconds) in nanoseconds
        // are past a double's precision, and open/close events 1 ns apart must keep their order.
        var events = Need(p, "events", JsonValueKind.Array, index);
        long start = Scaled(Need(p, "startValue", JsonValueKind.Number, index), perUnitDigits, index, "startValue", 0);
        long end = Scaled(Need(p, "endValue", JsonValueKind.Number, index), perUnitDigits, index, "endValue", 0);
        var timeline = new TimelineStacks(b, thread, timestamps);
        timeline.Advance(start);
        int i = 0;
        foreach (var e in events.EnumerateArray())
        {
            string type = Str(e, "type");
            long at = Scaled(e.TryGetProperty("at", out var a) ? a : default, perUnitDigits, index, "events.at", i);
            var loc = Frame(frames, e.TryGetProperty("frame", out var f) ? f : default, index);
            if (type == "O") timeline.Open(loc, at);
            else if (type == "C") timeline.Close(loc, at);
            else throw Error($"profile {index}: events[{i}] has type \"{type}\" (expected O or C)");
            i++;
        }
        timeline.Finish(end);
        if (timeline.Mismatches > 0)
            options.Diagnostics?.Invoke(new Diagnostic($"speedscope: profile {index}: {timeline.Mismatches} close events did not match the innermost open frame"));
    }

    private static LocationId[] ReadFrames(JsonElement root, ProfileBuilder b)
    {
        if (!root.TryGetProperty("shared", out var shared) || !shared.TryGetProperty("frames", out var frames) || frames.ValueKind != JsonValueKind.Array)
            throw Error("missing \"shared\": {\"frames\": [...]}");
        var result = new LocationId[frames.GetArrayLength()];
        int i = 0;
        foreach (var f in frames.EnumerateArray())
        {
            if (f.ValueKind != JsonValueKind.Object || !f.TryGetProperty("name", out var n) || n.ValueKind != JsonValueKind.String)
                throw Error($"shared.frames[{i}] needs a string \"name\"");
            string file = f.TryGetProperty("file", out var fl) && fl.ValueKind == JsonValueKind.String ? fl.GetString()! : "";
            long line = f.TryGetProperty("line", out var ln) && ln.ValueKind == JsonValueKind.Number ? (long)ln.GetDouble() : 0;
            long col = f.TryGetProperty("col", out var c) && c.ValueKind == JsonValueKind.Number ? (long)c.GetDouble() : 0;
            var fn = b.AddFunction(n.GetString()!, "", file);
            result[i++] = b.AddLocation(0, MappingId.None, [new Line(fn, line, col)]);
        }
        return result;
    }

    private static int[] Select(JsonElement[] profiles, int active, string? selector)
    {
        if (string.IsNullOrEmpty(selector)) return [active < profiles.Length ? active : 0];
        if (selector is "all" or "*") return Enumerable.Range(0, profiles.Length).ToArray();
        for (int i = 0; i < profiles.Length; i++)
            if (Str(profiles[i], "name") == selector) return [i];
        if (int.TryParse(selector, NumberStyles.None, CultureInfo.InvariantCulture, out int idx) && idx < profiles.Length) return [idx];
        var names = profiles.Select((p, i) => $"{i}: {Str(p, "name")}");
        throw new ArgumentException($"no profile \"{selector}\" in the file; it holds {string.Join(", ", names)} (or use all)");
    }

    private static int MaxDecimals(JsonElement p)
    {
        int d = 0;
        if (p.TryGetProperty("weights", out var w) && w.ValueKind == JsonValueKind.Array)
            foreach (var x in w.EnumerateArray()) if (x.ValueKind == JsonValueKind.Number) d = Math.Max(d, SpeedscopeUnits.DecimalsOf(x.GetDouble()));
        if (p.TryGetProperty("events", out var ev) && ev.ValueKind == JsonValueKind.Array)
            foreach (var e in ev.EnumerateArray())
                if (e.ValueKind == JsonValueKind.Object && e.TryGetProperty("at", out var a) && a.ValueKind == JsonValueKind.Number) d = Math.Max(d, SpeedscopeUnits.DecimalsOf(a.GetDouble()));
        return d;
    }

    private static string UnitKind(string unit)
    {
        if (!SpeedscopeUnits.IsKnown(unit)) throw Error($"unknown unit \"{unit}\" (expected none, nanoseconds, microseconds, milliseconds, seconds or bytes)");
        return SpeedscopeUnits.NanosPerUnit(unit) > 0 ? "time" : unit;
    }

    private static int ActiveIndex(JsonElement root) =>
        root.TryGetProperty("activeProfileIndex", out var a) && a.ValueKind == JsonValueKind.Number && a.TryGetInt32(out int i) && i >= 0 ? i : 0;

    private static JsonElement Profiles(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) throw Error("expected a JSON object at the top level");
        if (!root.TryGetProperty("profiles", out var p) || p.ValueKind != JsonValueKind.Array) throw Error("missing \"profiles\" array");
        return p;
    }

    private static LocationId Frame(LocationId[] frames, JsonElement f, int profile)
    {
        if (f.ValueKind != JsonValueKind.Number || !f.TryGetInt32(out int i) || i < 0 || i >= frames.Length)
            throw Error($"profile {profile}: frame index {f} is not an index into shared.frames (0..{frames.Length - 1})");
        return frames[i];
    }

    private static JsonElement Need(JsonElement p, string key, JsonValueKind kind, int profile)
    {
        if (!p.TryGetProperty(key, out var v) || v.ValueKind != kind) throw Error($"profile {profile}: missing or invalid \"{key}\"");
        return v;
    }

    private static double Num(JsonElement e, int profile, string what, int i)
    {
        if (e.ValueKind != JsonValueKind.Number) throw Error($"profile {profile}: {what}[{i}] is not a number");
        return e.GetDouble();
    }

    /// <summary>A number times 10^<paramref name="digits"/> (the unit's nanoseconds, or the decimals kept), exactly (see <see cref="DecimalText"/>).</summary>
    private static long Scaled(JsonElement e, int digits, int profile, string what, int i)
    {
        if (e.ValueKind != JsonValueKind.Number) throw Error($"profile {profile}: {what}[{i}] is not a number");
        if (!DecimalText.TryGetScaled(e, digits, out long v)) throw Error($"profile {profile}: {what}[{i}] is out of range ({e.GetRawText()})");
        return v;
    }

    private static string Str(JsonElement e, string key) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";

    private static JsonDocument Parse(Stream input)
    {
        try
        {
            return JsonDocument.Parse(input, new JsonDocumentOptions { AllowTrailingCommas = true, MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            throw new ProfileFormatException("speedscope", "invalid JSON: " + e.Message, (e.LineNumber ?? 0) + 1, inner: e);
        }
    }

    private static ProfileFormatException Error(string message) => new("speedscope", message);
}
