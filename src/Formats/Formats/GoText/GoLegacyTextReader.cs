using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FlameKit.Formats.Internal;
using static FlameKit.Formats.GoText.GoTextSyntax;

namespace FlameKit.Formats.GoText;

/// <summary>
/// Reads the <c>?debug=1</c> text profiles of Go's <c>runtime/pprof</c> (and <c>net/http/pprof</c>):
/// heap and allocs (<c>heap profile: …</c>, including the older <c>heap_v2/</c> and <c>heapprofile</c>
/// headers), goroutine and threadcreate (<c>NAME profile: total N</c>), mutex and block
/// (<c>--- mutex:</c>, <c>--- contention:</c>). One reader for all three shapes: they share the record
/// syntax (<c>VALUES @ 0xPC 0xPC …</c> followed by <c>#</c> symbol lines), and only the header and the
/// value columns differ.
/// </summary>
/// <remarks>
/// <para><b>Values follow <c>go tool pprof</c></b> (its legacy parser as vendored in Go 1.19), so that
/// converting to pprof and running <c>go tool pprof -raw</c> gives the numbers pprof gives for the text:</para>
/// <list type="bullet">
/// <item>heap: sample types alloc_objects/count, alloc_space/bytes, inuse_objects/count, inuse_space/bytes
/// (only objects/count and space/bytes when the header's alloc totals equal the in-use ones or are zero, as
/// pprof decides); period type space/bytes; for <c>heap/R</c> the period is R/2 (Go writes twice its
/// <c>MemProfileRate</c>) and values are unsampled by 1/(1−e^(−avg/period)); <c>heap_v2/R</c> uses R;
/// <c>heapprofile</c> is not scaled. Every sample gets pprof's numeric <c>bytes</c> label (the block size).
/// The <c># runtime.MemStats</c> trailer becomes <see cref="Profile.Comments"/>, one per line.</item>
/// <item>goroutine, threadcreate: one type NAME/count, period 1. <c># labels: {…}</c> lines (which pprof
/// ignores) become string labels. Go's threadcreate dump starts with a record with no stack
/// (<c>5 @</c>), which pprof rejects; here it is a sample with an empty stack.</item>
/// <item>mutex, block: contentions/count and delay/nanoseconds; counts are multiplied by
/// <c>sampling period</c> and cycles are converted with <c>cycles/second</c>, as pprof does.</item>
/// </list>
/// <para><b>Locations.</b> As pprof, each address of a record is moved back by one byte onto the call
/// instruction (so locations carry the address pprof shows), and all locations belong to one mapping
/// covering the whole address space, as pprof's fake mapping. Unlike pprof, which skips the <c>#</c>
/// lines, frames are symbolised from them: a <c>#</c> line's address is the same call address, so each
/// location gets its function, file and line. Go prints one <c>#</c> line per frame and gives inlined
/// calls their own (fake) return addresses, so a location normally has one line; when one address has
/// several <c>#</c> lines per occurrence they become inlined lines, innermost first. Addresses without a
/// <c>#</c> line anywhere in the file (Go hides <c>runtime.goexit</c> and leading runtime frames) stay
/// unsymbolised.</para>
/// <para>Malformed records give a <see cref="ProfileFormatException"/> naming the line.</para>
/// </remarks>
public sealed class GoLegacyTextReader : IProfileReader
{
    /// <summary>The format description.</summary>
    public static ProfileFormat GoTextFormat { get; } = new("gotext",
        "Go runtime/pprof text, ?debug=1 (heap, allocs, goroutine, threadcreate, mutex, block)", [".debug1.txt", ".txt"]);

    /// <inheritdoc/>
    public ProfileFormat Format => GoTextFormat;

    internal enum Kind { None, Heap, Count, Contention }

