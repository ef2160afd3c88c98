using System.IO.Compression;
using System.Runtime.CompilerServices;
using Google.Protobuf;

namespace FlameKit.Formats.Pprof;

/// <summary>
/// Reads pprof <c>profile.proto</c> data (gzip is unwrapped by <see cref="ProfileFormats"/>, and by
/// <see cref="Read"/> itself when handed gzip directly).
/// </summary>
/// <remarks>
/// <para>The message is decoded field by field with Google.Protobuf's <see cref="CodedInputStream"/> straight
/// into a <see cref="ProfileBuilder"/>; no intermediate object graph is built. Because producers may write the
/// string table after everything that refers to it (Go's runtime/pprof does), the top-level message is
/// scanned twice: first for strings, metadata, mappings, functions and locations (kept as raw indices),
/// then for samples, which are resolved and interned as they are read.</para>
/// <para>Both packed and unpacked encodings of repeated scalar fields are accepted. Malformed input is
/// reported as a <see cref="ProfileFormatException"/> with the byte offset of the problem.</para>
/// </remarks>
public sealed class PprofReader : IProfileReader
{
    /// <summary>The pprof format description.</summary>
    public static ProfileFormat PprofFormat { get; } = new("pprof", "pprof protobuf (profile.proto, gzipped or raw)", [".pb.gz", ".pb", ".pprof", ".prof"]);

    /// <inheritdoc/>
    public ProfileFormat Format => PprofFormat;

    /// <inheritdoc/>
    /// <remarks>
    /// Yes only when the head parses as a sequence of top-level <c>Profile</c> fields with known field numbers
    /// and the wire types profile.proto gives them (with <c>ValueType</c> messages checked inside). Text
    /// formats fail at the first or second byte: their characters decode to unknown fields or wrong wire types.
    /// </remarks>
    public Detection Detect(ReadOnlySpan<byte> head, bool isComplete) => PprofDetector.Detect(head, isComplete);

    /// <inheritdoc/>
    public Profile Read(Stream input, ReadOptions options)
    {
        ArgumentNullException.ThrowIfNull(input);
        options ??= ReadOptions.Default;
        // A gzipped file: inflate it here, on a thread of its own, overlapping the decoding (see
        // PprofDecoder.TryDecodeWhileInflating).
        if (input is GunzippedFile file && file.RewindToCompressed() is { } compressed) input = compressed;
        byte[] data;
        int length;
        try
        {
            (data, length) = ReadAll(input);
            if (length >= 2 && data[0] == 0x1f && data[1] == 0x8b)
            {
                int expected = ExpectedGzipLength(data, length);
                if (expected > 0 && PprofDecoder.TryDecodeWhileInflating(data, length, expected, options) is { } streamed) return streamed;
                using var gz = new GZipStream(new MemoryStream(data, 0, length, writable: false), CompressionMode.Decompress);
                (data, length) = ReadAll(gz, expected);
            }
        }
        catch (InvalidDataException e)
        {
            throw new ProfileFormatException("pprof", $"corrupt or truncated gzip data ({e.Message})", inner: e);
        }
        return Parse(data, length, options);
    }

    /// <summary>Decodes an uncompressed profile.proto message.</summary>
    /// <param name="data">The buffer.</param>
    /// <param name="length">Number of valid bytes at the start of <paramref name="data"/>.</param>
    /// <param name="options">Read options.</param>
    internal static Profile Parse(byte[] data, int length, ReadOptions options)
    {
        if (length == 0) throw new ProfileFormatException("pprof", "expected a profile.proto message, got empty input", byteOffset: 0);
        var decoder = new PprofDecoder(data, length, options);
        return decoder.Decode();
    }

    /// <summary>
    /// The uncompressed size a gzip file declares in its last four bytes (ISIZE, the size modulo 2^32 of its
    /// last member), or 0 when implausible. Only a hint: a file of several members or over 4 GB says less than
    /// it holds, and <see cref="ReadAll"/> then reads on.
    /// </summary>
    private static int ExpectedGzipLength(byte[] data, int length)
    {
        if (length < 18) return 0;
        uint size = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(length - 4));
        // Profiles compress a few times over; a larger claim (a truncated or odd file) is not trusted with an allocation.
        return size <= (uint)Math.Min(Array.MaxLength - 1, (long)length * 64) ? (int)size : 0;
    }

    /// <param name="s">The stream, read to its end.</param>
    /// <param name="expectedLength">
    /// The length the stream is expected to have when it cannot seek (a gzip file's declared size), or 0: read
    /// straight into an array of that size instead of chunks that are copied together afterwards.
    /// </param>
    private static (byte[] Data, int Length) ReadAll(Stream s, int expectedLength = 0)
    {
        if (!s.CanSeek && expectedLength > 0)
        {
            var buf = new byte[expectedLength];
            int n = 0, r;
            while (n < buf.Length && (r = s.Read(buf, n, buf.Length - n)) > 0) n += r;
            if (n < buf.Length || s.ReadByte() is not (int extra and >= 0)) return (buf, n);
            // More than declared (several gzip members, or over 4 GB): read the rest in chunks.
            var grown = new byte[n + 1];
            buf.CopyTo(grown, 0);
            grown[n] = (byte)extra;
            return ReadChunked(s, grown, n + 1);
        }
        if (s.CanSeek)
        {
            long remaining = s.Length - s.Position;
            if (remaining > Array.MaxLength) throw new ProfileFormatException("pprof", "input is too large (over 2 GB)");
            var buf = new byte[remaining];
            int n = 0, r;
            while (n < buf.Length && (r = s.Read(buf, n, buf.Length - n)) > 0) n += r;
            if (n == buf.Length && s.ReadByte() is int extra and >= 0)
            {
                // The stream grew while being read: keep what we have and read the rest in chunks.
                var grown = new byte[n + 1];
                buf.CopyTo(grown, 0);
                grown[n] = (byte)extra;
                return ReadChunked(s, grown, n + 1);
            }
            return (buf, n);
        }
        return ReadChunked(s, [], 0);
    }

    // Unknown length (a decompressing stream): read into 4 MB chunks, then copy once into an exact array,
    // instead of doubling one array (which allocates and touches twice the memory).
    private static (byte[] Data, int Length) ReadChunked(Stream s, byte[] first, int firstLength)
    {
        const int ChunkSize = 4 << 20;
        var chunks = new List<byte[]>();
        long total = firstLength;
        int last = 0;
        while (true)
        {
            var chunk = System.Buffers.ArrayPool<byte>.Shared.Rent(ChunkSize);
            int n = 0, r;
            while (n < ChunkSize && (r = s.Read(chunk, n, ChunkSize - n)) > 0) n += r;
            chunks.Add(chunk);
            last = n;
            total += n;
            if (total > Array.MaxLength)
            {
                foreach (var c in chunks) System.Buffers.ArrayPool<byte>.Shared.Return(c);
                throw new ProfileFormatException("pprof", "input is too large (over 2 GB)");
            }
            if (n < ChunkSize) break;
        }
        var data = new byte[total];
        first.AsSpan(0, firstLength).CopyTo(data);
        long pos = firstLength;
        for (int i = 0; i < chunks.Count; i++)
        {
            int len = i == chunks.Count - 1 ? last : ChunkSize;
            chunks[i].AsSpan(0, len).CopyTo(data.AsSpan((int)pos));
            pos += len;
            System.Buffers.ArrayPool<byte>.Shared.Return(chunks[i]);
        }
        return (data, (int)total);
    }
}

