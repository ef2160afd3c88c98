using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using FlameKit.Formats.Internal;

namespace FlameKit.Formats.ChromeTrace;

/// <summary>
/// Reads the Chrome Trace Event Format, streaming: the JSON array form, the array form without its closing
/// <c>]</c> (as Chrome writes it when a trace is cut short), and the object form (<c>traceEvents</c>,
/// <c>displayTimeUnit</c>, <c>stackFrames</c>, <c>samples</c>, <c>metadata</c>).
/// </summary>
/// <remarks>
/// <para>Duration events (<c>B</c>/<c>E</c>, nested per pid/tid) and complete events (<c>X</c>) become
/// time-ordered samples per thread, weighted in nanoseconds by the time between consecutive events of the
/// frames open then (time with nothing open inside a thread's first and last event is the empty stack), as
/// speedscope's trace importer computes it. <c>M</c> events name processes and threads; instant, async,
/// flow and counter events are ignored. A trace holding V8 CPU profiles (<c>Profile</c>/<c>ProfileChunk</c>
/// events, what DevTools' performance panel records) is read as those samples instead, one thread per
/// profile, and its duration events are then ignored (reported).</para>
/// <para>The input is never held as one JSON document: events are scanned one at a time through a
/// buffer and kept as 16- to 20-byte records in native memory, freed thread by thread as the threads
/// become samples, so memory is bounded by the number of duration events, well below the input size.</para>
/// <para>A trace cut short inside its event array, <c>samples</c> or <c>stackFrames</c> is read up to its
/// last complete entry (one diagnostic line).</para>
/// </remarks>
public sealed class ChromeTraceReader : IProfileReader
{
    /// <summary>The Chrome trace format description.</summary>
    public static ProfileFormat ChromeTraceFormat { get; } = new("chrome", "Chrome trace event JSON (array or object form)", [".json", ".trace", ".log"]);

    /// <inheritdoc/>
    public ProfileFormat Format => ChromeTraceFormat;

    /// <inheritdoc/>
    public Detection Detect(ReadOnlySpan<byte> head, bool isComplete)
    {
        var h = JsonSniff.SkipBomAndSpace(head);
        if (h.IsEmpty) return Detection.No;
        if (h[0] == (byte)'[')
        {
            var rest = h[1..].TrimStart(" \t\r\n"u8);
            if (rest.IsEmpty) return isComplete ? Detection.No : Detection.Maybe;
            return rest[0] == (byte)'{' && h.IndexOf("\"ph\""u8) >= 0 ? Detection.Yes : Detection.No;
        }
        if (h[0] != (byte)'{') return Detection.No;
        if (h.IndexOf("speedscope.app/file-format-schema"u8) >= 0) return Detection.No;
        return h.IndexOf("\"traceEvents\""u8) >= 0 ? Detection.Yes : Detection.No;
    }

    /// <inheritdoc/>
    public Profile Read(Stream input, ReadOptions options)
    {
        using var state = new TraceState();
        var scanner = new TraceScanner(input, state);
        scanner.Run();
        if (scanner.Truncated)
        {
            // Chrome and other tools leave a trace cut short when they stop mid-write: what is complete is read.
            string message = scanner.TruncatedIn switch
            {
                "samples" => $"chrome: the trace is truncated inside \"samples\" (no closing ']'){(scanner.DroppedPartialEvent ? "; its incomplete last entry was dropped" : "")}",
                "stackFrames" => $"chrome: the trace is truncated inside \"stackFrames\" (no closing '}}'){(scanner.DroppedPartialEvent ? "; its incomplete last entry was dropped" : "")}",
                _ => $"chrome: the trace is truncated (no closing ']'){(scanner.DroppedPartialEvent ? "; its incomplete last event was dropped" : "")}",
            };
            options.Diagnostics?.Invoke(new Diagnostic(message));
        }
        return state.Build(options);
    }

    /// <summary>
    /// One open or close of a frame on a thread, in nanoseconds (16 bytes), made only while the thread is
    /// built. Sorted by time, then rank (closes of X events, B/E events, opens of X events), then
    /// <see cref="Tie"/>: the file order of a B/E event; for an X event its place p among the thread's X
    /// events ordered by (start, longer first, later in the file first): opens in p order, closes in
    /// reverse (inner, later start first). <see cref="Meta"/> packs the rank (bits 30-31), open (bit 29) and
    /// the frame + 1 (-1: an E event without a name).
    /// </summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    private readonly record struct Rec(long Time, int Tie, int Meta)
    {
        public const int MaxFrames = (1 << 29) - 2;
        public static Rec Make(long time, int rank, int tie, int frame, bool open) => new(time, tie, rank << 30 | (open ? 1 << 29 : 0) | (frame + 1));
        public int Rank => (int)((uint)Meta >> 30);
        public bool Open => (Meta & (1 << 29)) != 0;
        public int Frame => (Meta & ((1 << 29) - 1)) - 1;
    }

    /// <summary>An X event while its thread's X events are put in order (24 bytes, in the tail of the record buffer).</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    private readonly record struct SpanKey(long Start, long Duration, int Index, int Frame);

