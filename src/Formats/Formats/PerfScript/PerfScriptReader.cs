using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using FlameKit.Formats.Internal;

namespace FlameKit.Formats.PerfScript;

/// <summary>
/// Reads the text <c>perf script</c> prints (the input of stackcollapse-perf.pl): a sample header line
/// (<c>comm pid[/tid] [cpu] time: [period] event:</c>), indented frame lines (<c>addr symbol+off (dso)</c>),
/// leaf first, and a blank line after each sample. Frames are named exactly as stackcollapse-perf.pl
/// (FlameGraph 41fee1f) names them, so writing the profile as folded text reproduces its output byte for byte.
/// </summary>
/// <remarks>
/// <para>Rules, as the script applies them: the root frame is the process name (<c>comm</c>, spaces turned
/// into <c>_</c>; with <see cref="PerfScriptOptions.IncludePid"/> <c>comm-PID</c>, with
/// <see cref="PerfScriptOptions.IncludeTid"/> <c>comm-PID/TID</c>, where the PID is <c>?</c> when perf printed
/// only a TID). A symbol's <c>+0x…</c> offset is dropped; <c>[unknown]</c> becomes the module's file name in
/// brackets (<c>[libc.so.6]</c>, with <see cref="PerfScriptOptions.Addrs"/> <c>[libc.so.6 &lt;addr&gt;]</c>)
/// or <c>[unknown]</c>; <c>;</c> becomes <c>:</c>, everything from the first <c>(</c> on is dropped (unless the
/// name looks like a Go method <c>pkg.(*T).M</c>, or the parenthesis opens <c>(anonymous namespace)</c>), quotes
/// are dropped, and in processes whose name starts with <c>java</c> the JVM's leading <c>L</c> of a class
/// path is dropped. Symbols of the form <c>a-&gt;b</c> (perf's inline chains) become several frames, the
/// inlined ones suffixed <c>_[i]</c>; <c>_[k]</c> and <c>_[j]</c> mark kernel and JIT frames when asked.
/// Each sample weighs its period (1 when perf printed none, or printed 0); when several events are
/// interleaved only samples of the first event (or of <see cref="PerfScriptOptions.EventFilter"/>) are kept.
/// Lines starting with <c>#</c> are comments; unrecognised lines are skipped and reported through
/// <see cref="ReadOptions.Diagnostics"/>; a last sample with no blank line after it is dropped (and reported),
/// as the script drops it. Deliberate difference: a line holding only <c>\r</c> also ends a sample (CRLF files).
/// Source-line expansion through addr2line (the script's <c>--inline</c>) is not supported.</para>
/// <para>The model holds one sample per distinct collapsed stack (root frame included) whose value is the sum
/// of the periods of the perf samples with that stack, in order of first appearance; timestamps, CPUs and
/// threads are not kept, unless <see cref="PerfScriptOptions.KeepTimeline"/> asks for every sample in input
/// order with its time and thread (CPUs are never kept). Stacks are recognised by a hash of their frame lines without the varying parts
/// (addresses, offsets), so a repeated stack is never re-tidied. Big inputs are cut at blank lines into blocks
/// that two or more threads collapse independently; the per-thread tables are merged at the end, so the
/// result does not depend on the thread count.</para>
/// </remarks>
public sealed class PerfScriptReader : IProfileReader
{
    /// <summary>The perf script format description.</summary>
    public static ProfileFormat PerfFormat { get; } = new("perf", "Linux perf script text (stackcollapse-perf.pl input)", [".perf", ".perf-script", ".perf.txt"]);

    /// <summary>Block size the input is cut into (at sample boundaries) for the worker threads.</summary>
    internal const int DefaultBlockSize = 2 << 20;

    /// <inheritdoc/>
    public ProfileFormat Format => PerfFormat;