/// <summary>Field numbers and wire types of profile.proto (from its published definition).</summary>
internal static class PprofFields
{
    // Profile
    public const int SampleType = 1, Sample = 2, Mapping = 3, Location = 4, Function = 5, StringTable = 6,
        DropFrames = 7, KeepFrames = 8, TimeNanos = 9, DurationNanos = 10, PeriodType = 11, Period = 12,
        Comment = 13, DefaultSampleType = 14;
    // Newer pprof versions add doc_url = 15; it is tolerated (skipped) like any unknown field.
    public const int LastKnown = 15;

    public const int Varint = 0, Fixed64 = 1, LengthDelimited = 2, Fixed32 = 5;

    public static uint Tag(int field, int wire) => (uint)(field << 3 | wire);
}

/// <summary>Decides whether some bytes look like a profile.proto message, without throwing.</summary>
internal static class PprofDetector
{
    public static Detection Detect(ReadOnlySpan<byte> head, bool isComplete)
    {
        if (head.IsEmpty) return Detection.No;
        int pos = 0, fields = 0;
        while (pos < head.Length && fields < 64)
        {
            if (!TryVarint(head, ref pos, out ulong tag)) return isComplete || fields == 0 ? Detection.No : Detection.Yes;
            int field = (int)Math.Min(tag >> 3, int.MaxValue), wire = (int)(tag & 7);
            if (field < 1 || field > PprofFields.LastKnown) return Detection.No;
            int expected = field switch
            {
                <= 6 or 11 => PprofFields.LengthDelimited,
                13 => wire == PprofFields.LengthDelimited ? PprofFields.LengthDelimited : PprofFields.Varint,
                15 => PprofFields.Varint,
                _ => PprofFields.Varint,
            };
            if (wire != expected) return Detection.No;
            if (wire == PprofFields.Varint)
            {
                if (!TryVarint(head, ref pos, out _)) return isComplete || fields == 0 ? Detection.No : Detection.Yes;
            }
            else
            {
                if (!TryVarint(head, ref pos, out ulong len)) return isComplete || fields == 0 ? Detection.No : Detection.Yes;
                if (len > (ulong)(head.Length - pos))
                {
                    // The field runs past the head: fine when more input follows, and only after a good start.
                    if (isComplete) return Detection.No;
                    return fields >= 1 ? Detection.Yes : Detection.No;
                }
                var body = head.Slice(pos, (int)len);
                if ((field == PprofFields.SampleType || field == PprofFields.PeriodType) && !IsVarintMessage(body, 2)) return Detection.No;
                if (field is PprofFields.Sample or PprofFields.Mapping or PprofFields.Location or PprofFields.Function && !IsPlausibleMessage(body)) return Detection.No;
                pos += (int)len;
            }
            fields++;
        }
        return fields >= 2 || (isComplete && fields >= 1 && pos == head.Length) ? Detection.Yes : Detection.No;
    }

    // A ValueType: only varint fields 1..maxField.
    private static bool IsVarintMessage(ReadOnlySpan<byte> body, int maxField)
    {
        int pos = 0;
        while (pos < body.Length)
        {
            if (!TryVarint(body, ref pos, out ulong tag)) return false;
            ulong field = tag >> 3;
            if (field < 1 || field > (ulong)maxField || (tag & 7) != PprofFields.Varint) return false;
            if (!TryVarint(body, ref pos, out _)) return false;
        }
        return true;
    }

    // Any message whose fields are varints or length-delimited with lengths that fit.
    private static bool IsPlausibleMessage(ReadOnlySpan<byte> body)
    {
        int pos = 0;
        while (pos < body.Length)
        {
            if (!TryVarint(body, ref pos, out ulong tag)) return false;
            ulong field = tag >> 3;
            if (field < 1 || field > 15) return false;
            switch (tag & 7)
            {
                case PprofFields.Varint:
                    if (!TryVarint(body, ref pos, out _)) return false;
                    break;
                case PprofFields.LengthDelimited:
                    if (!TryVarint(body, ref pos, out ulong len) || len > (ulong)(body.Length - pos)) return false;
                    pos += (int)len;
                    break;
                default:
                    return false;
            }
        }
        return true;
    }

    /// <summary>A varint at <paramref name="pos"/>, moving past it; false when <paramref name="b"/> ends first or it is over 10 bytes.</summary>
    internal static bool TryVarint(ReadOnlySpan<byte> b, ref int pos, out ulong value)
    {
        value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (pos >= b.Length) return false;
            byte x = b[pos++];
            value |= (ulong)(x & 0x7f) << shift;
            if (x < 0x80) return true;
        }
        return false;
    }
}

/// <summary>Maps pprof ids (uint64, usually dense from 1) to indices; an array when dense, else a dictionary.</summary>
internal sealed class IdMap
{
    private int[]? _dense; // id -> index + 1; 0 = absent
    private Dictionary<ulong, int>? _sparse;

    public IdMap(ReadOnlySpan<ulong> ids)
    {
        ulong max = 0;
        foreach (var id in ids) max = Math.Max(max, id);
        if (max <= (ulong)ids.Length * 4 + 1024)
        {
            _dense = new int[(int)max + 1];
        }
        else _sparse = new Dictionary<ulong, int>(ids.Length);
    }