    /// <summary>A <c>B</c> or <c>E</c> event as kept until its thread is built (16 bytes).</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    private readonly record struct DurationEvent(long Time, int Frame, bool Open);

    /// <summary>A complete (<c>X</c>) event as kept until its thread is built (20 bytes).</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    private readonly record struct Span(long Start, long Duration, int Frame);

    /// <summary>A sample (<c>P</c> event or an entry of the object form's <c>samples</c>) with its stack node (20 bytes).</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    private readonly record struct SampleEvent(long Time, long Weight, int Node);

    /// <summary>
    /// A node of the stack frame tree: an entry of <c>stackFrames</c> (by id) or a prefix of an event's
    /// <c>stack</c> array. <see cref="Frame"/> is -1 for an id that is referenced but never defined.
    /// </summary>
    private record struct StackNode(int Frame, int Parent);

    private sealed class ThreadState(long pid, long tid)
    {
        public long Pid { get; } = pid;
        public long Tid { get; } = tid;
        // In native memory, freed as soon as the thread is built (see NativeChunkedList).
        public NativeChunkedList<DurationEvent>? Durations { get; set; } = new();
        public NativeChunkedList<Span>? Spans { get; set; } = new();
        public NativeChunkedList<SampleEvent>? Samples { get; set; } = new();
        public bool HasDurations => Durations!.Count > 0 || Spans!.Count > 0;

        /// <summary>Frees whatever event lists are left.</summary>
        public void Release()
        {
            Durations?.Dispose();
            Spans?.Dispose();
            Samples?.Dispose();
            Durations = null;
            Spans = null;
            Samples = null;
        }
    }

    /// <summary>Everything collected from the events.</summary>
    private sealed class TraceState : IDisposable
    {
        private readonly Dictionary<(long, long), ThreadState> _threads = [];
        private readonly List<ThreadState> _threadOrder = [];
        private readonly Dictionary<long, string> _processNames = [];
        private readonly Dictionary<(long, long), string> _threadNames = [];
        private readonly Dictionary<string, int> _frameIndex = new(StringComparer.Ordinal);
        private readonly List<string> _frames = [];
        private readonly Dictionary<(long, string), (CpuProfileData Data, long Tid)> _cpuProfiles = [];
        private readonly List<(long, string)> _cpuOrder = [];
        private readonly Dictionary<long, int> _nodeByNumber = [];
        private readonly Dictionary<string, int> _nodeByString = new(StringComparer.Ordinal);
        private readonly Dictionary<(int Parent, int Frame), int> _nodeByChild = [];
        private readonly List<StackNode> _nodes = [];
        public int DurationEvents;
        public int SampleEvents;
        public int IgnoredSampleEvents;
        public int DurationsWithStacks;

        /// <summary>The pid of a <c>samples</c> entry without one (the spec gives them only cpu and tid).</summary>
        public const long NoPid = long.MinValue;

        public int Frame(ReadOnlySpan<char> name)
        {
            var lookup = _frameIndex.GetAlternateLookup<ReadOnlySpan<char>>();
            if (lookup.TryGetValue(name, out int i)) return i;
            string s = name.ToString();
            i = _frames.Count;
            _frames.Add(s);
            _frameIndex.Add(s, i);
            return i;
        }

        private ThreadState Thread(long pid, long tid)
        {
            ref var t = ref CollectionsMarshal.GetValueRefOrAddDefault(_threads, (pid, tid), out bool exists);
            if (!exists) { t = new ThreadState(pid, tid); _threadOrder.Add(t); }
            return t!;
        }

        /// <summary>The node of a <c>stackFrames</c> id (a number, or a string that is not one).</summary>
        public int NodeOf(long id)
        {
            ref int n = ref CollectionsMarshal.GetValueRefOrAddDefault(_nodeByNumber, id, out bool exists);
            if (!exists) { n = _nodes.Count; _nodes.Add(new StackNode(-1, -1)); }
            return n;
        }

        /// <inheritdoc cref="NodeOf(long)"/>
        public int NodeOf(string id)
        {
            if (long.TryParse(id, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out long n)) return NodeOf(n);
            ref int i = ref CollectionsMarshal.GetValueRefOrAddDefault(_nodeByString, id, out bool exists);
            if (!exists) { i = _nodes.Count; _nodes.Add(new StackNode(-1, -1)); }
            return i;
        }

        /// <summary>Defines a <c>stackFrames</c> entry.</summary>
        public void DefineNode(int node, int frame, int parent) => _nodes[node] = new StackNode(frame, parent);

        /// <summary>The node for <paramref name="frame"/> called from <paramref name="parent"/> (-1: the root): a level of a <c>stack</c> array.</summary>
        public int ChildNode(int parent, int frame)
        {
            ref int n = ref CollectionsMarshal.GetValueRefOrAddDefault(_nodeByChild, (parent, frame), out bool exists);
            if (!exists) { n = _nodes.Count; _nodes.Add(new StackNode(frame, parent)); }
            return n;
        }

        public void Begin(long pid, long tid, long ns, int frame) { DurationEvents++; Thread(pid, tid).Durations!.Add(new DurationEvent(ns, frame, true)); }
        public void End(long pid, long tid, long ns, int frame) { DurationEvents++; Thread(pid, tid).Durations!.Add(new DurationEvent(ns, frame, false)); }

