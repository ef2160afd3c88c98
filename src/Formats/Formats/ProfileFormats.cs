using System.IO.Compression;

namespace FlameKit.Formats;

/// <summary>
/// The one place where formats are registered and detected. Content decides the format (gzip is
/// unwrapped transparently first); a file name only breaks ties between equally likely readers.
/// </summary>
public static class ProfileFormats
{
    /// <summary>How many bytes of (decompressed) input detection looks at.</summary>
    public const int DetectionWindow = 64 * 1024;

    /// <summary>All readers, most specific first.</summary>
    public static IReadOnlyList<IProfileReader> Readers { get; } =
    [
        new Pprof.PprofReader(),
        new Nettrace.NettraceReader(),
        new Speedscope.SpeedscopeReader(),
        new ChromeTrace.ChromeTraceReader(),
        new ChromeTrace.ChromeCpuProfileReader(),
        new GoText.GoLegacyTextReader(),
        new GoText.GoroutineDumpReader(),
        new PerfScript.PerfScriptReader(),
        new Folded.FoldedReader(),
    ];

    /// <summary>All writers.</summary>
    public static IReadOnlyList<IProfileWriter> Writers { get; } =
    [
        new Pprof.PprofWriter(),
        new Folded.FoldedWriter(),
        new Speedscope.SpeedscopeWriter(),
        new ChromeTrace.ChromeTraceWriter(),
    ];