    /// <summary>Adds an id; false when it is 0 or a duplicate.</summary>
    public bool TryAdd(ulong id, int index)
    {
        if (id == 0) return false;
        if (_dense is not null)
        {
            if (_dense[id] != 0) return false;
            _dense[id] = index + 1;
            return true;
        }
        return _sparse!.TryAdd(id, index);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(ulong id)
    {
        var d = _dense;
        if (d is not null) return id < (ulong)d.Length ? d[id] - 1 : -1;
        return _sparse!.TryGetValue(id, out int i) ? i : -1;
    }
}

/// <summary>One decode of one message; see <see cref="PprofReader"/> for the approach.</summary>
internal sealed class PprofDecoder(byte[] data, int length, ReadOptions options)
{
    private const string Fmt = "pprof";

    private readonly List<string> _strings = [];
    private readonly List<(long Type, long Unit)> _sampleTypes = [];
    private (long Type, long Unit)? _periodType;
    private long _dropFrames, _keepFrames, _timeNanos, _durationNanos, _period, _defaultSampleType;
    private readonly List<long> _comments = [];
    private readonly List<RawMapping> _mappings = [];
    private readonly List<RawFunction> _functions = [];
    private readonly List<RawLocation> _locations = [];
    private readonly List<RawLine> _lines = [];
    private int _sampleFieldCount;
    private long _sampleBytes;

    private record struct RawMapping(ulong Id, ulong Start, ulong Limit, ulong Offset, long File, long BuildId, bool Fn, bool FileNames, bool LineNumbers, bool Inline, long At);
    private record struct RawFunction(ulong Id, long Name, long SystemName, long File, long StartLine, long At);
    private record struct RawLocation(ulong Id, ulong Mapping, ulong Address, int FirstLine, int LineCount, bool Folded, long At);
    private record struct RawLine(ulong Function, long Line, long Column);

    private CodedInputStream NewStream() => new(data, 0, length);

    public Profile Decode()
    {
        var cis = NewStream();
        try
        {
            ScanTables(cis);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ProfileFormatException(Fmt, $"malformed protobuf ({e.Message})", byteOffset: cis.Position, inner: e);
        }
        var b = BuildTables(out var locIds);
        cis = NewStream();
        try
        {
            if (_sampleFieldCount > 0)
            {
                // A location id takes at least one byte, so the sample bytes bound the trie's size; a quarter
                // of them is close for typical profiles and saves regrowing the stack tables many times.
                b.FirstChildIndex = true; // pprof stacks are mostly chains of new nodes
                b.EnsureStackCapacity((int)Math.Min(_sampleBytes / 4, int.MaxValue));
                ReadSamples(cis, b, locIds);
            }
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ProfileFormatException(Fmt, $"malformed protobuf ({e.Message})", byteOffset: cis.Position, inner: e);
        }
        return b.Build();
    }

    /// <summary>
    /// The fast path for gzipped input: inflates on one thread while this one decodes samples as their bytes
    /// arrive and a third interns their stacks, instead of inflating everything first and scanning twice.
    /// Go writes samples before the locations and strings they refer to, so stacks are interned with
    /// provisional location and label-set ids (in order of first use) and renumbered once the tables are read.
    /// </summary>
    /// <returns>
    /// The profile, or null when the input is anything but a well-formed profile this path can take whole
    /// (a sample before its sample types, a gzip stream longer or shorter than it declares, ids that cannot be
    /// renumbered one to one, any decoding error): the caller then takes the two-pass path, which also gives
    /// the canonical error message for bad input.
    /// </returns>
    internal static Profile? TryDecodeWhileInflating(byte[] gzip, int gzipLength, int expectedLength, ReadOptions options)
    {
        using var inflater = new StreamingInflater(gzip, gzipLength, expectedLength);
        var decoder = new PprofDecoder(inflater.Data, expectedLength, options);
        return decoder.DecodeWhileInflating(inflater);
    }

    private Profile? DecodeWhileInflating(StreamingInflater inflater)
    {
        var cis = NewStream();
        ProfileBuilder? b = null;
        SamplePipe? pipe = null;
        SampleState? st = null;
        var provisional = new ProvisionalIds();
        uint sampleTag = PprofFields.Tag(PprofFields.Sample, PprofFields.LengthDelimited);
        try
        {
            while (true)
            {
                long at = cis.Position;
                if (at >= length) break;
                // Make sure the whole field has arrived before the decoder touches it: tag and length first.
                if (!inflater.WaitFor(Math.Min(length, at + 20))) return Abandon();
                int pos = (int)at;
                var inflated = data.AsSpan(0, length); // filled up to where it was waited for
                if (!PprofDetector.TryVarint(inflated, ref pos, out ulong rawTag)) return Abandon();
                if ((rawTag & 7) == PprofFields.LengthDelimited)
                {
                    if (!PprofDetector.TryVarint(inflated, ref pos, out ulong len) || len > (ulong)(length - pos)) return Abandon();
                    if (!inflater.WaitFor(pos + (long)len)) return Abandon();
                }
                uint tag = cis.ReadTag();
                if (tag == sampleTag)
                {
                    if (b is null)
                    {
                        if (_sampleTypes.Count == 0) return Abandon();
                        // Placeholder names: the string table comes last; BuildTables renames them.
                        b = new ProfileBuilder(Enumerable.Repeat(new SampleType("", ""), _sampleTypes.Count));
                        b.FirstChildIndex = true; // pprof stacks are mostly chains of new nodes
                        b.EnsureStackCapacity(length / 4); // a location id takes at least one byte; see Decode
                        pipe = new SamplePipe(b);
                        st = new SampleState(_sampleTypes.Count, [], null, provisional);
                    }
                    _sampleFieldCount++;
                    ReadSample(cis, b, st!, at, pipe!);
                    continue;
                }
                if ((tag >> 3) == PprofFields.SampleType && b is not null) return Abandon(); // values already read with fewer columns
                ScanField(cis, tag, at);
            }
            pipe?.Finish();
            pipe = null;
            if (!inflater.Finish()) return Abandon();
            if (b is null) return null; // no samples: nothing to overlap, the two-pass path is as fast

            BuildTables(out var locIds, b);
            // Provisional location ids -> the model's locations; one to one, or the trie would hold duplicates.
            var locationMap = new int[provisional.Count];
            var taken = new bool[b.LocationCount];
            for (int p = 0; p < locationMap.Length; p++)
            {
                int i = locIds.Find(provisional.RawId(p));
                if (i < 0) return Abandon();
                int model = _locationIndex![i];
                if (taken[model]) return Abandon();
                taken[model] = true;
                locationMap[p] = model;
            }
            var labelMap = new int[provisional.LabelSetCount + 1];
            var cache = new LabelSetCache();
            for (int p = 1; p < labelMap.Length; p++)
            {
                var raw = provisional.RawLabelSet(p);
                for (int j = 0; j < raw.Length; j += 4)
                    if ((ulong)raw[j] >= (ulong)_strings.Count || (ulong)raw[j + 1] >= (ulong)_strings.Count || (ulong)raw[j + 3] >= (ulong)_strings.Count)
                        return Abandon();
                labelMap[p] = cache.Add(b, raw, _strings).Index;
            }
            b.RemapStackLocations(locationMap);
            b.RemapSampleLabels(labelMap);
            return b.Build();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Whatever went wrong, the two-pass path decides: it reports bad input canonically.
            return Abandon();
        }

        Profile? Abandon()
        {
            pipe?.Abandon();
            inflater.Dispose();
            return null;
        }
    }