    /// <inheritdoc/>
    public Detection Detect(ReadOnlySpan<byte> head, bool isComplete)
    {
        head = SkipBom(head);
        while (!head.IsEmpty)
        {
            int nl = head.IndexOf((byte)'\n');
            if (nl < 0 && !isComplete) return Detection.No;
            var line = Trim(nl < 0 ? head : head[..nl]);
            head = nl < 0 ? default : head[(nl + 1)..];
            if (line.IsEmpty) continue;
            if (line[0] == (byte)'#') continue; // pprof skips leading comments
            return Classify(line) != Kind.None ? Detection.Yes : Detection.No;
        }
        return Detection.No;
    }

    /// <summary>Which kind of dump a first line starts.</summary>
    internal static Kind Classify(ReadOnlySpan<byte> line)
    {
        if (line.StartsWith("heap profile:"u8)) return ParseHeapHeader(line, out _) ? Kind.Heap : Kind.None;
        if (line.StartsWith("--- mutex:"u8) || line.StartsWith("--- contention:"u8) || line.StartsWith("--- contentionz "u8)) return Kind.Contention;
        return ParseCountHeader(line, out _) ? Kind.Count : Kind.None;
    }

    /// <summary>What a heap header says.</summary>
    internal readonly record struct HeapHeader(bool HasAlloc, long Period, bool Scale);

    /// <summary>Parses <c>heap profile: A: B [C: D] @ heap/RATE</c> (also <c>heap_v2/RATE</c>, <c>heapprofile</c>).</summary>
    internal static bool ParseHeapHeader(ReadOnlySpan<byte> line, out HeapHeader header)
    {
        header = default;
        var s = TrimStart(line["heap profile:"u8.Length..]);
        if (!ParseCounts(ref s, out long a, out long b, out long c, out long d, allowNegative: false)) return false;
        if (s.IsEmpty || s[0] != (byte)'@') return false;
        s = TrimStart(s[1..]);
        if (!s.StartsWith("heap"u8)) return false;
        int i = 4;
        while (i < s.Length && (s[i] == (byte)'_' || IsDigit(s[i]) || (uint)(s[i] - 'a') < 26)) i++;
        var name = s[..i];
        s = s[i..];
        if (!s.IsEmpty && s[0] == (byte)'/') s = s[1..];
        long rate = 0;
        if (!s.IsEmpty && IsDigit(s[0]) && ParseInt(s, out rate) == 0) return false;
        bool hasAlloc = (c != a && c != 0) || (d != b && d != 0);
        if (name.SequenceEqual("heap"u8)) header = new HeapHeader(hasAlloc, rate / 2, true);
        else if (name.SequenceEqual("heap_v2"u8) || name.SequenceEqual("heapz_v2"u8)) header = new HeapHeader(hasAlloc, rate, true);
        else if (name.SequenceEqual("heapprofile"u8)) header = new HeapHeader(hasAlloc, 1, false);
        else return false;
        return true;
    }

    /// <summary>Parses <c>A: B [C: D]</c> and what follows it up to <c>@</c>.</summary>
    private static bool ParseCounts(ref ReadOnlySpan<byte> s, out long a, out long b, out long c, out long d, bool allowNegative)
    {
        b = c = d = 0;
        int n = ParseInt(s, out a);
        if (n == 0 || (!allowNegative && a < 0)) return false;
        s = TrimStart(s[n..]);
        if (s.IsEmpty || s[0] != (byte)':') return false;
        s = TrimStart(s[1..]);
        n = ParseInt(s, out b);
        if (n == 0 || (!allowNegative && b < 0)) return false;
        s = TrimStart(s[n..]);
        if (s.IsEmpty || s[0] != (byte)'[') return false;
        s = TrimStart(s[1..]);
        n = ParseInt(s, out c);
        if (n == 0 || c < 0) return false;
        s = TrimStart(s[n..]);
        if (s.IsEmpty || s[0] != (byte)':') return false;
        s = TrimStart(s[1..]);
        n = ParseInt(s, out d);
        if (n == 0 || d < 0) return false;
        s = TrimStart(s[n..]);
        if (s.IsEmpty || s[0] != (byte)']') return false;
        s = TrimStart(s[1..]);
        return true;
    }

