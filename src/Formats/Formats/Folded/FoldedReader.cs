using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FlameKit.Formats.Internal;

namespace FlameKit.Formats.Folded;

/// <summary>
/// Reads folded (collapsed) stacks, the text flamegraph.pl reads: one line per stack, frames root first
/// separated by <c>;</c>, whitespace, then a count. Accepts integer and decimal counts, blank lines,
/// CRLF, a UTF-8 byte order mark, and the differential form <c>stack before after</c> that difffolded.pl
/// writes (read as two sample types, <see cref="BeforeType"/> and <see cref="AfterType"/>).
/// </summary>
/// <remarks>
/// <para>Parsing follows flamegraph.pl's rule <c>^(.*)\s+?(\d+(?:\.\d*)?)$</c>: the count is the trailing
/// number, the single whitespace character before it is dropped, and everything before that is the
/// stack (so a second trailing number makes the line differential). Frames are split on <c>;</c> with
/// trailing empty frames dropped. Lines that do not match are skipped, as flamegraph.pl skips them, and
/// reported through <see cref="ReadOptions.Diagnostics"/>; input with no valid line at all is an error.</para>
/// <para>Each line becomes one sample, in input order (so flame charts keep the order); identical stacks
/// share one interned stack. Decimal counts are stored scaled (see <see cref="SampleType.DecimalPlaces"/>).</para>
/// </remarks>
public sealed class FoldedReader : IProfileReader
{
    /// <summary>Sample type name of the first count of a differential line.</summary>
    public const string BeforeType = "before";

    /// <summary>Sample type name of the second count of a differential line.</summary>
    public const string AfterType = "after";

    /// <summary>The most decimal places kept from fractional counts (more are rounded).</summary>
    public const int MaxDecimalPlaces = 9;

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    /// <summary>The folded format description.</summary>
    public static ProfileFormat FoldedFormat { get; } = new("folded", "folded stacks (flamegraph.pl collapsed text)", [".folded", ".collapsed", ".txt"]);

    /// <inheritdoc/>
    public ProfileFormat Format => FoldedFormat;