    /// <summary>
    /// Location and label-set ids handed out in order of first use while the tables are not known yet.
    /// Location ids are dense small numbers in practice (an array lookup); others go through a dictionary.
    /// </summary>
    private sealed class ProvisionalIds
    {
        private const int DenseLimit = 1 << 24;
        private int[] _dense = new int[1024]; // raw id -> provisional + 1
        private Dictionary<ulong, int>? _sparse;
        private GrowArray<ulong> _raw = new(1024);
        private readonly Dictionary<RawKey, int> _labelSets = new(new RawKeyComparer());
        private readonly List<long[]> _rawLabelSets = [[]];

        public int Count => _raw.Count;
        public ulong RawId(int provisional) => _raw[provisional];
        public int LabelSetCount => _rawLabelSets.Count - 1;
        public ReadOnlySpan<long> RawLabelSet(int provisional) => _rawLabelSets[provisional];

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Get(ulong id)
        {
            if (id < (ulong)_dense.Length)
            {
                int d = _dense[id];
                if (d != 0) return d - 1;
            }
            return Add(id);
        }

        private int Add(ulong id)
        {
            if (id < DenseLimit)
            {
                if (id >= (ulong)_dense.Length) Array.Resize(ref _dense, (int)Math.Max(id + 1, (ulong)_dense.Length * 2));
                int p = _raw.Count;
                _raw.Add(id);
                _dense[id] = p + 1;
                return p;
            }
            _sparse ??= new Dictionary<ulong, int>();
            if (_sparse.TryGetValue(id, out int known)) return known;
            int q = _raw.Count;
            _raw.Add(id);
            _sparse.Add(id, q);
            return q;
        }

        public int LabelSet(long[] scratch, int length)
        {
            if (_labelSets.TryGetValue(new RawKey(scratch, length), out int id)) return id;
            var copy = scratch.AsSpan(0, length).ToArray();
            id = _rawLabelSets.Count;
            _rawLabelSets.Add(copy);
            _labelSets.Add(new RawKey(copy, length), id);
            return id;
        }
    }

    /// <summary>
    /// Inflates gzip data into an array of the size the gzip trailer declares, on a thread of its own, and
    /// lets readers wait until a given number of bytes has arrived.
    /// </summary>
    private sealed class StreamingInflater : IDisposable
    {
        private readonly byte[] _gzip;
        private readonly int _gzipLength;
        private readonly object _lock = new();
        private readonly Thread _thread;
        private long _available;
        private bool _done, _exact, _stop;

        public StreamingInflater(byte[] gzip, int gzipLength, int expectedLength)
        {
            _gzip = gzip;
            _gzipLength = gzipLength;
            Data = new byte[expectedLength];
            _thread = new Thread(Run) { IsBackground = true, Name = "flamekit pprof inflate" };
            _thread.Start();
        }

        public byte[] Data { get; }

        private void Run()
        {
            try
            {
                using var gz = new GZipStream(new MemoryStream(_gzip, 0, _gzipLength, writable: false), CompressionMode.Decompress);
                int n = 0;
                while (n < Data.Length && !Volatile.Read(ref _stop))
                {
                    int r = gz.Read(Data, n, Math.Min(1 << 20, Data.Length - n));
                    if (r == 0) break;
                    n += r;
                    lock (_lock)
                    {
                        Volatile.Write(ref _available, n);
                        Monitor.PulseAll(_lock);
                    }
                }
                // Exactly the declared size and nothing after it (several members or over 4 GB: the slow path).
                _exact = n == Data.Length && !Volatile.Read(ref _stop) && gz.ReadByte() < 0;
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                _exact = false;
            }
            finally
            {
                lock (_lock)
                {
                    _done = true;
                    Monitor.PulseAll(_lock);
                }
            }
        }

        /// <summary>Waits until the first <paramref name="end"/> bytes are inflated; false if they never will be.</summary>
        public bool WaitFor(long end)
        {
            if (Volatile.Read(ref _available) >= end) return true;
            lock (_lock)
            {
                while (_available < end && !_done) Monitor.Wait(_lock);
                return _available >= end;
            }
        }

        /// <summary>Waits for the inflater to end; true when the data is exactly what the trailer declared.</summary>
        public bool Finish()
        {
            _thread.Join();
            return _exact;
        }

        public void Dispose()
        {
            Volatile.Write(ref _stop, true);
            _thread.Join();
        }
    }

    private ProfileFormatException Error(string message, long at) => new(Fmt, message, byteOffset: at);

    private void ExpectWire(uint tag, int wire, string what, long at)
    {
        if ((int)(tag & 7) != wire)
            throw Error($"expected {what} with wire type {wire}, got wire type {tag & 7}", at);
    }

    // Pass 1: everything but samples, kept as raw string indices and ids.
    private void ScanTables(CodedInputStream cis)
    {
        uint tag;
        while (true)
        {
            long at = cis.Position;
            if ((tag = cis.ReadTag()) == 0) break;
            ScanField(cis, tag, at);
        }
    }

