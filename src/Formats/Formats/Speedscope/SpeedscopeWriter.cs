using System.Reflection;
using System.Text.Json;

namespace FlameKit.Formats.Speedscope;

/// <summary>
/// Writes speedscope's JSON file format: one <c>sampled</c> profile per sample type, and per thread when
/// the profile has threads, over one shared frame table.
/// </summary>
/// <remarks>
/// <para>Frames are the profile's source lines: inlined lines become separate frames (outermost first, as
/// callers), each with its function name, file, line and column. Unsymbolized locations are named
/// <c>0xADDR (module)</c> as everywhere in FlameKit.</para>
/// <para>Each sample type becomes a profile named after the type (with threads: <c>thread name (tid N)</c>,
/// followed by <c>[type]</c> when there are several types) in the matching speedscope unit: time units
/// keep their unit, memory units become bytes, anything else (counts) becomes <c>none</c>. Samples are
/// written in time order when the profile has timestamps, else in profile order. The active profile is
/// the default sample type's (of the thread with the largest total). <c>exporter</c> is
/// <c>flamekit@VERSION</c>.</para>
/// <para>speedscope cannot hold labels, addresses and mappings, comments, period or drop/keep frame
/// patterns; each kind present is reported in one line through <see cref="WriteOptions.Diagnostics"/>.
/// Timestamps are kept as the order and weights of the samples: nothing is reported when each sample of a
/// thread ends where the next one begins (timelines from traces, evented profiles, V8 CPU profiles); gaps
/// between samples, or timestamps of a profile with no time sample type, are reported as dropped.</para>
/// </remarks>
public sealed class SpeedscopeWriter : IProfileWriter
{
    /// <inheritdoc/>
    public ProfileFormat Format => SpeedscopeReader.SpeedscopeFormat;

    /// <summary>The <c>exporter</c> value: <c>flamekit@</c> and the FlameKit version.</summary>
    public static string Exporter { get; } = "flamekit@" + Version();

    /// <inheritdoc/>
    public void Write(Profile profile, Stream output, WriteOptions options)
    {
        var frames = new FrameTable(profile);

        // Groups: one per thread (in thread order), or the whole profile.
        var groups = new List<(string Name, SampleList Samples)>();
        if (profile.HasThreads)
        {
            var byThread = SampleList.ByThread(profile);
            for (int t = 0; t < byThread.Length; t++)
            {
                if (byThread[t] is null) continue;
                groups.Add((t == profile.Threads.Count ? "(no thread)" : ThreadLabel(profile.Threads[t]), byThread[t]!));
            }
            // Threads known by name alone (perf's comm) can share it: tell them apart by id, as speedscope's
            // perf importer does.
            var shared = groups.GroupBy(g => g.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
            for (int g = 0; g < groups.Count; g++)
            {
                var (name, samples) = groups[g];
                var t = profile.SampleThread(samples[0]);
                if (shared.Contains(name) && !t.IsNone) groups[g] = ($"{name} (tid {profile.Threads[t.Index].Id})", samples);
            }
        }
        else groups.Add(("", SampleList.Range(0, profile.SampleCount)));
        if (profile.HasTimestamps)
            foreach (var g in groups) g.Samples.SortByTime(profile);
        ReportLosses(profile, groups, options);

        int types = profile.SampleTypes.Count;
        int active = 0;
        long best = long.MinValue;
        for (int g = 0; g < groups.Count; g++)
        {
            long total = 0;
            foreach (int s in groups[g].Samples) total += profile.SampleValue(s, profile.DefaultSampleTypeIndex);
            if (total > best) { best = total; active = g * types + profile.DefaultSampleTypeIndex; }
        }

        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = false, SkipValidation = true });
        w.WriteStartObject();
        w.WriteString("$schema", SpeedscopeReader.SchemaUrl);
        w.WriteString("exporter", Exporter);
        if (profile.Name.Length > 0) w.WriteString("name", profile.Name);
        w.WriteNumber("activeProfileIndex", active);