    /// <inheritdoc/>
    public Detection Detect(ReadOnlySpan<byte> head, bool isComplete)
    {
        int lines = 0;
        bool sawHeader = false, headerPending = false;
        while (!head.IsEmpty && lines < 400)
        {
            int nl = head.IndexOf((byte)'\n');
            if (nl < 0 && !isComplete) break;
            var line = nl < 0 ? head : head[..nl];
            head = nl < 0 ? default : head[(nl + 1)..];
            lines++;
            if (line.IndexOf((byte)0) >= 0) return Detection.No;
            if (!line.IsEmpty && line[^1] == (byte)'\r') line = line[..^1];
            if (line.IsEmpty) { headerPending = false; continue; }
            if (line[0] == (byte)'#') continue;
            if (!Syntax.IsSpace(line[0]))
            {
                // A header; perf script -F without 'event' prints none, so the event is only needed without frames.
                if (Syntax.TryParseHeader(line, out _, out _, out _))
                {
                    sawHeader |= Syntax.TryParseEvent(line, out _, out _);
                    headerPending = true;
                    continue;
                }
                // Old perf versions print frame lines without indentation.
                if (!headerPending || !Syntax.TryParseFrame(line, out _, out _, out _)) return Detection.No;
                return Detection.Yes;
            }
            if (!headerPending) return Detection.No;
            // A header followed by an indented "addr symbol (dso)" line is unmistakable.
            if (Syntax.TryParseFrame(line, out _, out _, out _)) return Detection.Yes;
            return Detection.No;
        }
        return sawHeader ? Detection.Maybe : Detection.No;
    }

    /// <inheritdoc/>
    public Profile Read(Stream input, ReadOptions options) =>
        Read(input, options, Math.Clamp(Environment.ProcessorCount, 1, 4), DefaultBlockSize);