    /// <summary>Reads one top-level field whose tag has been read; samples are only counted and skipped.</summary>
    private void ScanField(CodedInputStream cis, uint tag, long at)
    {
        {
            int field = (int)(tag >> 3);
            switch (field)
            {
                case PprofFields.SampleType:
                    ExpectWire(tag, PprofFields.LengthDelimited, "sample_type (ValueType message)", at);
                    _sampleTypes.Add(ReadValueType(cis));
                    break;
                case PprofFields.Sample:
                    ExpectWire(tag, PprofFields.LengthDelimited, "sample (Sample message)", at);
                    _sampleFieldCount++;
                    cis.SkipLastField();
                    _sampleBytes += cis.Position - at;
                    break;
                case PprofFields.Mapping:
                    ExpectWire(tag, PprofFields.LengthDelimited, "mapping (Mapping message)", at);
                    ReadMapping(cis, at);
                    break;
                case PprofFields.Location:
                    ExpectWire(tag, PprofFields.LengthDelimited, "location (Location message)", at);
                    ReadLocation(cis, at);
                    break;
                case PprofFields.Function:
                    ExpectWire(tag, PprofFields.LengthDelimited, "function (Function message)", at);
                    ReadFunction(cis, at);
                    break;
                case PprofFields.StringTable:
                    ExpectWire(tag, PprofFields.LengthDelimited, "string_table entry", at);
                    _strings.Add(cis.ReadString());
                    break;
                case PprofFields.DropFrames: ExpectWire(tag, 0, "drop_frames", at); _dropFrames = cis.ReadInt64(); break;
                case PprofFields.KeepFrames: ExpectWire(tag, 0, "keep_frames", at); _keepFrames = cis.ReadInt64(); break;
                case PprofFields.TimeNanos: ExpectWire(tag, 0, "time_nanos", at); _timeNanos = cis.ReadInt64(); break;
                case PprofFields.DurationNanos: ExpectWire(tag, 0, "duration_nanos", at); _durationNanos = cis.ReadInt64(); break;
                case PprofFields.PeriodType:
                    ExpectWire(tag, PprofFields.LengthDelimited, "period_type (ValueType message)", at);
                    _periodType = ReadValueType(cis);
                    break;
                case PprofFields.Period: ExpectWire(tag, 0, "period", at); _period = cis.ReadInt64(); break;
                case PprofFields.Comment:
                    if ((tag & 7) == PprofFields.LengthDelimited)
                    {
                        long end = BeginMessage(cis);
                        while (cis.Position < end) _comments.Add(cis.ReadInt64());
                        EndMessage(cis, end);
                    }
                    else { ExpectWire(tag, 0, "comment", at); _comments.Add(cis.ReadInt64()); }
                    break;
                case PprofFields.DefaultSampleType: ExpectWire(tag, 0, "default_sample_type", at); _defaultSampleType = cis.ReadInt64(); break;
                default:
                    cis.SkipLastField();
                    break;
            }
        }
    }

    /// <summary>Reads a length prefix and returns where the embedded message ends.</summary>
    private long BeginMessage(CodedInputStream cis)
    {
        long at = cis.Position;
        int len = cis.ReadLength();
        long end = cis.Position + len;
        if (len < 0 || end > length) throw Error($"expected {len} bytes of embedded message, but only {length - cis.Position} remain", at);
        return end;
    }

    private void EndMessage(CodedInputStream cis, long end)
    {
        if (cis.Position != end) throw Error("embedded message overruns its length", end);
    }

    private (long, long) ReadValueType(CodedInputStream cis)
    {
        long end = BeginMessage(cis);
        long type = 0, unit = 0;
        while (cis.Position < end)
        {
            long at = cis.Position;
            uint tag = cis.ReadTag();
            switch (tag >> 3)
            {
                case 1: ExpectWire(tag, 0, "ValueType.type", at); type = cis.ReadInt64(); break;
                case 2: ExpectWire(tag, 0, "ValueType.unit", at); unit = cis.ReadInt64(); break;
                default: cis.SkipLastField(); break;
            }
        }
        EndMessage(cis, end);
        return (type, unit);
    }

    private void ReadMapping(CodedInputStream cis, long at0)
    {
        long end = BeginMessage(cis);
        var m = new RawMapping { At = at0 };
        while (cis.Position < end)
        {
            long at = cis.Position;
            uint tag = cis.ReadTag();
            int f = (int)(tag >> 3);
            if (f is >= 1 and <= 10) ExpectWire(tag, 0, $"Mapping field {f}", at);
            switch (f)
            {
                case 1: m.Id = cis.ReadUInt64(); break;
                case 2: m.Start = cis.ReadUInt64(); break;
                case 3: m.Limit = cis.ReadUInt64(); break;
                case 4: m.Offset = cis.ReadUInt64(); break;
                case 5: m.File = cis.ReadInt64(); break;
                case 6: m.BuildId = cis.ReadInt64(); break;
                case 7: m.Fn = cis.ReadBool(); break;
                case 8: m.FileNames = cis.ReadBool(); break;
                case 9: m.LineNumbers = cis.ReadBool(); break;
                case 10: m.Inline = cis.ReadBool(); break;
                default: cis.SkipLastField(); break;
            }
        }
        EndMessage(cis, end);
        _mappings.Add(m);
    }

    private void ReadFunction(CodedInputStream cis, long at0)
    {
        long end = BeginMessage(cis);
        var fn = new RawFunction { At = at0 };
        while (cis.Position < end)
        {
            long at = cis.Position;
            uint tag = cis.ReadTag();
            int f = (int)(tag >> 3);
            if (f is >= 1 and <= 5) ExpectWire(tag, 0, $"Function field {f}", at);
            switch (f)
            {
                case 1: fn.Id = cis.ReadUInt64(); break;
                case 2: fn.Name = cis.ReadInt64(); break;
                case 3: fn.SystemName = cis.ReadInt64(); break;
                case 4: fn.File = cis.ReadInt64(); break;
                case 5: fn.StartLine = cis.ReadInt64(); break;
                default: cis.SkipLastField(); break;
            }
        }
        EndMessage(cis, end);
        _functions.Add(fn);
    }