        // Frames are numbered in order of first use by the samples, before any profile is written.
        frames.Collect(profile);
        w.WriteStartObject("shared");
        w.WriteStartArray("frames");
        foreach (var f in frames.Frames)
        {
            w.WriteStartObject();
            w.WriteString("name", f.Name);
            if (f.File.Length > 0) w.WriteString("file", f.File);
            if (f.Line > 0) w.WriteNumber("line", f.Line);
            if (f.Column > 0) w.WriteNumber("col", f.Column);
            w.WriteEndObject();
            FlushSome(w);
        }
        w.WriteEndArray();
        w.WriteEndObject();

        w.WriteStartArray("profiles");
        var stackBuf = new List<int>();
        foreach (var (groupName, samples) in groups)
        {
            for (int t = 0; t < types; t++)
            {
                var st = profile.SampleTypes[t];
                var (unit, factor) = SpeedscopeUnits.FromModel(st.Unit);
                double scale = factor / Math.Pow(10, st.DecimalPlaces);
                bool exact = scale == 1;
                string name = groupName.Length == 0 ? st.Type : types == 1 ? groupName : $"{groupName} [{st.Type}]";
                long total = 0;
                foreach (int s in samples) total += profile.SampleValue(s, t);
                w.WriteStartObject();
                w.WriteString("type", "sampled");
                w.WriteString("name", name);
                w.WriteString("unit", unit);
                w.WriteNumber("startValue", 0);
                if (exact) w.WriteNumber("endValue", total); else w.WriteNumber("endValue", total * scale);
                w.WriteStartArray("samples");
                foreach (int s in samples)
                {
                    if (profile.SampleValue(s, t) == 0 && types > 1) continue;
                    frames.StackRootFirst(profile.SampleStack(s), stackBuf);
                    w.WriteStartArray();
                    foreach (int f in stackBuf) w.WriteNumberValue(f);
                    w.WriteEndArray();
                    FlushSome(w);
                }
                w.WriteEndArray();
                w.WriteStartArray("weights");
                foreach (int s in samples)
                {
                    long v = profile.SampleValue(s, t);
                    if (v == 0 && types > 1) continue;
                    if (exact) w.WriteNumberValue(v); else w.WriteNumberValue(v * scale);
                    FlushSome(w);
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
    }

    /// <summary>
    /// Hands what is written so far to the output stream once it is 64 KiB: a <see cref="Utf8JsonWriter"/>
    /// on a stream keeps everything in memory until it is flushed, which for a big profile is the whole
    /// output (hundreds of megabytes, doubled while its buffer grows).
    /// </summary>
    internal static void FlushSome(Utf8JsonWriter w)
    {
        if (w.BytesPending >= 1 << 16) w.Flush();
    }

    /// <summary>
    /// A thread's profile name: its name alone when it has no process (a speedscope profile read back, a
    /// .cpuprofile), else as speedscope's trace importer names threads: <c>process (pid P), name (tid T)</c>,
    /// with <c>pid P</c> / <c>tid T</c> alone for an unnamed process or thread.
    /// </summary>
    /// <param name="t">The thread.</param>
    public static string ThreadLabel(ThreadInfo t)
    {
        if (t.Name.Length > 0 && t.ProcessId == 0 && t.ProcessName.Length == 0) return t.Name;
        string process = t.ProcessName.Length > 0 ? $"{t.ProcessName} (pid {t.ProcessId})" : $"pid {t.ProcessId}";
        string thread = t.Name.Length > 0 ? $"{t.Name} (tid {t.Id})" : $"tid {t.Id}";
        return $"{process}, {thread}";
    }

    private static void ReportLosses(Profile profile, List<(string Name, SampleList Samples)> groups, WriteOptions options)
    {
        if (options.Diagnostics is null) return;
        var lost = new List<string>();
        if (profile.HasLabels) lost.Add("labels");
        bool addresses = false;
        foreach (var l in profile.Locations) addresses |= l.Address != 0 && !l.Lines.IsEmpty;
        if (addresses || profile.Mappings.Length > 1) lost.Add("addresses and mappings");
        if (profile.HasTimestamps && TimestampLoss(profile, groups) is { } what) lost.Add(what);
        if (profile.Comments.Count > 0) lost.Add("comments");
        if (profile.Period != 0 || profile.PeriodType is not null) lost.Add("period");
        if (profile.DropFrames.Length > 0 || profile.KeepFrames.Length > 0) lost.Add("drop/keep frame patterns");
        if (lost.Count > 0) options.Diagnostics(new Diagnostic($"speedscope cannot hold {string.Join(", ", lost)}; dropped"));
    }

    /// <summary>
    /// What a sampled profile loses of the timestamps: nothing when each sample of a thread ends where the
    /// next begins (timelines read from traces, evented profiles, V8 CPU profiles); otherwise the gaps, or
    /// the timing itself when no sample type is a time.
    /// </summary>
    private static string? TimestampLoss(Profile profile, List<(string Name, SampleList Samples)> groups)
    {
        int type = -1;
        for (int t = 0; t < profile.SampleTypes.Count && type < 0; t++)
            if (Units.IsTime(profile.SampleTypes[t].Unit) && SpeedscopeUnits.NanosPerUnit(SpeedscopeUnits.FromModel(profile.SampleTypes[t].Unit).Unit) > 0) type = t;
        if (type < 0) return "timestamps (samples are written in time order)";
        var st = profile.SampleTypes[type];
        double nsPerStored = SpeedscopeUnits.NanosPerUnit(SpeedscopeUnits.FromModel(st.Unit).Unit) / Math.Pow(10, st.DecimalPlaces);
        double gaps = 0;
        int count = 0;
        foreach (var (_, samples) in groups)
        {
            for (int k = 0; k + 1 < samples.Count; k++)
            {
                // Differences first: absolute Unix-epoch nanoseconds (~1.8e18) lose 256 ns as doubles.
                double gap = profile.SampleTimestamp(samples[k + 1]) - profile.SampleTimestamp(samples[k]) - profile.SampleValue(samples[k], type) * nsPerStored;
                if (Math.Abs(gap) > 0.5) { gaps += Math.Abs(gap); count++; }
            }
        }
        return count == 0 ? null : $"the time between samples ({count} gaps or overlaps, {gaps / 1e6:0.###} ms; samples are written back to back in time order)";
    }

    /// <summary>
    /// The samples of one profile (a thread), in the order they are written: a range of sample indices
    /// while that is the order, else an array. Timeline readers add a thread's samples together and in
    /// time order, so a 9 M-sample trace needs no per-sample list here (it took 37 to 73 MB as
    /// <see cref="List{T}"/>s of indices, more than the profile's own stack column).
    /// </summary>
    private sealed class SampleList
    {
        private readonly int _start;
        private int[]? _items;

        private SampleList(int start, int count, int[]? items) { _start = start; Count = count; _items = items; }

        /// <summary>Number of samples.</summary>
        public int Count { get; }

        /// <summary>The <paramref name="k"/>-th sample index.</summary>
        public int this[int k] => _items is null ? _start + k : _items[k];

        /// <summary>Samples <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> - 1.</summary>
        public static SampleList Range(int start, int count) => new(start, count, null);

        /// <summary>The samples of each thread in index order (the last slot: samples without a thread); null where none.</summary>
        public static SampleList?[] ByThread(Profile profile)
        {
            int slots = profile.Threads.Count + 1;
            var count = new int[slots];
            var first = new int[slots];
            var last = new int[slots];
            for (int i = 0; i < profile.SampleCount; i++)
            {
                var t = profile.SampleThread(i);
                int slot = t.IsNone ? slots - 1 : t.Index;
                if (count[slot]++ == 0) first[slot] = i;
                last[slot] = i;
            }
            var lists = new SampleList?[slots];
            bool scattered = false;
            for (int t = 0; t < slots; t++)
            {
                if (count[t] == 0) continue;
                bool contiguous = last[t] - first[t] + 1 == count[t];
                lists[t] = new SampleList(first[t], count[t], contiguous ? null : new int[count[t]]);
                scattered |= !contiguous;
            }
            if (scattered)
            {
                var fill = new int[slots];
                for (int i = 0; i < profile.SampleCount; i++)
                {
                    var t = profile.SampleThread(i);
                    int slot = t.IsNone ? slots - 1 : t.Index;
                    if (lists[slot]!._items is { } items) items[fill[slot]++] = i;
                }
            }
            return lists;
        }

        /// <summary>Orders the samples by timestamp, then index (unchanged when they are in that order already).</summary>
        public void SortByTime(Profile profile)
        {
            bool sorted = true;
            for (int k = 1; k < Count && sorted; k++)
            {
                int a = this[k - 1], b = this[k];
                long ta = profile.SampleTimestamp(a), tb = profile.SampleTimestamp(b);
                sorted = ta < tb || ta == tb && a < b;
            }
            if (sorted) return;
            var items = _items ?? Enumerable.Range(_start, Count).ToArray();
            Array.Sort(items, (a, b) => profile.SampleTimestamp(a).CompareTo(profile.SampleTimestamp(b)) is int c && c != 0 ? c : a.CompareTo(b));
            _items = items;
        }

        public Enumerator GetEnumerator() => new(this);

        /// <summary>Allocation-free <c>foreach</c>.</summary>
        public struct Enumerator(SampleList list)
        {
            private int _k = -1;
            public readonly int Current => list[_k];
            public bool MoveNext() => ++_k < list.Count;
        }
    }

    private static string Version()
    {
        var v = typeof(SpeedscopeWriter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        int plus = v.IndexOf('+');
        return plus < 0 ? v : v[..plus];
    }

    /// <summary>speedscope frames (one per source line of each location) and stacks as frame indices.</summary>
    private sealed class FrameTable(Profile profile)
    {
        private readonly Dictionary<(string, string, long, long), int> _index = [];
        private readonly int[][] _ofLocation = new int[profile.Locations.Length][];

        public List<(string Name, string File, long Line, long Column)> Frames { get; } = [];

        /// <summary>Assigns frame indices in order of first use by the samples, so the table is stable.</summary>
        public void Collect(Profile p)
        {
            var tmp = new List<int>();
            for (int i = 0; i < p.SampleCount; i++) StackRootFirst(p.SampleStack(i), tmp);
        }

        public void StackRootFirst(StackId stack, List<int> dest)
        {
            dest.Clear();
            int depth = profile.StackDepth(stack);
            if (_locs.Length < depth) _locs = new LocationId[Math.Max(depth, _locs.Length * 2)];
            int n = profile.CopyStackRootFirst(stack, _locs);
            for (int i = 0; i < n; i++) dest.AddRange(OfLocation(_locs[i].Index));
        }

        private LocationId[] _locs = new LocationId[64];

        private int[] OfLocation(int loc)
        {
            if (_ofLocation[loc] is { } cached) return cached;
            var location = profile.Locations[loc];
            int[] result;
            if (location.Lines.IsEmpty) result = [Intern((FrameTrie.UnsymbolizedName(profile, location), "", 0, 0))];
            else
            {
                // Lines are innermost first; frames go outermost (caller) first.
                var lines = location.Lines;
                result = new int[lines.Length];
                for (int i = lines.Length - 1; i >= 0; i--)
                {
                    var fn = profile.Functions[lines[i].Function.Index];
                    string name = fn.Name.Length > 0 ? fn.Name : fn.SystemName.Length > 0 ? fn.SystemName : FrameTrie.UnsymbolizedName(profile, location);
                    result[lines.Length - 1 - i] = Intern((name, fn.File, lines[i].Number, lines[i].Column));
                }
            }
            return _ofLocation[loc] = result;
        }

        private int Intern((string, string, long, long) key)
        {
            if (_index.TryGetValue(key, out int i)) return i;
            i = Frames.Count;
            Frames.Add(key);
            _index.Add(key, i);
            return i;
        }
    }
}