        public void Complete(long pid, long tid, long ns, long durNs, int frame)
        {
            DurationEvents++;
            if (durNs <= 0) { Thread(pid, tid); return; }
            Thread(pid, tid).Spans!.Add(new Span(ns, durNs, frame));
        }

        public void Sample(long pid, long tid, long ns, int node, long weight)
        {
            SampleEvents++;
            Thread(pid, tid).Samples!.Add(new SampleEvent(ns, weight, node));
        }

        /// <summary>Number of open/close records of a thread.</summary>
        private static int RecordCount(ThreadState t) => t.Durations!.Count + 2 * t.Spans!.Count;

        /// <summary>A thread's opens and closes, sorted into <paramref name="buffer"/> (shared by all threads); its event lists are released.</summary>
        private static Span<Rec> Timeline(ThreadState t, Span<Rec> buffer)
        {
            var durations = t.Durations!;
            var spans = t.Spans!;
            int d = durations.Count, x = spans.Count;
            var recs = buffer[..RecordCount(t)];
            for (int i = 0; i < d; i++)
            {
                ref readonly var e = ref durations[i];
                recs[i] = Rec.Make(e.Time, 1, i, e.Frame, e.Open);
            }
            durations.Dispose();
            t.Durations = null;
            // The X events are first put in order in the tail of the buffer (24 of the 32 bytes their two
            // records take there): opens at one time go outer (longer) first, and of equal spans the later
            // in the file is the outer one (Chrome writes an X event when it ends); closes at one time go
            // inner first. Their place p in that order is then the only tie-breaker a record needs.
            var keys = MemoryMarshal.Cast<byte, SpanKey>(MemoryMarshal.AsBytes(recs[d..]).Slice(8 * x, 24 * x));
            for (int i = 0; i < x; i++)
            {
                ref readonly var s = ref spans[i];
                keys[i] = new SpanKey(s.Start, s.Duration, i, s.Frame);
            }
            spans.Dispose();
            t.Spans = null;
            keys.Sort(static (a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : a.Duration != b.Duration ? b.Duration.CompareTo(a.Duration) : b.Index.CompareTo(a.Index));
            // Records of X event p go to recs[d + 2p] and recs[d + 2p + 1], which end before keys[p + 1]
            // starts: each key is read before its bytes are overwritten.
            for (int p = 0; p < x; p++)
            {
                var k = keys[p];
                recs[d + 2 * p] = Rec.Make(k.Start, 2, p, k.Frame, true);
                recs[d + 2 * p + 1] = Rec.Make(k.Start + k.Duration, 0, -p, k.Frame, false);
            }
            recs.Sort(static (a, b) => a.Time != b.Time ? a.Time.CompareTo(b.Time) : a.Rank != b.Rank ? a.Rank.CompareTo(b.Rank) : a.Tie.CompareTo(b.Tie));
            return recs;
        }

        /// <summary>Frees the event lists of threads not built (an error, or events of a kind not read).</summary>
        public void Dispose()
        {
            foreach (var t in _threadOrder) t.Release();
        }

        public void ProcessName(long pid, string name) => _processNames[pid] = name;
        public void ThreadName(long pid, long tid, string name) => _threadNames[(pid, tid)] = name;

        /// <summary>The CPU profile with this id in this process (chunks carry the id of their Profile event).</summary>
        public CpuProfileData CpuProfile(long pid, long tid, string id)
        {
            var key = (pid, id);
            if (_cpuProfiles.TryGetValue(key, out var p)) return p.Data;
            var data = new CpuProfileData();
            _cpuProfiles[key] = (data, tid);
            _cpuOrder.Add(key);
            return data;
        }

        public Profile Build(ReadOptions options)
        {
            string name = options.SourceName is { } n ? Path.GetFileName(n) : "";
            if (_cpuProfiles.Values.Any(p => p.Data.SampleCount > 0))
            {
                var b = new ProfileBuilder([new SampleType("wall", "nanoseconds")]) { Name = name };
                if (DurationEvents + SampleEvents > 0)
                    options.Diagnostics?.Invoke(new Diagnostic($"chrome: the trace holds V8 CPU profile samples; read those and ignored {DurationEvents} duration events{(SampleEvents > 0 ? $" and {SampleEvents} sample events" : "")}"));
                foreach (var key in _cpuOrder)
                {
                    var (data, tid) = _cpuProfiles[key];
                    if (data.SampleCount == 0) continue;
                    var thread = b.AddThread(Info(key.Item1, tid));
                    data.Emit(b, thread);
                }
                return b.Build();
            }
            var profile = SampleEvents > 0 ? BuildSamples(name, options) : BuildTimelines(name, options);
            if (IgnoredSampleEvents > 0)
                options.Diagnostics?.Invoke(new Diagnostic($"chrome: ignored {IgnoredSampleEvents} sample events without a stack (no sf or stack)"));
            return profile;
        }

        /// <summary>
        /// Sample events (<c>P</c> with <c>sf</c>/<c>stack</c>, the object form's <c>samples</c>): per thread in
        /// time order, <c>wall</c> is the time to the thread's next sample (0 for its last, as speedscope
        /// weighs them) and <c>samples</c> the sample's <c>weight</c> (default 1).
        /// </summary>
        private Profile BuildSamples(string name, ReadOptions options)
        {
            var b = new ProfileBuilder([new SampleType("wall", "nanoseconds"), new SampleType("samples", "count")]) { Name = name, DefaultSampleType = "wall" };
            if (DurationEvents > 0)
                options.Diagnostics?.Invoke(new Diagnostic($"chrome: the trace holds sample events; read those and ignored {DurationEvents} duration events"));
            b.EnsureSampleCapacity(SampleEvents, timestamps: true);
            var stacks = new StackResolver(this, b);
            var values = new long[2];
            foreach (var t in _threadOrder)
            {
                var list = t.Samples!;
                if (list.Count == 0) continue;
                var thread = b.AddThread(Info(t.Pid == NoPid ? PidOf(t.Tid) : t.Pid, t.Tid));
                var order = new SampleEvent[list.Count];
                for (int i = 0; i < order.Length; i++) order[i] = list[i];
                list.Dispose();
                t.Samples = null;
                // Stable by file order at equal times (Array.Sort is not stable, so sort indices).
                var keys = new (long, int)[order.Length];
                for (int i = 0; i < keys.Length; i++) keys[i] = (order[i].Time, i);
                Array.Sort(keys, order);
                for (int i = 0; i < order.Length; i++)
                {
                    values[0] = i + 1 < order.Length ? order[i + 1].Time - order[i].Time : 0;
                    values[1] = order[i].Weight;
                    b.AddSample(stacks.Stack(order[i].Node), values, order[i].Time, thread);
                }
            }
            stacks.Report(options);
            return b.Build();
        }

        private Profile BuildTimelines(string name, ReadOptions options)
        {
            // A sample lasts until the thread's next one starts: its value need not be stored.
            var b = new ProfileBuilder([new SampleType("wall", "nanoseconds")]) { Name = name, DeriveValuesFromTimestamps = true, FirstChildIndex = true };
            // Each open or close ends at most one sample: the per-sample arrays are sized once. One record
            // buffer, as large as the busiest thread needs, serves every thread in turn.
            long records = 0, opens = 0;
            int largest = 0;
            foreach (var t in _threadOrder)
            {
                records += RecordCount(t);
                largest = Math.Max(largest, RecordCount(t));
                opens += t.Spans!.Count;
                var durations = t.Durations!;
                for (int i = 0; i < durations.Count; i++) if (durations[i].Open) opens++;
            }
            b.EnsureSampleCapacity((int)Math.Min(records, int.MaxValue), timestamps: true);
            // Each open adds at most one stack node: the stack columns are sized once too, instead of growing
            // by half again and again while holding the old and the new copy.
            b.EnsureStackCapacity((int)Math.Min(opens + 1, int.MaxValue));
            // Native, so that its memory goes back to the system before Build allocates more (see below).
            using var buffer = new NativeArray<Rec>(largest);
            if (_frames.Count > Rec.MaxFrames) throw new ProfileFormatException("chrome", $"too many distinct event names ({_frames.Count})");
            var locations = new LocationId[_frames.Count];
            for (int i = 0; i < _frames.Count; i++) locations[i] = b.AddFrame(_frames[i]);
            int mismatches = 0;
            foreach (var t in _threadOrder)
            {
                if (!t.HasDurations) continue;
                var thread = b.AddThread(Info(t.Pid, t.Tid));
                // One thread at a time: its records are expanded, sorted, turned into samples and dropped.
                var recs = Timeline(t, buffer.Span);
                var timeline = new TimelineStacks(b, thread, timestamps: true);
                foreach (var r in recs)
                {
                    if (r.Open) timeline.Open(locations[r.Frame], r.Time);
                    else timeline.Close(r.Frame < 0 ? null : locations[r.Frame], r.Time);
                }
                timeline.Finish(recs[^1].Time);
                mismatches += timeline.Mismatches;
                // This thread's event lists were freed in Timeline (native memory: given back to the system
                // right away, ready for the next thread's samples).
            }
            if (mismatches > 0)
                options.Diagnostics?.Invoke(new Diagnostic($"chrome: {mismatches} end events did not match the innermost open event"));
            if (DurationsWithStacks > 0)
                options.Diagnostics?.Invoke(new Diagnostic($"chrome: {DurationsWithStacks} duration events carry sf/stack; their stacks are the nesting of B/E/X events, the sf/stack stack traces are not read"));
            // The sorted records are done: freed before Build, whose stack depths would otherwise come on top
            // of them at the peak (on a 500 MB trace the buffer is 37 MB).
            buffer.Dispose();
            var profile = b.Build();
            // The builder's intern tables are garbage now (about 40 MB on a 500 MB trace): collected before
            // the caller writes the profile out. Blocking, not compacting: a few ms.
            if (largest >= 1 << 20) GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: false);
            return profile;
        }