    private void ReadLocation(CodedInputStream cis, long at0)
    {
        long end = BeginMessage(cis);
        var loc = new RawLocation { At = at0, FirstLine = _lines.Count };
        while (cis.Position < end)
        {
            long at = cis.Position;
            uint tag = cis.ReadTag();
            int f = (int)(tag >> 3);
            switch (f)
            {
                case 1: ExpectWire(tag, 0, "Location.id", at); loc.Id = cis.ReadUInt64(); break;
                case 2: ExpectWire(tag, 0, "Location.mapping_id", at); loc.Mapping = cis.ReadUInt64(); break;
                case 3: ExpectWire(tag, 0, "Location.address", at); loc.Address = cis.ReadUInt64(); break;
                case 4:
                    {
                        ExpectWire(tag, PprofFields.LengthDelimited, "Location.line (Line message)", at);
                        long lend = BeginMessage(cis);
                        var line = new RawLine();
                        while (cis.Position < lend)
                        {
                            long lat = cis.Position;
                            uint ltag = cis.ReadTag();
                            switch (ltag >> 3)
                            {
                                case 1: ExpectWire(ltag, 0, "Line.function_id", lat); line.Function = cis.ReadUInt64(); break;
                                case 2: ExpectWire(ltag, 0, "Line.line", lat); line.Line = cis.ReadInt64(); break;
                                case 3: ExpectWire(ltag, 0, "Line.column", lat); line.Column = cis.ReadInt64(); break;
                                default: cis.SkipLastField(); break;
                            }
                        }
                        EndMessage(cis, lend);
                        _lines.Add(line);
                        loc.LineCount++;
                        break;
                    }
                case 5: ExpectWire(tag, 0, "Location.is_folded", at); loc.Folded = cis.ReadBool(); break;
                default: cis.SkipLastField(); break;
            }
        }
        EndMessage(cis, end);
        _locations.Add(loc);
    }

    private string Str(long index, long at, string what)
    {
        if ((ulong)index >= (ulong)_strings.Count)
            throw Error($"{what}: string index {index} is out of range (the string table has {_strings.Count} entries)", at);
        return _strings[(int)index];
    }

    private ProfileBuilder BuildTables(out IdMap locIds, ProfileBuilder? into = null)
    {
        if (_strings.Count == 0) throw Error("expected a string_table (its first entry must be \"\")", length);
        if (_strings[0].Length != 0) throw Error($"string_table[0] must be \"\", got \"{_strings[0]}\"", 0);
        if (_sampleTypes.Count == 0) throw Error("expected at least one sample_type", 0);

        var types = new SampleType[_sampleTypes.Count];
        for (int i = 0; i < types.Length; i++)
            types[i] = new SampleType(Str(_sampleTypes[i].Type, 0, "sample_type.type"), Str(_sampleTypes[i].Unit, 0, "sample_type.unit"));
        ProfileBuilder b;
        if (into is null) b = new ProfileBuilder(types);
        else { b = into; b.RenameSampleTypes(types); }
        // Intern the string table up front so every name shares one instance.
        for (int i = 0; i < _strings.Count; i++) _strings[i] = b.Strings.Intern(_strings[i]);

        if (_periodType is { } pt) b.PeriodType = new SampleType(Str(pt.Type, 0, "period_type.type"), Str(pt.Unit, 0, "period_type.unit"));
        b.Period = _period;
        b.TimeNanos = _timeNanos;
        b.DurationNanos = _durationNanos;
        b.DropFrames = Str(_dropFrames, 0, "drop_frames");
        b.KeepFrames = Str(_keepFrames, 0, "keep_frames");
        if (_defaultSampleType != 0) b.DefaultSampleType = Str(_defaultSampleType, 0, "default_sample_type");
        foreach (var c in _comments) b.Comments.Add(Str(c, 0, "comment"));
        if (options.SourceName is { Length: > 0 } src) b.Name = Path.GetFileName(src);

        // Mappings.
        var mapIds = new IdMap(_mappings.Select(m => m.Id).ToArray());
        var mapOf = new MappingId[_mappings.Count];
        for (int i = 0; i < _mappings.Count; i++)
        {
            var m = _mappings[i];
            if (!mapIds.TryAdd(m.Id, i)) throw Error(m.Id == 0 ? "mapping id must not be 0" : $"duplicate mapping id {m.Id}", m.At);
            mapOf[i] = b.AddMapping(new Mapping(m.Start, m.Limit, m.Offset, Str(m.File, m.At, "mapping.filename"), Str(m.BuildId, m.At, "mapping.build_id"))
            {
                HasFunctions = m.Fn, HasFilenames = m.FileNames, HasLineNumbers = m.LineNumbers, HasInlineFrames = m.Inline,
            });
        }

        // Functions.
        var fnIds = new IdMap(_functions.Select(f => f.Id).ToArray());
        var fnOf = new FunctionId[_functions.Count];
        for (int i = 0; i < _functions.Count; i++)
        {
            var f = _functions[i];
            if (!fnIds.TryAdd(f.Id, i)) throw Error(f.Id == 0 ? "function id must not be 0" : $"duplicate function id {f.Id}", f.At);
            fnOf[i] = b.AddFunction(Str(f.Name, f.At, "function.name"), Str(f.SystemName, f.At, "function.system_name"), Str(f.File, f.At, "function.filename"), f.StartLine);
        }

        // Locations.
        locIds = new IdMap(_locations.Select(l => l.Id).ToArray());
        var lineBuf = new List<Line>();
        for (int i = 0; i < _locations.Count; i++)
        {
            var l = _locations[i];
            if (!locIds.TryAdd(l.Id, i)) throw Error(l.Id == 0 ? "location id must not be 0" : $"duplicate location id {l.Id}", l.At);
            var mapping = MappingId.None;
            if (l.Mapping != 0)
            {
                int mi = mapIds.Find(l.Mapping);
                if (mi < 0) throw Error($"location {l.Id} refers to unknown mapping id {l.Mapping}", l.At);
                mapping = mapOf[mi];
            }
            lineBuf.Clear();
            for (int j = 0; j < l.LineCount; j++)
            {
                var rl = _lines[l.FirstLine + j];
                int fi = fnIds.Find(rl.Function);
                if (fi < 0) throw Error($"location {l.Id} refers to unknown function id {rl.Function}", l.At);
                lineBuf.Add(new Line(fnOf[fi], rl.Line, rl.Column));
            }
            var id = b.AddLocation(l.Address, mapping, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(lineBuf), l.Folded);
            // Interning may merge equal locations; the id map must point at the model's index.
            _locationIndex ??= new int[_locations.Count];
            _locationIndex[i] = id.Index;
        }
        _locationIndex ??= [];
        return b;
    }

