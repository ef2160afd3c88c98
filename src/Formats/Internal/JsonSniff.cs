namespace FlameKit.Formats.Internal;

/// <summary>Helpers for detecting JSON formats from the first bytes of a file.</summary>
internal static class JsonSniff
{
    /// <summary>The input without a UTF-8 byte order mark and leading whitespace.</summary>
    public static ReadOnlySpan<byte> SkipBomAndSpace(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) head = head[3..];
        return head.TrimStart(" \t\r\n"u8);
    }
}
