using System.Globalization;
using System.Runtime.InteropServices;
using FlameKit.Formats.Internal;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.EventPipe;
using Microsoft.Diagnostics.Tracing.Parsers;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

namespace FlameKit.Formats.Nettrace;

/// <summary>
/// Reads .NET EventPipe traces (<c>.nettrace</c>, from <c>dotnet-trace collect</c> or an in-process
/// EventPipe session) with TraceEvent's <see cref="EventPipeEventSource"/>, streaming: no <c>.etlx</c> file,
/// memory for the distinct stacks, methods and the output samples only.
/// </summary>
/// <remarks>
/// <para>Thread time as <c>dotnet-trace convert</c> computes it (TraceEvent's SampleProfilerThreadTimeComputer):
/// every stack-bearing sample (the sample profiler's thread samples, and GC allocation ticks) on a thread
/// stands for the time until the thread's next one. A thread sample taken in managed code is CPU time, one
/// taken in native code or while blocked is <c>UNMANAGED_CODE_TIME</c>; each sample gets that pseudo-frame
/// as its leaf. A thread's last sample has no end, so it is not counted, as in dotnet-trace, so totals agree.
/// Consecutive spans of a thread with the same stack become one sample.</para>
/// <para>Frames are <c>Module!Namespace.Type.Method(args)</c>, resolved from the runtime's MethodLoad and
/// rundown events (method addresses arrive at the end of a trace, so samples keep raw address stacks
/// until then); an address no method covers is <c>?!?</c>. Above each thread's frames sit dotnet-trace's
/// grouping frames: <c>Process64 NAME (PID) Args: …</c>, <c>(Non-Activities)</c>, <c>Threads</c>,
/// <c>Thread (TID)</c> with the thread's role (<c>(.NET ThreadPool)</c>, …) when the runtime's events reveal it.</para>
/// <para>Sample timestamps are nanoseconds since the session start (<see cref="Profile.TimeNanos"/> is that
/// start on the Unix clock), not Unix-epoch nanoseconds: writers and viewers handle times as doubles, and at
/// 1.8e18 ns a double resolves only 256 ns, which mis-nests the events of a Chrome trace. dotnet-trace's own
/// Chromium output counts from the session start too.</para>
/// <para>Every event is counted per provider and event name; the counts are profile comments, which
/// <c>flamekit info</c> prints. See <c>docs/formats/nettrace.md</c>.</para>
/// </remarks>
public sealed class NettraceReader : IProfileReader
{
    /// <summary>The nettrace format description.</summary>
    public static ProfileFormat NettraceFormat { get; } = new("nettrace", ".NET EventPipe trace (.nettrace, dotnet-trace)", [".nettrace"]);

    /// <summary>The frame dotnet-trace puts under samples taken in managed code.</summary>
    public const string CpuTimeFrame = "CPU_TIME";

    /// <summary>The frame dotnet-trace puts under samples taken outside managed code (native code or blocked).</summary>
    public const string UnmanagedTimeFrame = "UNMANAGED_CODE_TIME";

    /// <summary>The frame dotnet-trace gives an address no method covers.</summary>
    public const string UnresolvedFrame = "?!?";

    private static readonly Guid EventPipeProviderGuid = new("92f528a6-f5b8-5160-a7ee-b33da7739e29"); // Microsoft-DotNETCore-EventPipe
    private const int ProcessInfoEventId = 1;

    /// <inheritdoc/>
    public ProfileFormat Format => NettraceFormat;

    /// <inheritdoc/>
    public Detection Detect(ReadOnlySpan<byte> head, bool isComplete) =>
        head.StartsWith("Nettrace"u8) ? Detection.Yes : Detection.No;