    /// <summary>Parses <c>NAME profile: total N</c>.</summary>
    private static bool ParseCountHeader(ReadOnlySpan<byte> line, out ReadOnlySpan<byte> name)
    {
        name = default;
        int sp = line.IndexOf(" profile: total "u8);
        if (sp <= 0) return false;
        name = line[..sp];
        if (name.IndexOfAny((byte)' ', (byte)'\t') >= 0) return false;
        var n = line[(sp + " profile: total "u8.Length)..];
        return !n.IsEmpty && ParseInt(n, out long total) == n.Length && total >= 0;
    }

    /// <inheritdoc/>
    public Profile Read(Stream input, ReadOptions options)
    {
        var p = new Parser(options);
        Feed(input, p);
        return p.Finish();
    }

    private sealed class Parser(ReadOptions options) : ILineParser
    {
        private const string F = "gotext";
        private ProfileBuilder? _b;
        private Kind _kind;
        private HeapHeader _heap;
        private long _cpuHz, _period = 1;
        private bool _inRecords, _done, _inMemStats;
        private int _nValues;
        // Records, flattened.
        private readonly List<ulong> _addrs = [];
        private GrowArray<int> _recAddrStart = new(64), _recAddrCount = new(64);
        private readonly List<int> _recLabels = [];
        private GrowArray<long> _recValues = new(256);
        // Symbols: per record while reading, then per address.
        private readonly List<(ulong Address, FunctionId Function, long Line)> _recSymbols = [];
        private readonly Dictionary<ulong, Line[]> _symbols = new();
        private readonly Dictionary<ulong, int> _countScratch = new();
        private readonly List<(string, string)> _labelScratch = [];
        private readonly Dictionary<(string, string), FunctionId> _functions = new();
        private long _ignored, _firstIgnored;

        public void AddLine(ReadOnlySpan<byte> line, long lineNo)
        {
            if (_done) return;
            if (_b is null)
            {
                var t = TrimStart(line);
                if (t.IsEmpty || t[0] == (byte)'#') return;
                Header(t, lineNo);
                return;
            }
            var s = TrimStart(line);
            if (s.IsEmpty) { EndRecord(); return; }
            if (s[0] == (byte)'#')
            {
                Comment(s, lineNo);
                return;
            }
            if (_inMemStats) { _inMemStats = false; }
            if (s.IndexOf("--- Memory map: ---"u8) >= 0 || s.IndexOf("MAPPED_LIBRARIES:"u8) >= 0)
            {
                // pprof reads a /proc/self/maps listing here; Go never writes one. Keep the fake mapping.
                EndRecord();
                _done = true;
                options.Diagnostics?.Invoke(new Diagnostic($"gotext: ignored the memory map section from line {lineNo}"));
                return;
            }
            switch (_kind)
            {
                case Kind.Heap: HeapRecord(s, lineNo); break;
                case Kind.Count:
                    if (s.StartsWith("---"u8)) { EndRecord(); _done = true; return; }
                    CountRecord(s, lineNo);
                    break;
                case Kind.Contention:
                    if (s.StartsWith("---"u8)) { EndRecord(); _done = true; return; }
                    if (!_inRecords && s.IndexOf((byte)'=') >= 0 && s.IndexOf((byte)'@') < 0) { Attribute(s, lineNo); return; }
                    ContentionRecord(s, lineNo);
                    break;
            }
        }