        /// <summary>The pid of the one process that has a thread <paramref name="tid"/> in the events or metadata, else 0.</summary>
        private long PidOf(long tid)
        {
            var pids = _threadOrder.Where(t => t.Tid == tid && t.Pid != NoPid).Select(t => t.Pid).Concat(_threadNames.Keys.Where(k => k.Item2 == tid).Select(k => k.Item1)).Distinct().Take(2).ToList();
            return pids.Count == 1 ? pids[0] : 0;
        }

        private ThreadInfo Info(long pid, long tid) =>
            new(tid, _threadNames.TryGetValue((pid, tid), out var tn) ? tn : "", pid, _processNames.TryGetValue(pid, out var pn) ? pn : "");

        /// <summary>Turns stack nodes into the builder's stacks, once per node.</summary>
        private sealed class StackResolver(TraceState state, ProfileBuilder b)
        {
            private readonly StackId[] _stack = new StackId[state._nodes.Count];
            private readonly byte[] _done = new byte[state._nodes.Count]; // 0 new, 1 in progress, 2 resolved
            private readonly LocationId?[] _locations = new LocationId?[state._frames.Count];
            private readonly List<int> _path = [];
            private int _undefined, _cycles;

            /// <summary>The stack of a node (<see cref="StackId.Empty"/> for -1).</summary>
            public StackId Stack(int node)
            {
                if (node < 0) return StackId.Empty;
                if (_done[node] == 2) return _stack[node];
                // Walk up to a resolved node (iteratively: chains can be thousands deep), then resolve downwards.
                _path.Clear();
                for (int n = node; n >= 0 && _done[n] != 2; n = state._nodes[n].Parent)
                {
                    if (_done[n] == 1)
                    {
                        // A parent cycle (malformed stackFrames): the node that leads back into the path becomes a root.
                        _cycles++;
                        state._nodes[_path[^1]] = state._nodes[_path[^1]] with { Parent = -1 };
                        break;
                    }
                    _done[n] = 1;
                    _path.Add(n);
                }
                for (int i = _path.Count - 1; i >= 0; i--)
                {
                    int n = _path[i];
                    var sn = state._nodes[n];
                    LocationId leaf;
                    if (sn.Frame < 0) { _undefined++; leaf = b.AddFrame("(unknown stack frame)"); }
                    else leaf = _locations[sn.Frame] ??= b.AddFrame(state._frames[sn.Frame]);
                    _stack[n] = b.Push(sn.Parent < 0 ? StackId.Empty : _stack[sn.Parent], leaf);
                    _done[n] = 2;
                }
                return _stack[node];
            }