    private int[]? _locationIndex;

    // Pass 2: samples, resolved and interned as they are read.
    /// <summary>
    /// Decodes samples on this thread and hands them in batches to a second thread that interns their
    /// stacks and adds them to the builder: on big profiles the stack trie is the costliest step, and the
    /// two stages touch disjoint parts of <see cref="ProfileBuilder"/> (label sets here; the stack trie and
    /// sample columns there), so both cores work. Samples keep their order.
    /// </summary>
    private void ReadSamples(CodedInputStream cis, ProfileBuilder b, IdMap locIds)
    {
        var state = new SampleState(b.SampleTypes.Count, _locationIndex!, locIds);
        uint sampleTag = PprofFields.Tag(PprofFields.Sample, PprofFields.LengthDelimited);
        var pipe = new SamplePipe(b);
        try
        {
            while (true)
            {
                long sampleAt = cis.Position;
                uint tag = cis.ReadTag();
                if (tag == 0) break;
                if (tag != sampleTag) { cis.SkipLastField(); continue; }
                ReadSample(cis, b, state, sampleAt, pipe);
            }
        }
        catch
        {
            pipe.Abandon();
            throw;
        }
        pipe.Finish();
    }

    /// <summary>Batches of decoded samples (leaf-first location ids, values, label set) for the stack-interning thread.</summary>
    private sealed class SamplePipe(ProfileBuilder builder)
    {
        private const int BatchSamples = 8192;
        private Batch _batch = new(builder.SampleTypes.Count);
        private System.Collections.Concurrent.BlockingCollection<Batch>? _queue;
        private Thread? _worker;
        private Exception? _error;

        private sealed class Batch(int nTypes)
        {
            public GrowArray<int> Locations = new(BatchSamples * 24);
            public GrowArray<int> Ends = new(BatchSamples);
            public GrowArray<long> Values = new(BatchSamples * nTypes);
            public GrowArray<int> Labels = new(BatchSamples);
        }

        public void Add(ReadOnlySpan<LocationId> leafFirst, ReadOnlySpan<long> values, LabelSetId labels)
        {
            var batch = _batch;
            foreach (var l in leafFirst) batch.Locations.Add(l.Index);
            batch.Ends.Add(batch.Locations.Count);
            batch.Values.AddRange(values);
            batch.Labels.Add(labels.Index);
            if (batch.Ends.Count == BatchSamples) Flush();
        }

        private void Flush()
        {
            if (_queue is null)
            {
                _queue = new System.Collections.Concurrent.BlockingCollection<Batch>(boundedCapacity: 4);
                _worker = new Thread(Work) { IsBackground = true, Name = "flamekit pprof stacks" };
                _worker.Start();
            }
            _queue.Add(_batch);
            _batch = new Batch(builder.SampleTypes.Count);
        }