    /// <summary>Finds a writer by format name (case-insensitive), or null.</summary>
    /// <param name="name">Format name, e.g. <c>pprof</c>.</param>
    public static IProfileWriter? FindWriter(string name) =>
        Writers.FirstOrDefault(w => string.Equals(w.Format.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Finds a reader by format name (case-insensitive), or null.</summary>
    /// <param name="name">Format name, e.g. <c>folded</c>.</param>
    public static IProfileReader? FindReader(string name) =>
        Readers.FirstOrDefault(r => string.Equals(r.Format.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Picks the reader for some bytes, or null when no reader recognises them.</summary>
    /// <param name="head">The first bytes of the decompressed input.</param>
    /// <param name="isComplete">Whether <paramref name="head"/> is the whole input.</param>
    /// <param name="sourceName">A file name to break ties, or null.</param>
    public static IProfileReader? Detect(ReadOnlySpan<byte> head, bool isComplete, string? sourceName = null)
    {
        IProfileReader? best = null;
        Detection bestScore = Detection.No;
        bool bestByName = false;
        foreach (var r in Readers)
        {
            Detection d;
            try { d = r.Detect(head, isComplete); }
            catch (Exception) { d = Detection.No; } // Detect must not throw; a buggy one must not break the others.
            if (d == Detection.No) continue;
            bool byName = sourceName is not null && r.Format.Extensions.Any(e => sourceName.EndsWith(e, StringComparison.OrdinalIgnoreCase));
            if (d > bestScore || (d == bestScore && byName && !bestByName))
            {
                best = r; bestScore = d; bestByName = byName;
            }
        }
        return best;
    }

    /// <summary>
    /// Reads a profile from a stream of any supported format, gzipped or not, detecting the format from
    /// its content unless <paramref name="formatName"/> names one.
    /// </summary>
    /// <param name="input">The raw input (a file or stdin); read to its end, not closed.</param>
    /// <param name="options">Read options (the source name breaks detection ties).</param>
    /// <param name="formatName">A format name to skip detection, or null.</param>
    /// <returns>The profile and the format it was read as.</returns>
    /// <exception cref="ProfileFormatException">Unrecognised or malformed input.</exception>
    public static (Profile Profile, ProfileFormat Format) Read(Stream input, ReadOptions? options = null, string? formatName = null)
    {
        options ??= ReadOptions.Default;
        var (stream, head, complete) = Peek(input);
        IProfileReader? reader;
        if (formatName is not null)
        {
            reader = FindReader(formatName) ?? throw new ArgumentException($"unknown input format \"{formatName}\"; known: {string.Join(", ", Readers.Select(r => r.Format.Name))}");
        }
        else
        {
            reader = Detect(head, complete, options.SourceName);
            if (reader is null)
            {
                string what = head.AsSpan().TrimStart(" \t\r\n"u8).IsEmpty && complete ? "the input is empty" : "unrecognized profile format";
                throw new ProfileFormatException("input", $"{what}; expected one of: {string.Join(", ", Readers.Select(r => r.Format.Description))}", byteOffset: 0);
            }
        }
        try
        {
            return (reader.Read(stream, options), reader.Format);
        }
        catch (InvalidDataException e)
        {
            // Truncated or corrupt gzip surfaces here, from inside whichever reader was pulling bytes.
            throw new ProfileFormatException(reader.Format.Name, $"corrupt or truncated compressed data ({e.Message})", inner: e);
        }
        catch (EndOfStreamException e)
        {
            throw new ProfileFormatException(reader.Format.Name, "unexpected end of input", inner: e);
        }
    }

    /// <summary>
    /// Lists the profiles of a file that holds several (speedscope), or returns null for formats that hold one.
    /// </summary>
    /// <param name="input">The raw input; read, not closed.</param>
    /// <param name="options">Read options (the source name breaks detection ties).</param>
    /// <param name="formatName">A format name to skip detection, or null.</param>
    /// <exception cref="ProfileFormatException">Unrecognised or malformed input.</exception>
    public static IReadOnlyList<ProfileEntry>? ListProfiles(Stream input, ReadOptions? options = null, string? formatName = null)
    {
        options ??= ReadOptions.Default;
        var (stream, head, complete) = Peek(input);
        var reader = formatName is not null ? FindReader(formatName) : Detect(head, complete, options.SourceName);
        return reader is IMultiProfileReader multi ? multi.ListProfiles(stream) : null;
    }

    /// <summary>
    /// Unwraps gzip (by its magic bytes, possibly nested) and buffers the first <see cref="DetectionWindow"/>
    /// bytes for detection, returning a stream that replays them before the rest.
    /// </summary>
    internal static (Stream Stream, byte[] Head, bool Complete) Peek(Stream input)
    {
        Stream s = input;
        long start = input.CanSeek ? input.Position : -1;
        bool gzippedFile = false;
        for (int depth = 0; ; depth++)
        {
            var head = new byte[DetectionWindow];
            int n = ReadFully(s, head);
            bool complete = n < head.Length;
            Array.Resize(ref head, n);
            Stream replay = new PrefixedStream(head, complete ? Stream.Null : s);
            if (depth > 0 && n == 0)
                throw new ProfileFormatException("gzip", "the compressed input holds no data (truncated or empty gzip stream)", byteOffset: 0);
            if (n >= 2 && head[0] == 0x1f && head[1] == 0x8b && depth < 2)
            {
                gzippedFile = depth == 0 && start >= 0;
                s = new GZipStream(replay, CompressionMode.Decompress);
                continue;
            }
            // A gzipped file: a reader that inflates on its own terms (pprof, on a second thread) may go back
            // to the compressed bytes instead.
            if (gzippedFile && depth == 1) replay = new GunzippedFile(replay, input, start);
            return (replay, head, complete);
        }
    }

    private static int ReadFully(Stream s, byte[] buffer)
    {
        int total = 0;
        try
        {
            while (total < buffer.Length)
            {
                int n = s.Read(buffer, total, buffer.Length - total);
                if (n == 0) break;
                total += n;
            }
        }
        catch (InvalidDataException e)
        {
            throw new ProfileFormatException("gzip", $"corrupt compressed data ({e.Message})", byteOffset: total, inner: e);
        }
        return total;
    }
}

/// <summary>
/// The decompressed content of a gzipped, seekable input (what other readers read), which can also hand back
/// the compressed input from its start, for a reader that has read nothing yet.
/// </summary>
internal sealed class GunzippedFile(Stream decompressed, Stream compressed, long compressedStart) : ReadOnlyStreamBase
{
    private bool _read;

    /// <summary>The compressed input, positioned at its start; null once this stream has been read from.</summary>
    public Stream? RewindToCompressed()
    {
        if (_read) return null;
        _read = true;
        compressed.Position = compressedStart;
        return compressed;
    }

    public override long Position { get => decompressed.Position; set => throw new NotSupportedException(); }

    public override int Read(Span<byte> buffer)
    {
        _read = true;
        return decompressed.Read(buffer);
    }
}

/// <summary>
/// A read-only stream, not seekable unless a subclass says otherwise; subclasses supply reading and the
/// position.
/// </summary>
internal abstract class ReadOnlyStreamBase : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
    public abstract override int Read(Span<byte> buffer);
}

/// <summary>
/// A read-only stream that yields a buffered prefix, then the rest of another stream. Seekable when the
/// prefix is the whole input (<paramref name="rest"/> is <see cref="Stream.Null"/>) or when the prefix was
/// read from a seekable <paramref name="rest"/>: readers that take two passes (speedscope) then rewind the
/// file itself instead of spooling it.
/// </summary>
internal sealed class PrefixedStream(byte[] prefix, Stream rest) : ReadOnlyStreamBase
{
    private int _pos;
    private long _position;
    private readonly bool _whole = rest == Stream.Null;
    private readonly long _restOrigin = rest != Stream.Null && rest.CanSeek ? rest.Position - prefix.Length : 0;

    public override bool CanSeek => _whole || rest.CanSeek && _restOrigin >= 0;
    public override long Length => !CanSeek ? throw new NotSupportedException() : _whole ? prefix.Length : rest.Length - _restOrigin;
    public override long Position { get => _position; set => Seek(value, SeekOrigin.Begin); }

    public override long Seek(long offset, SeekOrigin origin)
    {
        if (!CanSeek) throw new NotSupportedException();
        long target = origin switch { SeekOrigin.Begin => offset, SeekOrigin.Current => _position + offset, _ => Length + offset };
        if (target < 0) throw new IOException("seek before the beginning of the stream");
        if (_whole) _pos = (int)Math.Min(target, prefix.Length);
        else
        {
            // The prefix was read from rest: rest itself holds those bytes again.
            rest.Position = _restOrigin + target;
            _pos = prefix.Length;
        }
        _position = target;
        return target;
    }

    public override int Read(Span<byte> buffer)
    {
        int n;
        if (_pos < prefix.Length)
        {
            n = Math.Min(buffer.Length, prefix.Length - _pos);
            prefix.AsSpan(_pos, n).CopyTo(buffer);
            _pos += n;
        }
        else n = rest.Read(buffer);
        _position += n;
        return n;
    }
}
