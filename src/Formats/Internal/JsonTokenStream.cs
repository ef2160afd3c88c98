using System.Buffers;
using System.Text.Json;

namespace FlameKit.Formats.Internal;

/// <summary>
/// Reads a JSON stream token by token through a buffer that grows only for a single larger value, so a
/// document of hundreds of megabytes is never held whole (as <see cref="JsonDocument"/> does, at several
/// times its size). A small value (a speedscope stack, an event object) can be taken whole with
/// <see cref="ReadWhole"/> and parsed on its own. Errors carry the line of the input.
/// </summary>
internal sealed class JsonTokenStream : IDisposable
{
    private readonly Stream _input;
    private readonly string _format;
    private byte[] _buf = ArrayPool<byte>.Shared.Rent(1 << 16);
    private int _pos, _len;
    private long _base; // absolute offset of _buf[0]
    private long _lines; // newlines before _buf[0]
    private bool _eof;
    private JsonReaderState _state;
    // The current token: where it starts and the reader state before it, to read its value again.
    private int _tokenPos;
    private JsonReaderState _tokenState;

    /// <param name="input">The input, read from its current position.</param>
    /// <param name="format">The format name for errors.</param>
    /// <param name="options">Reader options.</param>
    /// <param name="newlinesBefore">Newlines in the input before its current position (for the line numbers of errors when reading from the middle).</param>
    public JsonTokenStream(Stream input, string format, JsonReaderOptions options, long newlinesBefore = 0)
    {
        _input = input;
        _lines = newlinesBefore;
        _format = format;
        _base = input.CanSeek ? input.Position : 0;
        _state = new JsonReaderState(options);
    }

    /// <summary>The type of the current token.</summary>
    public JsonTokenType TokenType { get; private set; }

    /// <summary>The depth of the current token (0 for the top-level value's start and end).</summary>
    public int Depth { get; private set; }

    /// <summary>The offset in the input where the current token starts.</summary>
    public long TokenOffset { get; private set; }

    /// <summary>Newlines in the input before the current token.</summary>
    public long NewlinesBeforeToken => _lines + _buf.AsSpan(0, (int)(TokenOffset - _base)).Count((byte)'\n');

    /// <summary>Moves to the next token; false at the end of the input.</summary>
    public bool Read()
    {
        while (true)
        {
            var r = new Utf8JsonReader(_buf.AsSpan(_pos, _len - _pos), _eof, _state);
            bool ok;
            try { ok = r.Read(); }
            catch (JsonException e) { throw Error(e); }
            if (ok)
            {
                _tokenPos = _pos;
                _tokenState = _state;
                TokenType = r.TokenType;
                Depth = r.CurrentDepth;
                TokenOffset = _base + _pos + r.TokenStartIndex;
                _pos += (int)r.BytesConsumed;
                _state = r.CurrentState;
                return true;
            }
            if (_eof) return false;
            Fill();
        }
    }

    /// <summary>A reader positioned on the current token, to get its value (valid until the next <see cref="Read"/>).</summary>
    public Utf8JsonReader Current()
    {
        var r = new Utf8JsonReader(_buf.AsSpan(_tokenPos, _len - _tokenPos), _eof, _tokenState);
        r.Read();
        return r;
    }

    /// <summary>The current string or property name, unescaped.</summary>
    public string GetString() => Current().GetString() ?? "";

    /// <summary>
    /// Takes the whole value that starts at the current token (an object or array: through its end) and
    /// moves past it. The bytes are valid until the next <see cref="Read"/>.
    /// </summary>
    public ReadOnlySpan<byte> ReadWhole()
    {
        while (true)
        {
            var r = new Utf8JsonReader(_buf.AsSpan(_tokenPos, _len - _tokenPos), _eof, _tokenState);
            bool ok;
            int start = 0;
            try
            {
                ok = r.Read();
                start = _tokenPos + (int)r.TokenStartIndex; // before TrySkip moves the reader to the value's end
                ok = ok && r.TrySkip();
            }
            catch (JsonException e) { throw Error(e, _tokenPos); }
            if (ok)
            {
                _pos = _tokenPos + (int)r.BytesConsumed;
                _state = r.CurrentState;
                // Keep the value in place: the next Read starts after it.
                return _buf.AsSpan(start, _pos - start);
            }
            if (_eof) throw new ProfileFormatException(_format, "unexpected end of input", line: LineAt(_len), byteOffset: _base + _len);
            _pos = _tokenPos; // Fill keeps what is not consumed: from the start of this value on
            Fill();
            _tokenPos = _pos; // moved to the start of the buffer
        }
    }

    /// <summary>Skips the value that starts at the current token (nothing to do for a scalar).</summary>
    public void Skip()
    {
        if (TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) ReadWhole();
    }

    private void Fill()
    {
        _lines += _buf.AsSpan(0, _pos).Count((byte)'\n');
        BufferWindow.Refill(_input, ref _buf, ref _pos, ref _len, ref _base, ref _eof);
    }

    private long LineAt(int bufferPos) => _lines + _buf.AsSpan(0, Math.Min(bufferPos, _len)).Count((byte)'\n') + 1;

    private ProfileFormatException Error(JsonException e, int readerStart = -1)
    {
        int start = readerStart < 0 ? _pos : readerStart;
        long line = _lines + _buf.AsSpan(0, start).Count((byte)'\n') + (e.LineNumber ?? 0) + 1;
        return new ProfileFormatException(_format, "invalid JSON: " + e.Message, line: line, inner: e);
    }

    public void Dispose()
    {
        if (_buf.Length == 0) return;
        ArrayPool<byte>.Shared.Return(_buf);
        _buf = [];
    }
}