        private void Work()
        {
            try
            {
                foreach (var batch in _queue!.GetConsumingEnumerable()) Insert(batch);
            }
            catch (Exception e)
            {
                _error = e;
                foreach (var _ in _queue!.GetConsumingEnumerable()) { } // never block the decoding thread
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once over the whole input: skip tier-0
        private void Insert(Batch batch)
        {
            int nTypes = builder.SampleTypes.Count;
            int from = 0;
            var values = batch.Values.AsSpan();
            for (int k = 0; k < batch.Ends.Count; k++)
            {
                int to = batch.Ends[k];
                var stack = StackId.Empty;
                for (int i = to - 1; i >= from; i--) stack = builder.Push(stack, new LocationId(batch.Locations[i]));
                builder.AddSample(stack, values.Slice(k * nTypes, nTypes), new LabelSetId(batch.Labels[k]));
                from = to;
            }
        }

        public void Finish()
        {
            if (_queue is not null)
            {
                _queue.CompleteAdding();
                _worker!.Join();
                if (_error is not null) throw new InvalidOperationException("pprof stack interning failed", _error);
            }
            Insert(_batch);
        }

        public void Abandon()
        {
            _queue?.CompleteAdding();
            _worker?.Join();
        }
    }

    /// <summary>Scratch buffers reused for every sample, so reading a sample allocates nothing.</summary>
    private sealed class SampleState(int nTypes, int[] locIndex, IdMap? locIds, ProvisionalIds? provisional = null)
    {
        public readonly int NTypes = nTypes;
        public readonly int[] LocIndex = locIndex;
        public readonly IdMap? LocIds = locIds;
        /// <summary>Set while the tables are not read yet (see <see cref="TryDecodeWhileInflating"/>).</summary>
        public readonly ProvisionalIds? Provisional = provisional;
        public LocationId[] Locs = new LocationId[64];
        public readonly long[] Values = new long[nTypes];
        public long[] LabelRaw = new long[16];
        public readonly LabelSetCache Labels = new();
    }

    // One sample message; a method of its own so the JIT optimises it fully (a single long loop would run
    // as on-stack-replaced code). Packed fields are framed by CodedInputStream (SkipLastField) and their
    // varints decoded straight from the buffer, which avoids a call per varint on the hottest path.
    private void ReadSample(CodedInputStream cis, ProfileBuilder b, SampleState st, long sampleAt, SamplePipe pipe)
    {
        const uint LocPacked = 1 << 3 | PprofFields.LengthDelimited, LocSingle = 1 << 3;
        const uint ValPacked = 2 << 3 | PprofFields.LengthDelimited, ValSingle = 2 << 3;
        const uint LabelTag = 3 << 3 | PprofFields.LengthDelimited;
        int nTypes = st.NTypes;
        var values = st.Values;
        long end = BeginMessage(cis);
        int nLoc = 0, nVal = 0, nLab = 0;
        while (cis.Position < end)
        {
            long at = cis.Position;
            uint t = cis.ReadTag();
            if (t == LocPacked)
            {
                cis.SkipLastField();
                var span = Payload(at, cis.Position);
                int pos = 0;
                while (pos < span.Length)
                {
                    ulong id = Varint(span, ref pos, at);
                    if (nLoc == st.Locs.Length) Array.Resize(ref st.Locs, nLoc * 2);
                    st.Locs[nLoc++] = Resolve(st, id, at);
                }
            }
            else if (t == ValPacked)
            {
                cis.SkipLastField();
                var span = Payload(at, cis.Position);
                int pos = 0;
                while (pos < span.Length)
                {
                    long v = (long)Varint(span, ref pos, at);
                    if (nVal < nTypes) values[nVal] = v;
                    nVal++;
                }
            }
            else if (t == LocSingle)
            {
                if (nLoc == st.Locs.Length) Array.Resize(ref st.Locs, nLoc * 2);
                st.Locs[nLoc++] = Resolve(st, cis.ReadUInt64(), at);
            }
            else if (t == ValSingle)
            {
                long v = cis.ReadInt64();
                if (nVal < nTypes) values[nVal] = v;
                nVal++;
            }
            else if (t == LabelTag)
            {
                long lend = BeginMessage(cis);
                long key = 0, str = 0, num = 0, unit = 0;
                while (cis.Position < lend)
                {
                    long lat = cis.Position;
                    uint lt = cis.ReadTag();
                    int lf = (int)(lt >> 3);
                    if (lf is >= 1 and <= 4) ExpectWire(lt, 0, $"Label field {lf}", lat);
                    switch (lf)
                    {
                        case 1: key = cis.ReadInt64(); break;
                        case 2: str = cis.ReadInt64(); break;
                        case 3: num = cis.ReadInt64(); break;
                        case 4: unit = cis.ReadInt64(); break;
                        default: cis.SkipLastField(); break;
                    }
                }
                EndMessage(cis, lend);
                var strings = _strings;
                if (st.Provisional is null && ((ulong)key >= (ulong)strings.Count || (ulong)str >= (ulong)strings.Count || (ulong)unit >= (ulong)strings.Count))
                    throw Error($"label: string index out of range (the string table has {strings.Count} entries)", at);
                if (nLab * 4 + 4 > st.LabelRaw.Length) Array.Resize(ref st.LabelRaw, st.LabelRaw.Length * 2);
                var raw = st.LabelRaw;
                raw[nLab * 4] = key; raw[nLab * 4 + 1] = str; raw[nLab * 4 + 2] = num; raw[nLab * 4 + 3] = unit;
                nLab++;
            }
            else if ((t >> 3) is 1 or 2 or 3)
            {
                throw Error($"expected sample field {t >> 3} with a valid wire type, got wire type {t & 7}", at);
            }
            else cis.SkipLastField();
        }
        EndMessage(cis, end);
        if (nVal != nTypes)
            throw Error($"sample has {nVal} values but the profile has {nTypes} sample types", sampleAt);

        var labels = nLab == 0 ? LabelSetId.Empty
            : st.Provisional is { } prov ? new LabelSetId(prov.LabelSet(st.LabelRaw, nLab * 4))
            : st.Labels.Get(b, st.LabelRaw, nLab * 4, _strings);
        pipe.Add(st.Locs.AsSpan(0, nLoc), values, labels);
    }

    /// <summary>The payload of the length-delimited field whose tag started at <paramref name="tagAt"/> and that ends at <paramref name="end"/>.</summary>
    private ReadOnlySpan<byte> Payload(long tagAt, long end)
    {
        // Skip the (one-byte) tag and the length varint; SkipLastField has validated both.
        int pos = (int)tagAt + 1;
        while ((data[pos] & 0x80) != 0) pos++;
        pos++;
        return data.AsSpan(pos, (int)end - pos);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong Varint(ReadOnlySpan<byte> span, ref int pos, long at)
    {
        byte x = span[pos];
        if (x < 0x80) { pos++; return x; }
        return VarintSlow(span, ref pos, at);
    }

    private ulong VarintSlow(ReadOnlySpan<byte> span, ref int pos, long at)
    {
        ulong value = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            if (pos >= span.Length) break;
            byte x = span[pos++];
            value |= (ulong)(x & 0x7f) << shift;
            if (x < 0x80) return value;
        }
        throw Error("malformed varint in a packed field", at);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private LocationId Resolve(SampleState st, ulong id, long at) =>
        st.Provisional is { } p ? new LocationId(p.Get(id)) : ResolveLocation(st.LocIds!, st.LocIndex, id, at);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private LocationId ResolveLocation(IdMap ids, int[] locIndex, ulong id, long at)
    {
        int i = ids.Find(id);
        if (i < 0) throw Error($"sample refers to unknown location id {id}", at);
        return new LocationId(locIndex[i]);
    }

    /// <summary>Interns label sets by their raw string-table indices, so repeated sets cost no allocation.</summary>
    private sealed class LabelSetCache
    {
        private readonly Dictionary<RawKey, LabelSetId> _cache = new(new RawKeyComparer());
        private Label[] _buf = new Label[4];

        public LabelSetId Get(ProfileBuilder b, long[] scratch, int length, List<string> strings)
        {
            // Probe with the caller's scratch array (no allocation); store a copy only for new sets.
            if (_cache.TryGetValue(new RawKey(scratch, length), out var id)) return id;
            ReadOnlySpan<long> raw = scratch.AsSpan(0, length);
            id = Add(b, raw, strings);
            _cache.Add(new RawKey(raw.ToArray(), length), id);
            return id;
        }

        /// <summary>Adds a label set given as (key, str, num, unit) string-table indices.</summary>
        public LabelSetId Add(ProfileBuilder b, ReadOnlySpan<long> raw, List<string> strings)
        {
            int n = raw.Length / 4;
            if (_buf.Length < n) _buf = new Label[n];
            for (int i = 0; i < n; i++)
            {
                long key = raw[i * 4], str = raw[i * 4 + 1], num = raw[i * 4 + 2], unit = raw[i * 4 + 3];
                // pprof: a label with a string value is a string label; otherwise it is numeric.
                _buf[i] = str != 0
                    ? new Label(strings[(int)key], strings[(int)str])
                    : new Label(strings[(int)key], null, num, unit != 0 ? strings[(int)unit] : null);
            }
            return b.AddLabelSet(_buf.AsSpan(0, n));
        }
    }

    internal readonly record struct RawKey(long[] Array, int Length)
    {
        public ReadOnlySpan<long> Span => Array.AsSpan(0, Length);
    }

    internal sealed class RawKeyComparer : IEqualityComparer<RawKey>
    {
        public bool Equals(RawKey x, RawKey y) => x.Span.SequenceEqual(y.Span);
        public int GetHashCode(RawKey k)
        {
            var h = new HashCode();
            h.AddBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(k.Span));
            return h.ToHashCode();
        }
    }
}