            public void Report(ReadOptions options)
            {
                if (_undefined > 0) options.Diagnostics?.Invoke(new Diagnostic($"chrome: {_undefined} stack frame ids are not in stackFrames; named (unknown stack frame)"));
                if (_cycles > 0) options.Diagnostics?.Invoke(new Diagnostic($"chrome: {_cycles} stackFrames parent chains loop; cut where they repeat"));
            }
        }
    }

    /// <summary>
    /// Scans the top level of a trace through a growing buffer with <see cref="Utf8JsonReader"/>, handing
    /// each complete event object to <see cref="OnEvent"/>. An event is parsed only once it is wholly in
    /// the buffer (the reader's state before it is kept, and scanning resumes there after a refill).
    /// </summary>
    private sealed class TraceScanner(Stream input, TraceState state)
    {
        private byte[] _buf = ArrayPool<byte>.Shared.Rent(1 << 20);
        private int _pos, _len;
        private long _base; // absolute offset of _buf[0]
        private bool _eof;
        private JsonReaderState _state = new(new JsonReaderOptions { AllowTrailingCommas = true, MaxDepth = 512 });
        private bool _arrayForm, _objectForm;
        private string _property = "";
        private string _eventsProperty = "";
        private bool _inStackFrames;
        private string _frameKey = "";
        private char[] _chars = new char[256];

        public bool Truncated { get; private set; }
        public bool DroppedPartialEvent { get; private set; }

        /// <summary>Where the input ended, when <see cref="Truncated"/>: <c>traceEvents</c> (or "" for the array form), <c>samples</c> or <c>stackFrames</c>.</summary>
        public string TruncatedIn { get; private set; } = "";

        /// <summary>
        /// Can a trace that ends here be read up to its last complete entry: inside the array form, inside
        /// the object form's <c>traceEvents</c> or <c>samples</c> array, or inside its <c>stackFrames</c> map?
        /// </summary>
        private bool InReadableList => _arrayForm || _eventsProperty is "traceEvents" or "samples" || _inStackFrames;

