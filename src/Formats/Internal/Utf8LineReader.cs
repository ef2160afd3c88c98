using System.Runtime.CompilerServices;
namespace FlameKit.Formats.Internal;

/// <summary>
/// Splits a stream into lines of UTF-8 bytes without decoding or allocating per line. A returned line
/// (without its '\n'; a '\r' is left for the caller) is valid until the next call.
/// </summary>
internal sealed class Utf8LineReader(Stream input, int bufferSize = 1 << 20)
{
    private byte[] _buf = new byte[bufferSize];
    private int _start, _end;
    private bool _eof;
    private long _lineNo;
    private long _consumed;

    /// <summary>Bytes consumed before the current buffer start (for byte offsets in messages).</summary>
    public long Position => _consumed + _start;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once over the whole input: skip tier-0
    public bool TryReadLine(out ReadOnlySpan<byte> line, out long lineNumber)
    {
        while (true)
        {
            int nl = _buf.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (nl >= 0)
            {
                line = _buf.AsSpan(_start, nl);
                _start += nl + 1;
                lineNumber = ++_lineNo;
                return true;
            }
            if (_eof)
            {
                if (_start < _end)
                {
                    line = _buf.AsSpan(_start, _end - _start);
                    _start = _end;
                    lineNumber = ++_lineNo;
                    return true;
                }
                line = default;
                lineNumber = _lineNo;
                return false;
            }
            Fill();
        }
    }

    private void Fill()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buf, _start, _buf, 0, _end - _start);
            _consumed += _start;
            _end -= _start;
            _start = 0;
        }
        if (_end == _buf.Length) Array.Resize(ref _buf, _buf.Length * 2); // a line longer than the buffer
        int n = input.Read(_buf, _end, _buf.Length - _end);
        if (n == 0) _eof = true;
        _end += n;
    }
}