    /// <summary>Reads with a given number of collapsing threads and block size (tests compare 1 and 2 threads).</summary>
    internal static Profile Read(Stream input, ReadOptions options, int threads, int blockSize)
    {
        var perf = options.Perf ?? PerfScriptOptions.Default;
        var config = new Config(perf);
        var blocks = new BlockingCollection<Block>(boundedCapacity: Math.Max(2, threads * 2));
        Collapser[]? workers = null;
        Thread[]? threadList = null;
        Exception? workerError = null;
        long line = 1;
        int index = 0;
        byte[] buf = ArrayPool<byte>.Shared.Rent(blockSize);
        int carry = 0;
        try
        {
            while (true)
            {
                int n = ReadFully(input, buf, carry);
                int total = carry + n;
                bool eof = total < buf.Length;
                int cut = eof ? total : LastBoundary(buf.AsSpan(0, total));
                if (cut <= 0 && !eof)
                {
                    // One sample longer than the buffer: grow and read on.
                    var bigger = ArrayPool<byte>.Shared.Rent(buf.Length * 2);
                    buf.AsSpan(0, total).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buf);
                    buf = bigger;
                    carry = total;
                    continue;
                }
                if (workers is null)
                {
                    // The default event filter is the first event of the input: find it before splitting the
                    // work, or collapse on one thread when the first block names none (the filter then follows
                    // the input as the script's does).
                    byte[]? filter = config.Filter;
                    bool parallel = threads > 1 && (filter is not null || (filter = Syntax.FirstEvent(buf.AsSpan(0, cut))) is not null);
                    if (filter is not null && config.Filter is null) { config.Filter = filter; config.FilterDefaulted = true; }
                    int count = parallel ? threads : 1;
                    workers = new Collapser[count];
                    threadList = new Thread[count];
                    for (int t = 0; t < count; t++)
                    {
                        var w = workers[t] = new Collapser(config);
                        threadList[t] = new Thread(() =>
                        {
                            try
                            {
                                foreach (var b in blocks.GetConsumingEnumerable())
                                {
                                    if (workerError is null) w.Process(b.Data.AsSpan(0, b.Length), b.Index, b.FirstLine, b.IsLast);
                                    ArrayPool<byte>.Shared.Return(b.Data);
                                }
                            }
                            catch (Exception e)
                            {
                                Interlocked.CompareExchange(ref workerError, e, null);
                                foreach (var b in blocks.GetConsumingEnumerable()) ArrayPool<byte>.Shared.Return(b.Data);
                            }
                        }) { IsBackground = true, Name = "flamekit perf collapse" };
                        threadList[t].Start();
                    }
                }
                var next = ArrayPool<byte>.Shared.Rent(blockSize);
                int rest = total - cut;
                if (rest > next.Length)
                {
                    ArrayPool<byte>.Shared.Return(next);
                    next = ArrayPool<byte>.Shared.Rent(rest * 2);
                }
                buf.AsSpan(cut, rest).CopyTo(next);
                long lines = buf.AsSpan(0, cut).Count((byte)'\n');
                blocks.Add(new Block(buf, cut, index++, line, eof));
                line += lines;
                buf = next;
                carry = rest;
                if (eof) break;
            }
        }
        finally
        {
            blocks.CompleteAdding();
            if (threadList is not null) foreach (var t in threadList) t.Join();
            ArrayPool<byte>.Shared.Return(buf);
        }
        if (workerError is not null) throw workerError is ProfileFormatException ? workerError : new InvalidOperationException("perf script collapse failed", workerError);
        return Finish(workers!, config, options);
    }

    private static Profile Finish(Collapser[] workers, Config config, ReadOptions options)
    {
        // Merge per-thread tables; order distinct stacks by where they first appear.
        var byHash = new Dictionary<UInt128, int>();
        var merged = new List<Collapser.Entry>();
        long unrecognized = 0, firstUnrecognized = long.MaxValue, samples = 0;
        bool filtered = false;
        long droppedLast = 0;
        var toMerged = new int[workers.Length][];
        for (int wi = 0; wi < workers.Length; wi++)
        {
            var w = workers[wi];
            var map = toMerged[wi] = new int[w.Entries.Count];
            unrecognized += w.Unrecognized;
            if (w.Unrecognized > 0) firstUnrecognized = Math.Min(firstUnrecognized, w.FirstUnrecognized);
            filtered |= w.FilteredOut;
            samples += w.Samples;
            if (w.DroppedLastLine > 0) droppedLast = w.DroppedLastLine;
            for (int i = 0; i < w.Entries.Count; i++)
            {
                var e = w.Entries[i];
                if (byHash.TryGetValue(e.Hash, out int at))
                {
                    var m = merged[at];
                    m.Value += e.Value;
                    if (e.First < m.First) m.First = e.First;
                    merged[at] = m;
                }
                else
                {
                    at = merged.Count;
                    byHash.Add(e.Hash, at);
                    merged.Add(e);
                }
                map[i] = at;
            }
        }
        var diag = options.Diagnostics;
        byte[]? filter = config.Filter ?? workers[0].Filter;
        bool defaulted = config.Filter is null || config.FilterDefaulted;
        if (merged.Count == 0)
        {
            if (filter is not null && !defaulted)
                throw new ProfileFormatException("perf", $"no samples of event \"{System.Text.Encoding.UTF8.GetString(filter)}\"");
            if (unrecognized > 0)
                throw new ProfileFormatException("perf", "expected a sample header 'comm pid[/tid] [cpu] time: [period] event:' or an indented frame line 'addr symbol (dso)'", firstUnrecognized);
            if (droppedLast > 0)
                throw new ProfileFormatException("perf", "truncated input: the sample has no blank line after it", droppedLast);
            throw new ProfileFormatException("perf", "no samples found: expected 'comm pid [cpu] time: [period] event:' headers, each followed by frame lines and a blank line", 1);
        }
        if (unrecognized > 0)
            diag?.Invoke(new Diagnostic($"ignored {unrecognized} unrecognized line{(unrecognized == 1 ? "" : "s")} (first at line {firstUnrecognized})"));
        if (droppedLast > 0)
            diag?.Invoke(new Diagnostic($"ignored the last sample (line {droppedLast}): no blank line after it, as stackcollapse-perf.pl ignores it"));
        if (filtered && defaulted)
            diag?.Invoke(new Diagnostic($"several events in the input: kept only samples of the first, {System.Text.Encoding.UTF8.GetString(filter!)} (choose another with an event filter)"));

        // Distinct stacks are interned in order of first appearance (so is the sample order without timeline).
        var order = new int[merged.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(order, (x, y) => merged[x].First.CompareTo(merged[y].First));
        // Named "samples" as flamegraph.pl names the counts of stackcollapse-perf.pl's output, so a graph drawn
        // straight from perf script text is the one drawn from the collapsed file; the event is a comment.
        var b = new ProfileBuilder([new SampleType("samples", "count")]);
        if (filter is not null) b.Comments.Add("perf event: " + System.Text.Encoding.UTF8.GetString(filter));
        var frames = new Utf8KeyTable();
        Span<long> value = stackalloc long[1];
        var stackOf = new StackId[merged.Count];
        foreach (int m in order)
        {
            var e = merged[m];
            var s = StackId.Empty;
            foreach (var name in e.Names)
            {
                if (!frames.TryGetValue(name, out int loc, out ulong h))
                {
                    loc = b.AddFrame(b.Strings.InternUtf8(name)).Index;
                    frames.Add(name, h, loc);
                }
                s = b.Push(s, new LocationId(loc));
            }
            stackOf[m] = s;
            if (config.Timeline) continue;
            value[0] = e.Value;
            b.AddSample(s, value);
        }
        if (config.Timeline) AddTimeline(b, workers, toMerged, stackOf);
        if (options.SourceName is not null) b.Name = Path.GetFileName(options.SourceName);
        return b.Build();
    }

    /// <summary>Adds every kept perf sample in input order (blocks by index), with its time and thread.</summary>
    private static void AddTimeline(ProfileBuilder b, Collapser[] workers, int[][] toMerged, StackId[] stackOf)
    {
        var blocks = new List<(int Block, int Worker, List<Collapser.TimedSample> Samples)>();
        for (int wi = 0; wi < workers.Length; wi++)
            foreach (var (block, samples) in workers[wi].Timeline) blocks.Add((block, wi, samples));
        blocks.Sort((x, y) => x.Block.CompareTo(y.Block));
        // A thread is named after the comm of its first sample in input order, whichever worker saw it.
        var threads = new Dictionary<(long, long), ThreadIndex>();
        var local = new ThreadIndex?[workers.Length][];
        for (int wi = 0; wi < workers.Length; wi++) local[wi] = new ThreadIndex?[workers[wi].Threads.Count];
        Span<long> value = stackalloc long[1];
        foreach (var (_, wi, samples) in blocks)
        {
            var map = toMerged[wi];
            foreach (var t in samples)
            {
                if (local[wi][t.Thread] is not ThreadIndex thread)
                {
                    var pt = workers[wi].Threads[t.Thread];
                    if (!threads.TryGetValue((pt.Pid, pt.Tid), out thread))
                        threads.Add((pt.Pid, pt.Tid), thread = b.AddThread(new ThreadInfo(pt.Tid, pt.Comm, pt.Pid)));
                    local[wi][t.Thread] = thread;
                }
                value[0] = t.Period;
                b.AddSample(stackOf[map[t.Entry]], value, t.TimeNanos, thread);
            }
        }
    }

    private static int ReadFully(Stream s, byte[] buffer, int offset)
    {
        int total = 0;
        while (offset + total < buffer.Length)
        {
            int n = s.Read(buffer, offset + total, buffer.Length - offset - total);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    /// <summary>The index just after the last blank line (<c>\n\n</c> or <c>\n\r\n</c>), or 0.</summary>
    private static int LastBoundary(ReadOnlySpan<byte> data)
    {
        int a = data.LastIndexOf("\n\n"u8);
        int b = data.LastIndexOf("\n\r\n"u8);
        int endA = a < 0 ? 0 : a + 2, endB = b < 0 ? 0 : b + 3;
        return Math.Max(endA, endB);
    }

    private sealed record Block(byte[] Data, int Length, int Index, long FirstLine, bool IsLast);

    internal sealed class Config(PerfScriptOptions o)
    {
        public readonly bool Pid = o.IncludePid, Tid = o.IncludeTid, Kernel = o.AnnotateKernel || o.All, Jit = o.AnnotateJit || o.All, Addrs = o.Addrs;
        public readonly bool Timeline = o.KeepTimeline;
        public byte[]? Filter = string.IsNullOrEmpty(o.EventFilter) ? null : System.Text.Encoding.UTF8.GetBytes(o.EventFilter);
        public bool FilterDefaulted;
    }

    /// <summary>
    /// One thread's collapsing state: the script's line-by-line state machine, plus a table of distinct stacks
    /// keyed by a 128-bit hash of the root name and each frame line's naming inputs.
    /// </summary>
    internal sealed class Collapser(Config config)
    {
        internal struct Entry
        {
            public UInt128 Hash;
            public long Value;
            public long First; // block index << 32 | offset in block: the same for any thread count
            public byte[][] Names;
        }

        /// <summary>One kept perf sample, with timeline on: its entry, thread (in <see cref="Threads"/>), time and period.</summary>
        internal struct TimedSample
        {
            public int Entry, Thread;
            public long TimeNanos, Period;
        }

        /// <summary>A thread as perf names it: PID (0 when perf printed only a TID), TID and <c>comm</c>.</summary>
        internal readonly record struct PerfThread(long Pid, long Tid, string Comm);

        public readonly List<Entry> Entries = [];
        /// <summary>With timeline on: the kept samples of each block this collapser processed, by block index.</summary>
        public readonly List<(int Block, List<TimedSample> Samples)> Timeline = [];
        /// <summary>With timeline on: the threads <see cref="TimedSample.Thread"/> refers to.</summary>
        public readonly List<PerfThread> Threads = [];
        private readonly Dictionary<(long, long), int> _threadIndex = [];
        private List<TimedSample>? _blockSamples;
        private long _time;
        private int _thread;
        public long Unrecognized, FirstUnrecognized, Samples, DroppedLastLine;
        public bool FilteredOut;

        private readonly Hash128Map _stacks = new(4096);
        private readonly Hash128Map _rawStacks = new(4096); // raw sample hash (see FastSample) -> entry
        private UInt128 _rawKey;
        private bool _pendingRaw, _clean;
        private readonly Utf8KeyTable _frameKeys = new(4096);
        private readonly List<byte[][]> _frameNames = [];
        private byte[] _key = new byte[4096]; // root name, 0xFF, then one record per frame line (leaf first)
        private int _keyLen, _rootLen;
        private bool _hasRoot, _javaRoot;
        private long _period, _sampleLine;
        private byte[]? _filter = config.Filter;

        /// <summary>The event samples were kept for (the first one seen when no filter was given).</summary>
        public byte[]? Filter => _filter;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Process(ReadOnlySpan<byte> block, int blockIndex, long firstLine, bool isLast)
        {
            int pos = 0;
            long lineNo = firstLine;
            if (config.Timeline)
            {
                _blockSamples = [];
                Timeline.Add((blockIndex, _blockSamples));
            }
            bool fast = block.IndexOf((byte)'\r') < 0; // CRLF input takes the line-by-line path only
            while (pos < block.Length)
            {
                int start = pos;
                if (fast && !_hasRoot && !Syntax.IsSpace(block[pos]) && block[pos] != (byte)'#' && FastSample(block, ref pos, ref lineNo))
                    continue;
                int nl = block[pos..].IndexOf((byte)'\n');
                ReadOnlySpan<byte> line;
                if (nl < 0) { line = block[pos..]; pos = block.Length; }
                else { line = block.Slice(pos, nl); pos += nl + 1; }
                if (line.IsEmpty || (line.Length == 1 && line[0] == (byte)'\r'))
                    EndSample(((long)blockIndex << 32) | (uint)start);
                else if (line[0] != (byte)'#')
                    Line(line, lineNo);
                else _clean = false;
                lineNo++;
            }
            if (isLast && _hasRoot)
            {
                DroppedLastLine = _sampleLine;
                _hasRoot = false;
                _keyLen = 0;
                _pendingRaw = false;
            }
        }

        /// <summary>
        /// At a line that may be a sample header (no sample pending): reads the header, then recognises the
        /// sample by a hash of its leaf frame's naming inputs and the raw bytes of its other frame lines (whose
        /// addresses and offsets repeat with the stack, unlike the leaf's). A known sample is counted without
        /// looking at its lines; a new one is left to the line-by-line path, which records its raw hash if
        /// every line was an ordinary frame line. Returns false when it consumed nothing.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private bool FastSample(ReadOnlySpan<byte> block, ref int pos, ref long lineNo)
        {
            int nl = block[pos..].IndexOf((byte)'\n');
            if (nl < 0) return false;
            int headerStart = pos;
            if (!Header(block.Slice(pos, nl), lineNo)) return false; // not a header: the line-by-line path decides
            int framesStart = pos + nl + 1;
            pos = framesStart;
            lineNo++;
            if (!_hasRoot) return true; // filtered out: its frame lines are skipped line by line
            int rel = block[(framesStart - 1)..].IndexOf("\n\n"u8);
            if (rel < 0) return true;
            int blank = framesStart + rel; // the empty line that ends the sample
            int restStart = framesStart;
            if (blank > framesStart)
            {
                int leafEnd = framesStart + block[framesStart..].IndexOf((byte)'\n');
                var leaf = block[framesStart..leafEnd];
                if (!Syntax.IsSpace(leaf[0]) || !Syntax.TryParseFrame(leaf, out var pc, out var func, out var mod)) return true;
                AppendFrame(pc, func, mod);
                restStart = leafEnd + 1;
                pos = restStart;
                lineNo++;
            }
            Span<UInt128> pair = stackalloc UInt128[2];
            pair[0] = StackHash.Hash(_key.AsSpan(0, _keyLen));
            pair[1] = StackHash.Hash(block[restStart..blank]);
            var raw = StackHash.Hash(System.Runtime.InteropServices.MemoryMarshal.AsBytes(pair));
            if (_rawStacks.TryGetValue(raw, out int at))
            {
                System.Runtime.InteropServices.CollectionsMarshal.AsSpan(Entries)[at].Value += _period;
                Samples++;
                _blockSamples?.Add(new TimedSample { Entry = at, Thread = _thread, TimeNanos = _time, Period = _period });
                _hasRoot = false;
                _keyLen = 0;
                lineNo = _sampleLine + block[headerStart..(blank + 1)].Count((byte)'\n');
                pos = blank + 1;
                return true;
            }
            _pendingRaw = true;
            _clean = true;
            _rawKey = raw;
            return true;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Line(ReadOnlySpan<byte> line, long lineNo)
        {
            if (!Syntax.IsSpace(line[0]))
            {
                _clean = false;
                if (Header(line, lineNo)) return;
            }
            if (!Syntax.TryParseFrame(line, out var pc, out var func, out var mod))
            {
                _clean = false;
                if (Unrecognized++ == 0) FirstUnrecognized = lineNo;
                return;
            }
            if (!_hasRoot) return; // a sample of a filtered-out event
            AppendFrame(pc, func, mod);
        }

        /// <summary>
        /// Records what a frame's name depends on: the symbol without offset, the module, the address (only
        /// --addrs uses it), and whether the process counts as Java at this point.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void AppendFrame(ReadOnlySpan<byte> pc, ReadOnlySpan<byte> func, ReadOnlySpan<byte> mod)
        {
            int need = _keyLen + func.Length + mod.Length + pc.Length + 16;
            if (need > _key.Length) Array.Resize(ref _key, Math.Max(need, _key.Length * 2));
            var k = _key.AsSpan(_keyLen);
            k[0] = _javaRoot ? (byte)1 : (byte)0;
            Unsafe.WriteUnaligned(ref k[1], func.Length);
            func.CopyTo(k[5..]);
            int o = 5 + func.Length;
            Unsafe.WriteUnaligned(ref k[o], mod.Length);
            mod.CopyTo(k[(o + 4)..]);
            o += 4 + mod.Length;
            if (config.Addrs)
            {
                Unsafe.WriteUnaligned(ref k[o], pc.Length);
                pc.CopyTo(k[(o + 4)..]);
                o += 4 + pc.Length;
            }
            _keyLen += o;
        }

        private bool Header(ReadOnlySpan<byte> line, long lineNo)
        {
            if (!Syntax.TryParseHeader(line, out var comm, out var pid, out var tid, out int fieldsStart)) return false;
            long period = 1;
            if (Syntax.TryParseEvent(line, out var ev, out var periodDigits))
            {
                if (_filter is null) _filter = ev.ToArray();
                else if (!ev.SequenceEqual(_filter))
                {
                    FilteredOut = true;
                    return true; // the script skips the rest of the header: the root name stays as it was
                }
                // Perl: `not $period` is true for an empty or "0" period, which then counts 1.
                if (!periodDigits.IsEmpty && !(periodDigits.Length == 1 && periodDigits[0] == (byte)'0'))
                    period = ParseId(periodDigits);
            }
            _period = period;
            _sampleLine = lineNo;
            // Perl: `not $tid` is true for a missing or "0" TID; the TID is then the PID and the PID is "?".
            bool noTid = tid.IsEmpty || (tid.Length == 1 && tid[0] == (byte)'0');
            ReadOnlySpan<byte> p = noTid ? "?"u8 : pid, t = noTid ? pid : tid;
            if (config.Timeline) TimelineHeader(line[fieldsStart..], comm, noTid ? 0 : ParseId(pid), ParseId(t));
            int rootLen = comm.Length + (config.Tid ? 2 + p.Length + t.Length : config.Pid ? 1 + p.Length : 0);
            // Frames already recorded (a header without a blank line before it) keep their place after the root.
            int frames = _hasRoot ? _keyLen - (_rootLen + 1) : 0;
            int need = rootLen + 1 + frames + 16;
            if (need > _key.Length) Array.Resize(ref _key, Math.Max(need, _key.Length * 2));
            if (frames > 0) _key.AsSpan(_rootLen + 1, frames).CopyTo(_key.AsSpan(rootLen + 1));
            var k = _key.AsSpan();
            comm.CopyTo(k);
            for (int i = 0; i < comm.Length; i++) if (k[i] == (byte)' ') k[i] = (byte)'_';
            int o = comm.Length;
            if (config.Tid || config.Pid)
            {
                k[o++] = (byte)'-';
                p.CopyTo(k[o..]); o += p.Length;
                if (config.Tid)
                {
                    k[o++] = (byte)'/';
                    t.CopyTo(k[o..]); o += t.Length;
                }
            }
            k[o] = 0xFF;
            _rootLen = rootLen;
            _keyLen = rootLen + 1 + frames;
            _hasRoot = true;
            _javaRoot = k[..rootLen].StartsWith("java"u8);
            return true;
        }

        /// <summary>Timeline only: the time and thread of the sample this header starts.</summary>
        private void TimelineHeader(ReadOnlySpan<byte> fields, ReadOnlySpan<byte> comm, long pid, long tid)
        {
            // A header without a time (perf script -F without 'time') keeps the previous sample's time.
            if (Syntax.TryParseTime(fields, out long t)) _time = t;
            if (!_threadIndex.TryGetValue((pid, tid), out _thread))
            {
                _thread = Threads.Count;
                Threads.Add(new PerfThread(pid, tid, System.Text.Encoding.UTF8.GetString(comm)));
                _threadIndex.Add((pid, tid), _thread);
            }
        }

        /// <summary>A decimal number (PID, TID, period), saturating rather than overflowing.</summary>
        private static long ParseId(ReadOnlySpan<byte> digits)
        {
            long v = 0;
            foreach (byte c in digits) v = v > (long.MaxValue - 9) / 10 ? long.MaxValue : v * 10 + (c - '0');
            return v;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void EndSample(long position)
        {
            if (!_hasRoot) return;
            var key = _key.AsSpan(0, _keyLen);
            var h = StackHash.Hash(key);
            Samples++;
            if (_stacks.TryGetValue(h, out int at))
            {
                ref var e = ref System.Runtime.InteropServices.CollectionsMarshal.AsSpan(Entries)[at];
                e.Value += _period;
            }
            else
            {
                at = Entries.Count;
                _stacks.Add(h, at);
                Entries.Add(new Entry { Hash = h, Value = _period, First = position, Names = Collapse(key) });
            }
            _blockSamples?.Add(new TimedSample { Entry = at, Thread = _thread, TimeNanos = _time, Period = _period });
            if (_pendingRaw && _clean) _rawStacks.Add(_rawKey, at);
            _pendingRaw = false;
            _hasRoot = false;
            _keyLen = 0;
        }

        /// <summary>Names a new stack, root first, from its key (root name, then frame records leaf first).</summary>
        private byte[][] Collapse(ReadOnlySpan<byte> key)
        {
            var perLine = new List<byte[][]>();
            int o = _rootLen + 1;
            while (o < key.Length)
            {
                int start = o;
                int fl = Unsafe.ReadUnaligned<int>(in key[o + 1]);
                o += 5 + fl;
                int ml = Unsafe.ReadUnaligned<int>(in key[o]);
                o += 4 + ml;
                if (config.Addrs) o += 4 + Unsafe.ReadUnaligned<int>(in key[o]);
                var record = key[start..o];
                if (!_frameKeys.TryGetValue(record, out int id, out ulong hash))
                {
                    id = _frameNames.Count;
                    _frameNames.Add(FrameNames(record));
                    _frameKeys.Add(record, hash, id);
                }
                perLine.Add(_frameNames[id]);
            }
            var names = new List<byte[]>(perLine.Count + 1) { key[.._rootLen].ToArray() };
            for (int i = perLine.Count - 1; i >= 0; i--) names.AddRange(perLine[i]);
            return [.. names];
        }

        private byte[][] FrameNames(ReadOnlySpan<byte> record)
        {
            bool java = record[0] != 0;
            int fl = Unsafe.ReadUnaligned<int>(in record[1]);
            var func = record.Slice(5, fl);
            int o = 5 + fl;
            int ml = Unsafe.ReadUnaligned<int>(in record[o]);
            var mod = record.Slice(o + 4, ml);
            o += 4 + ml;
            var pc = config.Addrs ? record.Slice(o + 4, Unsafe.ReadUnaligned<int>(in record[o])) : default;
            return Syntax.NameFrames(func, mod, pc, java, config.Kernel, config.Jit, config.Addrs);
        }
    }
}