    /// <inheritdoc/>
    public Profile Read(Stream input, ReadOptions options)
    {
        // Counts the bytes TraceEvent pulls, to say where a bad trace went wrong.
        var counted = new PrefixedStream([], input);
        var state = new TraceState(options.Nettrace);
        EventPipeEventSource source;
        try
        {
            source = new EventPipeEventSource(counted);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new ProfileFormatException(NettraceFormat.Name, $"not a readable nettrace header ({OneLine(e)})", byteOffset: counted.Position, inner: e);
        }
        using (source)
        {
            state.Attach(source);
            try
            {
                source.Process();
            }
            catch (Exception e) when (e is not OutOfMemoryException and not ProfileFormatException)
            {
                string what = AtEnd(input) ? "the trace ends early (truncated file?)" : "malformed trace data";
                throw new ProfileFormatException(NettraceFormat.Name, $"{what} near byte {counted.Position}: {OneLine(e)}", inner: e);
            }
            state.SessionStart = source.SessionStartTime;
            state.SessionDuration = source.SessionDuration;
            state.PointerSize = source.PointerSize;
        }
        return state.Build(options);
    }

    private static bool AtEnd(Stream input)
    {
        try { return input.ReadByte() < 0; }
        catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException) { return false; }
    }

    private static string OneLine(Exception e)
    {
        string m = e.Message.ReplaceLineEndings(" ").Trim();
        return m.Length > 200 ? m[..200] + "…" : m;
    }

    /// <summary>What the streaming pass collects, and how it becomes a profile.</summary>
    private sealed class TraceState(NettraceOptions opts)
    {
        private readonly EventStacks _stacks = EventStacks.Create();
        private ulong[] _addressBuffer = new ulong[256];

        // Distinct address stacks as a trie (root first): node -> parent, address. Node 0 is the empty stack.
        private readonly List<int> _nodeParent = [0];
        private readonly List<ulong> _nodeAddress = [0];
        private readonly Dictionary<(int Parent, ulong Address), int> _nodeIndex = [];
        private readonly Hash128Map _wholeStacks = new();

        // Threads in order of first sample, with their thread-time state.
        private readonly Dictionary<int, int> _threadIndex = [];
        private readonly List<ThreadState> _threads = [];
        private readonly Dictionary<int, string> _threadRoles = [];

        private readonly ChunkedList<TimedSample> _samples = new();

        // Methods (from MethodLoad and rundown events) and module names.
        private readonly List<MethodRange> _methods = [];
        private readonly List<string> _methodNames = [];
        private readonly Dictionary<long, string> _modules = [];
        private readonly Dictionary<(Guid, int), (string Name, long Count)> _eventCounts = [];

        public int ProcessId = -1;
        public string? CommandLine;
        public DateTime SessionStart;
        public TimeSpan SessionDuration;
        public int PointerSize = 8;

        public void Attach(EventPipeEventSource source)
        {
            source.AllEvents += Count;

            var profiler = new SampleProfilerTraceEventParser(source);
            profiler.ThreadSample += d => OnStackEvent(d, d.Type == ClrThreadSampleType.Managed);
            // dotnet-trace's thread time also takes allocation events' stacks as (CPU) samples.
            source.Clr.GCAllocationTick += d => OnStackEvent(d, true);
            source.Clr.GCSampledObjectAllocation += d => OnStackEvent(d, true);

            source.Clr.MethodLoadVerbose += d => AddMethod(d.MethodStartAddress, d.MethodSize, d.ModuleID, d.MethodNamespace, d.MethodName, d.MethodSignature);
            source.Clr.LoaderModuleLoad += d => AddModule(d.ModuleID, d.ModuleILPath);
            var rundown = new ClrRundownTraceEventParser(source);
            rundown.MethodDCStopVerbose += d => AddMethod(d.MethodStartAddress, d.MethodSize, d.ModuleID, d.MethodNamespace, d.MethodName, d.MethodSignature);
            rundown.MethodDCStartVerbose += d => AddMethod(d.MethodStartAddress, d.MethodSize, d.ModuleID, d.MethodNamespace, d.MethodName, d.MethodSignature);
            rundown.LoaderModuleDCStop += d => AddModule(d.ModuleID, d.ModuleILPath);
            rundown.LoaderModuleDCStart += d => AddModule(d.ModuleID, d.ModuleILPath);

            // The thread roles TraceLog infers (its first guess wins), shown in the thread frame as dotnet-trace does.
            source.Clr.GCFinalizersStart += d => SetRole(d.ThreadID, ".NET Finalizer Thread");
            source.Clr.GCFinalizersStop += d => SetRole(d.ThreadID, ".NET Finalizer Thread");
            source.Clr.ThreadPoolWorkerThreadAdjustmentSample += d => SetRole(d.ThreadID, ".NET ThreadPool");
            source.Clr.ThreadPoolIODequeue += d => SetRole(d.ThreadID, ".NET IO ThreadPool Worker");
            // Registering the rest gives the counted events their names (GC/Start rather than EventID(1)).
            source.Clr.All += _ => { };
            rundown.All += _ => { };
        }

        private void Count(TraceEvent e)
        {
            if (ProcessId < 0 && e.ProcessID >= 0) ProcessId = e.ProcessID;
            var key = (e.ProviderGuid, (int)e.ID);
            ref var entry = ref CollectionsMarshal.GetValueRefOrAddDefault(_eventCounts, key, out bool exists);
            if (!exists) entry.Name = $"{e.ProviderName}/{e.EventName}";
            entry.Count++;
            if (e.ProviderGuid == EventPipeProviderGuid && (int)e.ID == ProcessInfoEventId && CommandLine is null)
                CommandLine = ReadUtf16z(e);
        }

        /// <summary>The first payload field of an event as a NUL-terminated UTF-16 string (ProcessInfo's command line).</summary>
        private static unsafe string ReadUtf16z(TraceEvent e)
        {
            var span = new ReadOnlySpan<char>((void*)e.DataStart, e.EventDataLength / 2);
            int end = span.IndexOf('\0');
            return new string(end < 0 ? span : span[..end]);
        }

        private void SetRole(int threadId, string role) => _threadRoles.TryAdd(threadId, role);

        private void AddModule(long id, string ilPath)
        {
            if (string.IsNullOrEmpty(ilPath)) return;
            // dotnet-trace names a module by its file name without extension: System.Private.CoreLib.
            string file = ilPath.Replace('\\', '/');
            file = file[(file.LastIndexOf('/') + 1)..];
            if (file.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".exe", StringComparison.OrdinalIgnoreCase)) file = file[..^4];
            _modules.TryAdd(id, file);
        }

        private void AddMethod(ulong start, int size, long moduleId, string ns, string name, string signature)
        {
            if (size <= 0) return;
            // TraceLog's name: Namespace.Method plus the signature's argument list (the return type dropped).
            int paren = signature.IndexOf('(');
            string args = paren < 0 ? "" : signature[paren..];
            _methods.Add(new MethodRange(start, (uint)size, _methodNames.Count, moduleId));
            _methodNames.Add(ns.Length > 0 ? $"{ns}.{name}{args}" : $"{name}{args}");
        }

        private void OnStackEvent(TraceEvent data, bool onCpu)
        {
            int tid = data.ThreadID;
            if (tid < 0) return;
            int n = _stacks.Read(data, ref _addressBuffer);
            int node = Intern(_addressBuffer.AsSpan(0, n));
            if (!_threadIndex.TryGetValue(tid, out int t))
            {
                t = _threads.Count;
                _threadIndex.Add(tid, t);
                _threads.Add(new ThreadState { Id = tid });
            }
            _threads[t].Log(data.TimeStampRelativeMSec, node, onCpu, t, _samples);
        }

        /// <summary>Interns a leaf-first address stack; one hash lookup when the whole stack was seen before.</summary>
        private int Intern(ReadOnlySpan<ulong> leafFirst)
        {
            if (leafFirst.IsEmpty) return 0;
            var hash = StackHash.Hash(MemoryMarshal.AsBytes(leafFirst));
            if (_wholeStacks.TryGetValue(hash, out int known)) return known;
            int node = 0;
            for (int i = leafFirst.Length - 1; i >= 0; i--)
            {
                var key = (node, leafFirst[i]);
                if (!_nodeIndex.TryGetValue(key, out int child))
                {
                    child = _nodeParent.Count;
                    _nodeParent.Add(node);
                    _nodeAddress.Add(leafFirst[i]);
                    _nodeIndex.Add(key, child);
                }
                node = child;
            }
            _wholeStacks.Add(hash, node);
            return node;
        }

        public Profile Build(ReadOptions options)
        {
            var b = new ProfileBuilder([new SampleType("time", "nanoseconds")]);
            if (options.SourceName is not null) b.Name = Path.GetFileName(options.SourceName);
            long startNanos = SessionStart == default ? 0
                : (SessionStart.ToUniversalTime() - DateTime.UnixEpoch).Ticks * 100;
            b.TimeNanos = startNanos;
            b.DurationNanos = SessionDuration.Ticks * 100;

            var (processName, args) = SplitCommandLine(CommandLine);
            if (processName.Length == 0) processName = $"Process({ProcessId})";
            string processFrame = $"Process{(PointerSize == 4 ? 32 : 64)} {processName} ({ProcessId})" + (args.Length > 0 ? " Args: " + args : "");
            if (CommandLine is not null) b.Comments.Add("command line: " + CommandLine);
            b.Comments.Add(opts.CpuOnly
                ? "nettrace: CPU time only (samples in managed code); time outside managed code dropped"
                : $"nettrace: thread time; {CpuTimeFrame} = in managed code, {UnmanagedTimeFrame} = native code or blocked");
            foreach (var (name, count) in _eventCounts.Values.OrderByDescending(v => v.Count).ThenBy(v => v.Name, StringComparer.Ordinal))
                b.Comments.Add($"events: {name} {count.ToString(CultureInfo.InvariantCulture)}");

            var resolver = new AddressResolver(_methods, _methodNames, _modules);
            var locationOfAddress = new Dictionary<ulong, LocationId>();
            LocationId cpu = default, unmanaged = default;
            if (!opts.CpuOnly)
            {
                cpu = b.AddFrame(CpuTimeFrame);
                unmanaged = b.AddFrame(UnmanagedTimeFrame);
            }

            // Per thread: the grouping frames, then each address-trie node mapped to a model stack on demand.
            var threadRoots = new StackId[_threads.Count];
            var threadIds = new ThreadIndex[_threads.Count];
            for (int t = 0; t < _threads.Count; t++)
            {
                int tid = _threads[t].Id;
                string? role = _threadRoles.GetValueOrDefault(tid);
                var root = StackId.Empty;
                if (opts.ProcessFrames)
                {
                    root = b.Push(root, b.AddFrame(processFrame));
                    root = b.Push(root, b.AddFrame("(Non-Activities)"));
                    root = b.Push(root, b.AddFrame("Threads"));
                }
                root = b.Push(root, b.AddFrame($"Thread ({tid.ToString(CultureInfo.InvariantCulture)})" + (role is null ? "" : $" ({role})")));
                threadRoots[t] = root;
                threadIds[t] = b.AddThread(new ThreadInfo(tid, role ?? "", ProcessId, processName));
            }
            var spanStart = new long[_threads.Count];
            for (int t = 0; t < _threads.Count; t++) spanStart[t] = _threads[t].FirstStartNanos;
            var stackOf = new Dictionary<long, StackId>();
            var path = new List<int>();
            Span<long> value = stackalloc long[1];
            for (int t = 0; t < _threads.Count; t++) _threads[t].Flush(t, _samples);
            int kept = 0;
            foreach (var s in _samples.Items())
                if (!opts.CpuOnly || s.OnCpu) kept++;
            b.EnsureSampleCapacity(kept, timestamps: true);
            // Each chunk of the spans is released once it is in the builder, so the two do not add up.
            foreach (var s in _samples.Drain())
            {
                long from = spanStart[s.Thread];
                spanStart[s.Thread] = s.EndNanos;
                if (opts.CpuOnly && !s.OnCpu) continue;
                long key = ((long)s.Thread << 32) | (uint)s.Node;
                if (!stackOf.TryGetValue(key, out var stack))
                {
                    // Walk up to the nearest node already mapped for this thread, then push the rest root first.
                    path.Clear();
                    int n = s.Node;
                    stack = threadRoots[s.Thread];
                    while (n != 0)
                    {
                        if (stackOf.TryGetValue(((long)s.Thread << 32) | (uint)n, out var known)) { stack = known; break; }
                        path.Add(n);
                        n = _nodeParent[n];
                    }
                    for (int i = path.Count - 1; i >= 0; i--)
                    {
                        ulong address = _nodeAddress[path[i]];
                        if (!locationOfAddress.TryGetValue(address, out var loc))
                        {
                            loc = b.AddFrame(resolver.Name(address));
                            locationOfAddress.Add(address, loc);
                        }
                        stack = b.Push(stack, loc);
                        stackOf[((long)s.Thread << 32) | (uint)path[i]] = stack;
                    }
                }
                if (!opts.CpuOnly) stack = b.Push(stack, s.OnCpu ? cpu : unmanaged);
                value[0] = s.EndNanos - from;
                b.AddSample(stack, value, from, threadIds[s.Thread]);
            }
            return b.Build();
        }

        /// <summary>Splits a command line into the program's name (file name, no extension) and its arguments.</summary>
        internal static (string Name, string Args) SplitCommandLine(string? commandLine)
        {
            if (string.IsNullOrWhiteSpace(commandLine)) return ("", "");
            string cl = commandLine.Trim();
            string exe, args;
            if (cl[0] == '"')
            {
                int close = cl.IndexOf('"', 1);
                exe = close < 0 ? cl[1..] : cl[1..close];
                args = close < 0 ? "" : cl[(close + 1)..].Trim();
            }
            else
            {
                int space = cl.IndexOf(' ');
                exe = space < 0 ? cl : cl[..space];
                args = space < 0 ? "" : cl[(space + 1)..].Trim();
            }
            string file = exe.Replace('\\', '/');
            file = file[(file.LastIndexOf('/') + 1)..];
            if (file.EndsWith(".exe", StringComparison.OrdinalIgnoreCase)) file = file[..^4];
            return (file, args);
        }
    }

    /// <summary>
    /// One thread-time sample: a span of a thread's time with the stack seen at its start. A thread's spans
    /// follow each other without gaps (each ends where the thread's next begins), so only the end is kept,
    /// in nanoseconds from the session start: 16 bytes, as a 200 MB trace holds millions of these until its
    /// method addresses arrive at its end.
    /// </summary>
    private readonly struct TimedSample(int thread, int node, bool onCpu, long endNanos)
    {
        public readonly long EndNanos = endNanos;
        public readonly int Thread = thread;
        private readonly int _nodeAndKind = onCpu ? ~node : node;
        public int Node => _nodeAndKind < 0 ? ~_nodeAndKind : _nodeAndKind;
        public bool OnCpu => _nodeAndKind < 0;
    }

    /// <summary>An append-only list in fixed-size chunks: no doubling copies, and chunks can be let go one by one.</summary>
    private sealed class ChunkedList<T> where T : struct
    {
        private const int ChunkSize = 1 << 14;
        private readonly List<T[]?> _chunks = [];
        private int _countInLast = ChunkSize;

        public void Add(in T item)
        {
            if (_countInLast == ChunkSize) { _chunks.Add(new T[ChunkSize]); _countInLast = 0; }
            _chunks[^1]![_countInLast++] = item;
        }

        public IEnumerable<T> Items()
        {
            for (int c = 0; c < _chunks.Count; c++)
            {
                var chunk = _chunks[c]!;
                int n = c == _chunks.Count - 1 ? _countInLast : ChunkSize;
                for (int i = 0; i < n; i++) yield return chunk[i];
            }
        }

        /// <summary>Yields every item once, dropping each chunk after its last item; the list is empty afterwards.</summary>
        public IEnumerable<T> Drain()
        {
            for (int c = 0; c < _chunks.Count; c++)
            {
                var chunk = _chunks[c]!;
                int n = c == _chunks.Count - 1 ? _countInLast : ChunkSize;
                for (int i = 0; i < n; i++) yield return chunk[i];
                _chunks[c] = null;
            }
            _chunks.Clear();
            _countInLast = ChunkSize;
        }
    }

    /// <summary>
    /// A thread's state in dotnet-trace's thread-time computation: when it was last seen on CPU (with which stack)
    /// and when it was last seen blocked. Positive <see cref="_blockedSince"/> means blocked since then, otherwise
    /// running. Each span runs from one sample to the thread's next sample of the same kind or the other kind.
    /// </summary>
    private sealed class ThreadState
    {
        public int Id;
        private double _blockedSince, _cpuSince;
        private int _blockedNode, _cpuNode;

        public void Log(double timeMSec, int node, bool onCpu, int thread, ChunkedList<TimedSample> output)
        {
            // A thread not yet seen outside managed code counts as running, as dotnet-trace 10's TraceEvent has it.
            bool running = _blockedSince <= 0, blocked = _blockedSince > 0;
            if (onCpu)
            {
                if (running) EmitCpu(timeMSec, thread, output);
                else if (blocked)
                {
                    EmitBlocked(timeMSec, thread, output);
                    _blockedSince = -timeMSec;
                }
                _cpuSince = timeMSec;
                _cpuNode = node;
            }
            else
            {
                if (blocked) EmitBlocked(timeMSec, thread, output);
                else if (running) EmitCpu(timeMSec, thread, output);
                _blockedSince = timeMSec;
                _blockedNode = node;
            }
        }

        /// <summary>Where the thread's first span starts, in nanoseconds from the session start (-1: no span yet).</summary>
        public long FirstStartNanos = -1;

        private void EmitCpu(double now, int thread, ChunkedList<TimedSample> output)
        {
            if (_cpuSince > 0) Emit(_cpuSince, now, thread, _cpuNode, true, output);
        }

        private void EmitBlocked(double now, int thread, ChunkedList<TimedSample> output)
        {
            if (_blockedSince > 0) Emit(_blockedSince, now, thread, _blockedNode, false, output);
        }

        // The thread's latest span, held back while the next ones extend it: a thread blocked in one place for
        // a second is one sample of a second, not a thousand of a millisecond (the same time and timeline in
        // far less memory; dotnet-trace's speedscope output joins such runs into one event too).
        private bool _hasPending, _pendingOnCpu;
        private int _pendingNode;
        private long _pendingEnd;

        private void Emit(double since, double now, int thread, int node, bool onCpu, ChunkedList<TimedSample> output)
        {
            if (FirstStartNanos < 0) FirstStartNanos = ToNanos(since);
            long end = ToNanos(now);
            if (_hasPending && _pendingNode == node && _pendingOnCpu == onCpu)
            {
                _pendingEnd = end;
                return;
            }
            Flush(thread, output);
            (_hasPending, _pendingNode, _pendingOnCpu, _pendingEnd) = (true, node, onCpu, end);
        }

        /// <summary>Appends the held-back span, if any.</summary>
        public void Flush(int thread, ChunkedList<TimedSample> output)
        {
            if (_hasPending) output.Add(new TimedSample(thread, _pendingNode, _pendingOnCpu, _pendingEnd));
            _hasPending = false;
        }
    }

    /// <summary>Milliseconds to whole nanoseconds, rounded: equal times give equal ends, so spans meet exactly.</summary>
    private static long ToNanos(double msec) => (long)Math.Round(msec * 1_000_000);

    private readonly record struct MethodRange(ulong Start, uint Size, int Name, long Module);

    /// <summary>Maps code addresses to <c>Module!Method</c> names by binary search over the methods' ranges.</summary>
    private sealed class AddressResolver
    {
        private readonly MethodRange[] _ranges;
        private readonly List<string> _names;
        private readonly Dictionary<long, string> _modules;

        public AddressResolver(List<MethodRange> methods, List<string> names, Dictionary<long, string> modules)
        {
            _ranges = [.. methods];
            // Stable by start: a method reported at load and again at rundown keeps its first (identical) entry.
            Array.Sort(_ranges, (a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : a.Name.CompareTo(b.Name));
            _names = names;
            _modules = modules;
        }

        public string Name(ulong address)
        {
            int lo = 0, hi = _ranges.Length - 1, found = -1;
            while (lo <= hi)
            {
                int mid = (lo + hi) >>> 1;
                if (_ranges[mid].Start <= address) { found = mid; lo = mid + 1; }
                else hi = mid - 1;
            }
            // Ranges of distinct methods never overlap, but a method seen twice appears twice: look back over
            // entries with the same start to the first one covering the address.
            for (int i = found; i >= 0 && i > found - 4; i--)
            {
                var r = _ranges[i];
                if (address >= r.Start && address - r.Start < r.Size)
                {
                    string module = _modules.GetValueOrDefault(r.Module) ?? "?";
                    return module + "!" + _names[r.Name];
                }
            }
            return UnresolvedFrame;
        }
    }
}