        private void Header(ReadOnlySpan<byte> line, long lineNo)
        {
            _kind = Classify(line);
            switch (_kind)
            {
                case Kind.Heap:
                    ParseHeapHeader(line, out _heap);
                    _b = new ProfileBuilder(_heap.HasAlloc
                        ? [new("alloc_objects", "count"), new("alloc_space", "bytes"), new("inuse_objects", "count"), new("inuse_space", "bytes")]
                        : [new SampleType("objects", "count"), new SampleType("space", "bytes")]);
                    _b.PeriodType = new SampleType("space", "bytes");
                    _b.Period = _heap.Period;
                    break;
                case Kind.Count:
                    ParseCountHeader(line, out var name);
                    var b = new ProfileBuilder([new SampleType(System.Text.Encoding.UTF8.GetString(name), "count")]);
                    b.PeriodType = b.SampleTypes[0];
                    b.Period = 1;
                    _b = b;
                    break;
                case Kind.Contention:
                    _b = new ProfileBuilder([new SampleType("contentions", "count"), new SampleType("delay", "nanoseconds")]);
                    _b.PeriodType = new SampleType("contentions", "count");
                    break;
                default:
                    throw new ProfileFormatException(F, "expected a Go profile header ('heap profile: …', 'NAME profile: total N', '--- mutex:' or '--- contention:')", lineNo);
            }
            _nValues = _b.SampleTypes.Count;
        }

        private void Attribute(ReadOnlySpan<byte> s, long lineNo)
        {
            int eq = s.IndexOf((byte)'=');
            var key = Trim(s[..eq]);
            var val = Trim(s[(eq + 1)..]);
            long v;
            bool ok = ParseInt(val, out v) == val.Length || (ParseHex(val, out ulong h) == val.Length && (v = (long)h) >= 0);
            if (key.SequenceEqual("cycles/second"u8)) { if (!ok) Bad(lineNo, "cycles/second is not a number"); _cpuHz = v; }
            else if (key.SequenceEqual("sampling period"u8)) { if (!ok) Bad(lineNo, "sampling period is not a number"); _period = v; }
            else if (key.SequenceEqual("ms since reset"u8)) { if (!ok) Bad(lineNo, "ms since reset is not a number"); _b!.DurationNanos = v * 1_000_000; }
            else Ignore(lineNo);
        }

        private void HeapRecord(ReadOnlySpan<byte> s, long lineNo)
        {
            var rest = s;
            if (!ParseCounts(ref rest, out long inCount, out long inSize, out long allocCount, out long allocSize, allowNegative: true)
                || rest.IsEmpty || rest[0] != (byte)'@')
                Bad(lineNo, "expected a heap record 'INUSE_OBJECTS: INUSE_BYTES [ALLOC_OBJECTS: ALLOC_BYTES] @ 0xADDR …'");
            long blockSize = 0;
            Span<long> v = stackalloc long[4];
            int k = 0;
            if (_heap.HasAlloc) AddHeapValues(allocCount, allocSize, "allocation", v, ref k, ref blockSize, lineNo);
            AddHeapValues(inCount, inSize, "inuse", v, ref k, ref blockSize, lineNo);
            StartRecord(rest[1..], v[..k], lineNo);
            _recLabels.Add(_b!.AddLabelSet([new Label("bytes", null, blockSize)]).Index);
        }

        private void AddHeapValues(long count, long size, string what, Span<long> v, ref int k, ref long blockSize, long lineNo)
        {
            if (count == 0 && size != 0) Bad(lineNo, $"{what} count is 0 but {what} bytes is {size}");
            if (count != 0)
            {
                blockSize = size / count;
                if (_heap.Scale) (count, size) = ScaleHeapSample(count, size, _heap.Period);
            }
            v[k++] = count;
            v[k++] = size;
        }

        private void CountRecord(ReadOnlySpan<byte> s, long lineNo)
        {
            int n = ParseInt(s, out long count);
            var rest = n == 0 ? default : TrimStart(s[n..]);
            if (n == 0 || count < 0 || rest.IsEmpty || rest[0] != (byte)'@') Bad(lineNo, "expected a record 'COUNT @ 0xADDR …'");
            StartRecord(rest[1..], [count], lineNo);
            _recLabels.Add(0);
        }