    /// <inheritdoc/>
    public Detection Detect(ReadOnlySpan<byte> head, bool isComplete)
    {
        if (head.StartsWith(Utf8Bom)) head = head[3..];
        int lines = 0, matched = 0;
        while (!head.IsEmpty && lines < 200)
        {
            int nl = head.IndexOf((byte)'\n');
            if (nl < 0 && !isComplete) break; // a partial last line proves nothing
            var line = nl < 0 ? head : head[..nl];
            head = nl < 0 ? default : head[(nl + 1)..];
            line = TrimEnd(line);
            if (line.IsEmpty) continue;
            if (line.IndexOf((byte)0) >= 0) return Detection.No; // binary
            lines++;
            if (TryParseCount(line, out int start, out _, out _) && start > 0) matched++;
        }
        if (lines == 0 || matched == 0) return Detection.No;
        // Folded is the fallback text format: never "Yes", so specific readers win ties.
        return matched * 10 >= lines * 8 ? Detection.Maybe : Detection.No;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once over the whole input: skip tier-0
    public Profile Read(Stream input, ReadOptions options)
    {
        var state = new ParseState();
        var reader = new Utf8LineReader(input);
        bool first = true;
        try
        {
            while (reader.TryReadLine(out var line, out long lineNo))
            {
                if (first)
                {
                    first = false;
                    if (line.StartsWith(Utf8Bom)) line = line[3..];
                }
                state.AddLine(line, lineNo);
            }
        }
        catch
        {
            state.Abandon(); // never leave the stack-insertion thread waiting
            throw;
        }
        return state.Finish(options);
    }

    /// <summary>
    /// Parsing state. Work is split in two stages so both cores help on big inputs: this thread splits lines,
    /// parses counts, recognises repeated stacks by a hash of their bytes, and turns the frames of each new
    /// stack into location ids; a second thread inserts those stacks into the builder's stack trie (the
    /// costliest step on inputs with millions of distinct stacks). The two stages touch disjoint parts of
    /// <see cref="ProfileBuilder"/> (frames versus stack trie). A sample refers to its stack by the ordinal
    /// of its distinct stack until the end, when the trie's ids are known.
    /// </summary>
    private sealed class ParseState
    {
        private const int BatchStacks = 4096;

        private readonly ProfileBuilder _b = new([new SampleType("samples", "count")]);
        private readonly Hash128Map _stackByHash = new();
        private readonly Utf8KeyTable _frameByName = new();
        private GrowArray<int> _ordinals = new(1024);
        private GrowArray<long> _after = new(1024);
        private GrowArray<long> _before = new(0);
        private GrowArray<byte> _decimals = new(1024);
        private bool _differential;
        private int _maxDecimals;
        private long _ignored, _firstIgnored;
        private int _distinct;

        // Stage 2 hand-off: new stacks as runs of location ids, root first.
        private Batch _batch = new();
        private System.Collections.Concurrent.BlockingCollection<Batch>? _queue;
        private Thread? _worker;
        private Exception? _workerError;
        private GrowArray<int> _stackOfOrdinal = new(1024); // owned by stage 2 until joined

        private sealed class Batch
        {
            public GrowArray<int> Locations = new(BatchStacks * 16);
            public GrowArray<int> Ends = new(BatchStacks);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once over the whole input: skip tier-0
        public void AddLine(ReadOnlySpan<byte> line, long lineNo)
        {
            line = TrimEnd(line);
            if (line.IsEmpty) return;
            if (!TryParseCount(line, out int start, out long value, out int decimals) || start == 0)
            {
                if (_ignored++ == 0) _firstIgnored = lineNo;
                return;
            }
            // flamegraph.pl's `\s+?` is lazy: exactly one whitespace character separates stack and count.
            var stack = line[..(start - 1)];
            long before = 0;
            int beforeDecimals = 0;
            bool diff = TryParseCount(stack, out int start2, out before, out beforeDecimals) && start2 > 0;
            if (diff) stack = stack[..(start2 - 1)];
            if (diff && !_differential)
            {
                _differential = true;
                // Lines read so far had one count: in a differential file that means unchanged.
                for (int i = 0; i < _after.Count; i++) _before.Add(_after[i]);
            }
            int d = Math.Max(decimals, diff ? beforeDecimals : 0);
            if (d > _maxDecimals) _maxDecimals = d;
            _ordinals.Add(OrdinalOf(stack));
            _decimals.Add((byte)d);
            _after.Add(Rescale(value, decimals, d));
            if (_differential) _before.Add(diff ? Rescale(before, beforeDecimals, d) : Rescale(value, decimals, d));
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once over the whole input: skip tier-0
        private int OrdinalOf(ReadOnlySpan<byte> stack)
        {
            var h = StackHash.Hash(stack);
            if (_stackByHash.TryGetValue(h, out int known)) return known;
            int ordinal = _distinct++;
            _stackByHash.Add(h, ordinal);
            // Perl's split drops trailing empty fields; keep leading and inner empty frames as flamegraph.pl does.
            while (!stack.IsEmpty && stack[^1] == (byte)';') stack = stack[..^1];
            while (!stack.IsEmpty)
            {
                int semi = stack.IndexOf((byte)';');
                var frame = semi < 0 ? stack : stack[..semi];
                stack = semi < 0 ? default : stack[(semi + 1)..];
                _batch.Locations.Add(InternFrame(frame));
            }
            _batch.Ends.Add(_batch.Locations.Count);
            if (_batch.Ends.Count == BatchStacks) Flush();
            return ordinal;
        }

        private int InternFrame(ReadOnlySpan<byte> frame)
        {
            if (_frameByName.TryGetValue(frame, out int id, out ulong hash)) return id;
            id = _b.AddFrame(_b.Strings.InternUtf8(frame)).Index;
            _frameByName.Add(frame, hash, id);
            return id;
        }

        /// <summary>Hands the current batch to stage 2, starting its thread on the first full batch.</summary>
        private void Flush()
        {
            if (_queue is null)
            {
                _queue = new System.Collections.Concurrent.BlockingCollection<Batch>(boundedCapacity: 4);
                _worker = new Thread(InsertStacks) { IsBackground = true, Name = "flamekit folded stacks" };
                _worker.Start();
            }
            _queue.Add(_batch);
            _batch = new Batch();
        }

        private void InsertStacks()
        {
            try
            {
                foreach (var batch in _queue!.GetConsumingEnumerable()) InsertBatch(batch);
            }
            catch (Exception e)
            {
                _workerError = e;
                // Keep draining so the reading thread never blocks on a full queue.
                foreach (var _ in _queue!.GetConsumingEnumerable()) { }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once over the whole input: skip tier-0
        private void InsertBatch(Batch batch)
        {
            int from = 0;
            for (int k = 0; k < batch.Ends.Count; k++)
            {
                int to = batch.Ends[k];
                var s = StackId.Empty;
                for (int j = from; j < to; j++) s = _b.Push(s, new LocationId(batch.Locations[j]));
                _stackOfOrdinal.Add(s.Index);
                from = to;
            }
        }

        /// <summary>Waits for stage 2 and inserts the last, partial batch.</summary>
        private void Join()
        {
            if (_queue is not null)
            {
                _queue.CompleteAdding();
                _worker!.Join();
                if (_workerError is not null) throw new InvalidOperationException("folded stack insertion failed", _workerError);
            }
            InsertBatch(_batch);
        }

        public void Abandon()
        {
            _queue?.CompleteAdding();
            _worker?.Join();
        }

        public Profile Finish(ReadOptions options)
        {
            Join();
            if (_ordinals.Count == 0)
            {
                if (_ignored > 0)
                    throw new ProfileFormatException("folded", "expected 'frame;frame;... COUNT' (stack, whitespace, number)", _firstIgnored);
                throw new ProfileFormatException("folded", "no stacks found: expected lines of 'frame;frame;... COUNT'", 1);
            }
            if (_ignored > 0)
                options.Diagnostics?.Invoke(new Diagnostic($"ignored {_ignored} line{(_ignored == 1 ? "" : "s")} with invalid format (first at line {_firstIgnored}; expected 'frame;frame;... COUNT')"));
            SampleType[] types = _differential
                ? [new SampleType(BeforeType, "count") { DecimalPlaces = _maxDecimals }, new SampleType(AfterType, "count") { DecimalPlaces = _maxDecimals }]
                : [new SampleType("samples", "count") { DecimalPlaces = _maxDecimals }];
            _b.SetSampleTypes(types);
            Span<long> values = stackalloc long[types.Length];
            for (int i = 0; i < _ordinals.Count; i++)
            {
                long scale = Pow10(_maxDecimals - _decimals[i]);
                if (_differential)
                {
                    values[0] = checked(_before[i] * scale);
                    values[1] = checked(_after[i] * scale);
                }
                else values[0] = checked(_after[i] * scale);
                _b.AddSample(new StackId(_stackOfOrdinal[_ordinals[i]]), values);
            }
            if (options.SourceName is not null) _b.Name = Path.GetFileName(options.SourceName);
            return _b.Build();
        }
    }

    private static long Rescale(long value, int from, int to) => value * Pow10(to - from);

    private static long Pow10(int n)
    {
        long r = 1;
        for (int i = 0; i < n; i++) r *= 10;
        return r;
    }

    private static ReadOnlySpan<byte> TrimEnd(ReadOnlySpan<byte> line)
    {
        int n = line.Length;
        while (n > 0 && (line[n - 1] == (byte)'\r' || line[n - 1] == (byte)' ' || line[n - 1] == (byte)'\t')) n--;
        return line[..n];
    }

    /// <summary>
    /// Parses a trailing <c>\d+(\.\d*)?</c> preceded by whitespace. <paramref name="start"/> is the index of
    /// the number's first digit (the whitespace is at <c>start - 1</c>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once over the whole input: skip tier-0
    internal static bool TryParseCount(ReadOnlySpan<byte> line, out int start, out long value, out int decimals)
    {
        start = 0; value = 0; decimals = 0;
        int end = line.Length;
        int i = end;
        while (i > 0 && IsDigit(line[i - 1])) i--;
        int fracStart = i;
        int dot = -1;
        if (i > 0 && line[i - 1] == (byte)'.')
        {
            dot = i - 1;
            i--;
            int intEnd = i;
            while (i > 0 && IsDigit(line[i - 1])) i--;
            if (i == intEnd) return false; // ".5" is not a count for flamegraph.pl
        }
        else if (i == end) return false;
        if (i == 0 || !IsSpace(line[i - 1])) return false;
        start = i;
        int intDigitsEnd = dot >= 0 ? dot : end;
        long v = 0;
        int digits = 0;
        for (int k = i; k < intDigitsEnd; k++)
        {
            if (v > (long.MaxValue - 9) / 10) return false;
            v = v * 10 + (line[k] - '0');
            if (v != 0) digits++;
        }
        if (dot >= 0)
        {
            int frac = end - fracStart;
            int keep = Math.Min(frac, MaxDecimalPlaces);
            for (int k = 0; k < keep; k++)
            {
                if (v > (long.MaxValue - 9) / 10) return false;
                v = v * 10 + (line[fracStart + k] - '0');
            }
            if (frac > keep && line[fracStart + keep] >= (byte)'5') v++; // round half up
            // Drop trailing zeros so "10.0" is stored as the whole number 10.
            while (keep > 0 && v % 10 == 0) { v /= 10; keep--; }
            decimals = keep;
        }
        value = v;
        return true;
    }

    private static bool IsDigit(byte c) => (uint)(c - '0') <= 9;
    private static bool IsSpace(byte c) => c is (byte)' ' or (byte)'\t' or (byte)'\f' or (byte)'\v';
}