        public void Run()
        {
            try
            {
                Fill();
                while (true)
                {
                    bool done = Step();
                    if (done) return;
                    if (_eof) { EndOfInput(); return; }
                    Fill();
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(_buf);
            }
        }

        private void EndOfInput()
        {
            // The reader stopped with data left and no more coming: a trace cut short inside the array.
            var rest = _buf.AsSpan(_pos, _len - _pos).TrimStart(" \t\r\n,"u8);
            if (InReadableList)
            {
                Truncated = true;
                TruncatedIn = _inStackFrames ? "stackFrames" : _eventsProperty;
                DroppedPartialEvent = !rest.IsEmpty;
                return;
            }
            throw new ProfileFormatException("chrome", "unexpected end of input", byteOffset: _base + _pos);
        }

        /// <summary>Processes tokens until more data is needed (false) or the document ended (true).</summary>
        private bool Step()
        {
            var reader = new Utf8JsonReader(_buf.AsSpan(_pos, _len - _pos), _eof, _state);
            long consumed = 0;
            try
            {
                while (true)
                {
                    var saved = reader.CurrentState;
                    consumed = reader.BytesConsumed;
                    if (!reader.Read())
                    {
                        if (_eof && reader.CurrentDepth == 0 && reader.BytesConsumed > 0) { Commit(reader.BytesConsumed, reader.CurrentState); return true; }
                        Commit(consumed, saved);
                        if (_eof) return reader.BytesConsumed == 0 && _len - _pos == 0 || IsOnlySpace();
                        return false;
                    }
                    int depth = reader.CurrentDepth;
                    switch (reader.TokenType)
                    {
                        case JsonTokenType.StartArray when depth == 0:
                            _arrayForm = true;
                            break;
                        case JsonTokenType.StartObject when depth == 0:
                            _objectForm = true;
                            break;
                        case JsonTokenType.PropertyName when depth == 1 && _objectForm:
                            _property = reader.GetString() ?? "";
                            break;
                        case JsonTokenType.StartArray when depth == 1 && _objectForm && _property is "traceEvents" or "samples":
                            _eventsProperty = _property;
                            break;
                        case JsonTokenType.EndArray when depth == 1 && _objectForm:
                            _eventsProperty = "";
                            break;
                        case JsonTokenType.StartObject when _arrayForm && depth == 1 || _objectForm && depth == 2 && _eventsProperty.Length > 0:
                        {
                            int start = (int)reader.TokenStartIndex;
                            if (!reader.TrySkip()) { Commit(consumed, saved); return false; }
                            var ev = _buf.AsSpan(_pos + start, (int)(reader.BytesConsumed - start));
                            if (_eventsProperty == "samples") OnSample(ev);
                            else OnEvent(ev);
                            break;
                        }
                        case JsonTokenType.StartObject when _objectForm && depth == 1 && _property == "stackFrames":
                            // Read entry by entry like events: the map can be as large as the events.
                            _inStackFrames = true;
                            break;
                        case JsonTokenType.PropertyName when _inStackFrames && depth == 2:
                            _frameKey = reader.GetString() ?? "";
                            break;
                        case JsonTokenType.StartObject when _inStackFrames && depth == 2:
                        {
                            int start = (int)reader.TokenStartIndex;
                            if (!reader.TrySkip()) { Commit(consumed, saved); return false; }
                            OnStackFrame(_frameKey, _buf.AsSpan(_pos + start, (int)(reader.BytesConsumed - start)));
                            break;
                        }
                        case JsonTokenType.EndObject when _inStackFrames && depth == 1:
                            _inStackFrames = false;
                            break;
                        case JsonTokenType.StartObject or JsonTokenType.StartArray when _objectForm && depth == 1:
                            // metadata, otherData, …: skipped.
                            if (!reader.TrySkip()) { Commit(consumed, saved); return false; }
                            break;
                        case JsonTokenType.EndArray when depth == 0:
                        case JsonTokenType.EndObject when depth == 0:
                            Commit(reader.BytesConsumed, reader.CurrentState);
                            return true;
                    }
                }
            }
            catch (JsonException e)
            {
                var rest = _buf.AsSpan(_pos + (int)consumed, _len - _pos - (int)consumed);
                if (_eof && InReadableList && (_inStackFrames ? IsCutShortEntry(rest) : IsCutShort(rest)))
                {
                    Commit(consumed, _state);
                    Truncated = true;
                    TruncatedIn = _inStackFrames ? "stackFrames" : _eventsProperty;
                    DroppedPartialEvent = !_buf.AsSpan(_pos, _len - _pos).TrimStart(" \t\r\n,"u8).IsEmpty;
                    return true;
                }
                throw new ProfileFormatException("chrome", "invalid JSON: " + e.Message, byteOffset: _base + _pos + consumed, inner: e);
            }
        }

        /// <summary>Is <paramref name="rest"/> nothing, or only the beginning of one more event (a trace cut short)?</summary>
        private static bool IsCutShort(ReadOnlySpan<byte> rest)
        {
            rest = rest.TrimStart(" \t\r\n,"u8);
            if (rest.IsEmpty) return true;
            if (rest[0] != (byte)'{') return false;
            var r = new Utf8JsonReader(rest, isFinalBlock: false, state: default);
            try
            {
                while (r.Read()) { if (r.CurrentDepth == 0 && r.TokenType == JsonTokenType.EndObject) return false; }
                return true; // ran out of input inside the object
            }
            catch (JsonException) { return false; }
        }

        /// <summary>
        /// Is <paramref name="rest"/> nothing, or only the beginning of one more <c>stackFrames</c> entry
        /// (<c>"id": {…</c>, cut anywhere, or its object alone when the id was read)?
        /// </summary>
        private static bool IsCutShortEntry(ReadOnlySpan<byte> rest)
        {
            rest = rest.TrimStart(" \t\r\n,"u8);
            if (rest.IsEmpty || rest[0] == (byte)'{') return IsCutShort(rest);
            if (rest[0] != (byte)'"') return false;
            // The id and what follows, inside an object of its own: cut short if that object never closes.
            var wrapped = new byte[rest.Length + 1];
            wrapped[0] = (byte)'{';
            rest.CopyTo(wrapped.AsSpan(1));
            return IsCutShort(wrapped);
        }

        private bool IsOnlySpace() => _buf.AsSpan(_pos, _len - _pos).TrimStart(" \t\r\n"u8).IsEmpty;

        private void Commit(long consumed, JsonReaderState st)
        {
            _pos += (int)consumed;
            _state = st;
        }

        private void Fill() => BufferWindow.Refill(input, ref _buf, ref _pos, ref _len, ref _base, ref _eof);

        private void OnEvent(ReadOnlySpan<byte> json)
        {
            var r = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 512 });
            r.Read();
            byte ph = 0;
            long pid = 0, tid = 0;
            // ts and dur in nanoseconds, read exactly from the number's text (see DecimalText).
            long ts = 0, dur = 0;
            bool hasTs = false, hasDur = false;
            int nameLen = -1;
            int argsStart = -1, argsEnd = -1;
            string id = "";
            bool isProfile = false, isChunk = false;
            int node = -1;
            long weight = 1;
            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                var key = r.ValueSpan;
                r.Read();
                if (key.SequenceEqual("ph"u8)) { if (r.TokenType == JsonTokenType.String && r.ValueSpan.Length > 0) ph = r.ValueSpan[0]; }
                else if (key.SequenceEqual("name"u8))
                {
                    if (r.TokenType == JsonTokenType.String)
                    {
                        int max = r.HasValueSequence ? (int)r.ValueSequence.Length : r.ValueSpan.Length;
                        if (_chars.Length < max) _chars = new char[Math.Max(max, _chars.Length * 2)];
                        nameLen = r.CopyString(_chars);
                        var nm = _chars.AsSpan(0, nameLen);
                        isProfile = nm.SequenceEqual("Profile");
                        isChunk = nm.SequenceEqual("ProfileChunk");
                    }
                }
                else if (key.SequenceEqual("ts"u8)) hasTs = Nanos(ref r, out ts);
                else if (key.SequenceEqual("dur"u8)) hasDur = Nanos(ref r, out dur);
                else if (key.SequenceEqual("pid"u8)) pid = Id(ref r);
                else if (key.SequenceEqual("tid"u8)) tid = Id(ref r);
                else if (key.SequenceEqual("id"u8)) id = r.TokenType == JsonTokenType.String ? r.GetString()! : r.TokenType == JsonTokenType.Number ? System.Text.Encoding.UTF8.GetString(r.ValueSpan) : "";
                else if (key.SequenceEqual("sf"u8)) node = NodeRef(ref r);
                else if (key.SequenceEqual("stack"u8)) node = StackArray(ref r);
                else if (key.SequenceEqual("weight"u8)) weight = Weight(ref r);
                else if (key.SequenceEqual("args"u8))
                {
                    argsStart = (int)r.TokenStartIndex;
                    r.Skip();
                    argsEnd = (int)r.BytesConsumed;
                }
                else r.Skip();
            }
            switch (ph)
            {
                case (byte)'B':
                case (byte)'E':
                {
                    if (!hasTs) return;
                    int frame = nameLen > 0 ? state.Frame(_chars.AsSpan(0, nameLen)) : -1;
                    if (node >= 0) state.DurationsWithStacks++;
                    if (ph == 'B') state.Begin(pid, tid, ts, frame >= 0 ? frame : state.Frame("(unnamed)"));
                    else state.End(pid, tid, ts, frame);
                    break;
                }
                case (byte)'X':
                    if (!hasTs) return;
                    if (node >= 0) state.DurationsWithStacks++;
                    state.Complete(pid, tid, ts, hasDur ? dur : 0, state.Frame(nameLen > 0 ? _chars.AsSpan(0, nameLen) : "(unnamed)"));
                    break;
                case (byte)'M':
                    if (argsStart < 0 || nameLen <= 0) return;
                    var meta = _chars.AsSpan(0, nameLen);
                    if (meta.SequenceEqual("process_name") || meta.SequenceEqual("thread_name"))
                    {
                        using var doc = JsonDocument.Parse(json[argsStart..argsEnd].ToArray());
                        if (!doc.RootElement.TryGetProperty("name", out var v) || v.ValueKind != JsonValueKind.String) return;
                        if (meta[0] == 'p') state.ProcessName(pid, v.GetString()!);
                        else state.ThreadName(pid, tid, v.GetString()!);
                    }
                    break;
                case (byte)'P':
                    if ((isProfile || isChunk) && argsStart >= 0) CpuEvent(json[argsStart..argsEnd], pid, tid, id);
                    else if (node >= 0 && hasTs) state.Sample(pid, tid, ts, node, weight);
                    else state.IgnoredSampleEvents++;
                    break;
            }
        }

        /// <summary>An entry of the object form's <c>samples</c>: <c>{cpu, tid, ts, name, sf, weight}</c> (and <c>pid</c>, <c>stack</c>).</summary>
        private void OnSample(ReadOnlySpan<byte> json)
        {
            var r = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 512 });
            r.Read();
            long pid = TraceState.NoPid, tid = 0, weight = 1;
            long ts = 0;
            bool hasTs = false;
            int node = -1;
            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                var key = r.ValueSpan;
                r.Read();
                if (key.SequenceEqual("ts"u8)) hasTs = Nanos(ref r, out ts);
                else if (key.SequenceEqual("pid"u8)) pid = Id(ref r);
                else if (key.SequenceEqual("tid"u8)) tid = Id(ref r);
                else if (key.SequenceEqual("sf"u8)) node = NodeRef(ref r);
                else if (key.SequenceEqual("stack"u8)) node = StackArray(ref r);
                else if (key.SequenceEqual("weight"u8)) weight = Weight(ref r);
                else r.Skip();
            }
            if (!hasTs) { state.IgnoredSampleEvents++; return; }
            state.Sample(pid, tid, ts, node, weight);
        }

        /// <summary>A <c>stackFrames</c> entry: <c>{"name": …, "category": …, "parent": id}</c>.</summary>
        private void OnStackFrame(string id, ReadOnlySpan<byte> json)
        {
            var r = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 512 });
            r.Read();
            int frame = -1, parent = -1;
            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                var key = r.ValueSpan;
                r.Read();
                if (key.SequenceEqual("name"u8) && r.TokenType == JsonTokenType.String) frame = state.Frame(r.GetString()!);
                else if (key.SequenceEqual("parent"u8)) parent = NodeRef(ref r);
                else r.Skip();
            }
            state.DefineNode(state.NodeOf(id), frame >= 0 ? frame : state.Frame("(unnamed)"), parent);
        }

        /// <summary>The stack node an <c>sf</c> value names (a number or a string id), or -1.</summary>
        private int NodeRef(ref Utf8JsonReader r)
        {
            if (r.TokenType == JsonTokenType.Number) return r.TryGetInt64(out long n) ? state.NodeOf(n) : state.NodeOf(System.Text.Encoding.UTF8.GetString(r.ValueSpan));
            if (r.TokenType == JsonTokenType.String) return state.NodeOf(r.GetString()!);
            r.Skip();
            return -1;
        }

        /// <summary>The stack node of a <c>stack</c> array (frame names or addresses, outermost first), or -1.</summary>
        private int StackArray(ref Utf8JsonReader r)
        {
            if (r.TokenType != JsonTokenType.StartArray) { r.Skip(); return -1; }
            int node = -1;
            while (r.Read() && r.TokenType != JsonTokenType.EndArray)
            {
                if (r.TokenType == JsonTokenType.String) node = state.ChildNode(node, state.Frame(r.GetString()!));
                else r.Skip();
            }
            return node;
        }

        private static long Weight(ref Utf8JsonReader r)
        {
            double w = Number(ref r);
            return double.IsNaN(w) || w < 0 ? 1 : (long)Math.Round(w);
        }

        private void CpuEvent(ReadOnlySpan<byte> args, long pid, long tid, string id)
        {
            using var doc = JsonDocument.Parse(args.ToArray());
            if (!doc.RootElement.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object) return;
            var p = state.CpuProfile(pid, tid, id);
            p.SetTimes(data);
            if (data.TryGetProperty("cpuProfile", out var cp) && cp.ValueKind == JsonValueKind.Object)
            {
                if (cp.TryGetProperty("nodes", out var nodes) && nodes.ValueKind == JsonValueKind.Array) p.AddNodes(nodes);
                if (cp.TryGetProperty("samples", out var s) && s.ValueKind == JsonValueKind.Array) p.AddSamples(s);
            }
            if (data.TryGetProperty("timeDeltas", out var d) && d.ValueKind == JsonValueKind.Array) p.AddTimeDeltas(d);
        }

        private static double Number(ref Utf8JsonReader r) =>
            r.TokenType == JsonTokenType.Number ? r.GetDouble() : r.TokenType == JsonTokenType.String && double.TryParse(r.GetString(), System.Globalization.CultureInfo.InvariantCulture, out double v) ? v : double.NaN;

        private static long Id(ref Utf8JsonReader r)
        {
            if (r.TokenType == JsonTokenType.Number) return r.TryGetInt64(out long v) ? v : (long)r.GetDouble();
            if (r.TokenType == JsonTokenType.String)
            {
                string s = r.GetString()!;
                if (long.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out long v)) return v;
                if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && long.TryParse(s.AsSpan(2), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out v)) return v;
                return StringComparer.Ordinal.GetHashCode(s) & 0x7fffffff;
            }
            return 0;
        }

        /// <summary>A time in microseconds (a number or a numeric string) as nanoseconds; false when it is neither or out of range.</summary>
        private static bool Nanos(ref Utf8JsonReader r, out long ns)
        {
            bool ok = DecimalText.TryGetScaled(ref r, 3, out ns);
            if (!ok && r.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) r.Skip();
            return ok;
        }
    }
}