        private void ContentionRecord(ReadOnlySpan<byte> s, long lineNo)
        {
            _inRecords = true;
            int n = ParseInt(s, out long cycles);
            var rest = n == 0 ? default : TrimStart(s[n..]);
            int n2 = rest.IsEmpty ? 0 : ParseInt(rest, out long count);
            if (n == 0 || n2 == 0 || cycles < 0) Bad(lineNo, "expected a contention record 'CYCLES COUNT @ 0xADDR …'");
            ParseInt(rest, out count);
            rest = TrimStart(rest[n2..]);
            if (rest.IsEmpty || rest[0] != (byte)'@' || count < 0) Bad(lineNo, "expected a contention record 'CYCLES COUNT @ 0xADDR …'");
            // go tool pprof: delays are turned from cycles into nanoseconds and both are unsampled by the period.
            if (_period > 0)
            {
                if (_cpuHz > 0)
                {
                    double ghz = _cpuHz / 1e9;
                    cycles = (long)(cycles * (double)_period / ghz);
                }
                count *= _period;
            }
            StartRecord(rest[1..], [count, cycles], lineNo);
            _recLabels.Add(0);
        }

        private void StartRecord(ReadOnlySpan<byte> addrs, ReadOnlySpan<long> values, long lineNo)
        {
            EndRecord();
            _inRecords = true;
            int start = _addrs.Count;
            if (!ParseAddresses(addrs, _addrs)) Bad(lineNo, "expected hexadecimal addresses (0x…) after '@'");
            _recAddrStart.Add(start);
            _recAddrCount.Add(_addrs.Count - start);
            _recValues.AddRange(values);
        }

        private void Comment(ReadOnlySpan<byte> s, long lineNo)
        {
            if (_inMemStats || s.StartsWith("# runtime.MemStats"u8))
            {
                EndRecord();
                _inMemStats = true;
                _b!.Comments.Add(System.Text.Encoding.UTF8.GetString(Trim(s[1..])));
                return;
            }
            if (s.StartsWith("# labels:"u8))
            {
                if (_recAddrStart.Count == 0) { Ignore(lineNo); return; }
                _labelScratch.Clear();
                if (!TryParseLabelMap(s["# labels:"u8.Length..], _labelScratch)) Bad(lineNo, "expected '# labels: {\"key\":\"value\", …}'");
                var labels = new Label[_labelScratch.Count];
                for (int i = 0; i < labels.Length; i++) labels[i] = new Label(_labelScratch[i].Item1, _labelScratch[i].Item2);
                _recLabels[^1] = _b!.AddLabelSet(labels).Index; // replaces the record's empty set
                return;
            }
            if (TryParseSymbolLine(s, out ulong address, out var fn, out var file, out long line))
            {
                if (fn.IsEmpty) return; // an address Go could not symbolise
                var name = _b!.Strings.InternUtf8(fn);
                var fileName = _b.Strings.InternUtf8(file);
                ref var id = ref CollectionsMarshal.GetValueRefOrAddDefault(_functions, (name, fileName), out bool exists);
                if (!exists) id = _b.AddFunction(name, name, fileName);
                _recSymbols.Add((address, id, line));
            }
            // Any other comment is ignored, as pprof ignores it.
        }

