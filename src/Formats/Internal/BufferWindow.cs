using System.Buffers;

namespace FlameKit.Formats.Internal;

/// <summary>
/// The refill step of a sliding window over a stream (a pooled buffer, the consumed position, the valid
/// length and the absolute offset of the buffer's first byte), shared by the streaming JSON readers.
/// </summary>
internal static class BufferWindow
{
    /// <summary>
    /// Moves the unconsumed bytes to the start of the buffer, doubles the buffer when it is still full (one value
    /// larger than the buffer), then reads until the buffer is full or the input ends.
    /// </summary>
    public static void Refill(Stream input, ref byte[] buffer, ref int pos, ref int length, ref long offset, ref bool eof)
    {
        if (pos > 0)
        {
            Buffer.BlockCopy(buffer, pos, buffer, 0, length - pos);
            length -= pos;
            offset += pos;
            pos = 0;
        }
        if (length == buffer.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
            Buffer.BlockCopy(buffer, 0, bigger, 0, length);
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = bigger;
        }
        while (length < buffer.Length)
        {
            int n = input.Read(buffer, length, buffer.Length - length);
            if (n == 0) { eof = true; break; }
            length += n;
        }
    }
}