        /// <summary>Attributes the record's <c>#</c> lines to its addresses.</summary>
        private void EndRecord()
        {
            if (_recSymbols.Count == 0) return;
            int r = _recAddrStart.Count - 1;
            if (r >= 0)
            {
                int start = _recAddrStart[r], n = _recAddrCount[r];
                _countScratch.Clear();
                for (int i = 0; i < n; i++)
                {
                    ulong a = _addrs[start + i] - 1;
                    CollectionsMarshal.GetValueRefOrAddDefault(_countScratch, a, out _)++;
                }
                int j = 0;
                while (j < _recSymbols.Count)
                {
                    ulong a = _recSymbols[j].Address;
                    int k = j;
                    while (k < _recSymbols.Count && _recSymbols[k].Address == a) k++;
                    // k - j consecutive lines for address a: split evenly over its occurrences in the record
                    // (recursion repeats an address; inlining at one address gives several lines per occurrence).
                    if (_countScratch.TryGetValue(a, out int occurrences) && !_symbols.ContainsKey(a))
                    {
                        int total = k - j;
                        int per = total % occurrences == 0 ? total / occurrences : 1;
                        var lines = new Line[per];
                        for (int q = 0; q < per; q++) lines[q] = new Line(_recSymbols[j + q].Function, _recSymbols[j + q].Line);
                        _symbols[a] = lines;
                    }
                    j = k;
                }
            }
            _recSymbols.Clear();
        }

        private void Ignore(long lineNo)
        {
            if (_ignored++ == 0) _firstIgnored = lineNo;
        }

        [System.Diagnostics.CodeAnalysis.DoesNotReturn]
        private static void Bad(long lineNo, string message) => throw new ProfileFormatException(F, message, lineNo);

        public Profile Finish()
        {
            if (_b is null) throw new ProfileFormatException(F, "no Go profile header found ('heap profile: …', 'NAME profile: total N', '--- mutex:')", 1);
            EndRecord();
            if (_kind == Kind.Contention) _b.Period = _period;
            if (_ignored > 0)
                options.Diagnostics?.Invoke(new Diagnostic($"gotext: ignored {_ignored} unrecognised line{(_ignored == 1 ? "" : "s")} (first at line {_firstIgnored})"));
            var b = _b;
            var mapping = MappingId.None;
            if (_addrs.Count > 0)
            {
                bool sym = _symbols.Count > 0;
                // pprof gives legacy text profiles one fake mapping over the whole address space.
                mapping = b.AddMapping(new Mapping(0, ulong.MaxValue, 0, "", "")
                { HasFunctions = sym, HasFilenames = sym, HasLineNumbers = sym });
            }
            var locations = new Dictionary<ulong, LocationId>();
            var stack = new List<LocationId>(64);
            for (int r = 0; r < _recAddrStart.Count; r++)
            {
                stack.Clear();
                int start = _recAddrStart[r], n = _recAddrCount[r];
                for (int i = 0; i < n; i++)
                {
                    ulong a = unchecked(_addrs[start + i] - 1); // the call instruction, as pprof and Go's '#' lines
                    ref var loc = ref CollectionsMarshal.GetValueRefOrAddDefault(locations, a, out bool exists);
                    if (!exists) loc = b.AddLocation(a, mapping, _symbols.TryGetValue(a, out var lines) ? lines : []);
                    stack.Add(loc);
                }
                var s = b.StackFromLeafFirst(CollectionsMarshal.AsSpan(stack));
                var values = new ReadOnlySpan<long>(_recValuesArray ??= _recValues.ToArray(), r * _nValues, _nValues);
                b.AddSample(s, values, new LabelSetId(_recLabels[r]));
            }
            if (options.SourceName is not null) b.Name = Path.GetFileName(options.SourceName);
            return b.Build();
        }

        private long[]? _recValuesArray;
    }

    /// <summary>
    /// go tool pprof's unsampling of legacy heap records: a record of average size S collected at average
    /// rate R had probability 1−e^(−S/R) of being sampled, so both values are divided by it.
    /// </summary>
    internal static (long Count, long Size) ScaleHeapSample(long count, long size, long rate)
    {
        if (count == 0 || size == 0) return (0, 0);
        if (rate <= 1) return (count, size); // every allocation was recorded (or the rate is unknown)
        double avg = (double)size / count;
        double scale = 1 / (1 - Math.Exp(-avg / rate));
        return ((long)(count * scale), (long)(size * scale));
    }
}
