using System.Runtime.CompilerServices;
using FlameKit.Formats.Internal;
using System.Text;

namespace FlameKit.Formats.GoText;

/// <summary>
/// Span-level pieces of the text Go's <c>runtime/pprof</c> writes, shared by <see cref="GoLegacyTextReader"/>
/// (<c>?debug=1</c>) and <see cref="GoroutineDumpReader"/> (<c>?debug=2</c>, panics, SIGQUIT). Nothing here
/// allocates per line; strings are made only through the builder's pool.
/// </summary>
internal static class GoTextSyntax
{
    /// <summary>Removes a trailing <c>\r</c> (CRLF input) and trailing spaces and tabs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<byte> TrimEnd(ReadOnlySpan<byte> s)
    {
        int n = s.Length;
        while (n > 0 && (s[n - 1] == (byte)'\r' || s[n - 1] == (byte)' ' || s[n - 1] == (byte)'\t')) n--;
        return s[..n];
    }

    /// <summary>Removes leading spaces and tabs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<byte> TrimStart(ReadOnlySpan<byte> s)
    {
        int i = 0;
        while (i < s.Length && (s[i] == (byte)' ' || s[i] == (byte)'\t')) i++;
        return s[i..];
    }

    /// <summary>Both ends trimmed.</summary>
    public static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> s) => TrimStart(TrimEnd(s));

    /// <summary>Is <paramref name="c"/> an ASCII digit?</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsDigit(byte c) => (uint)(c - '0') <= 9;

    /// <summary>Parses a decimal integer (optionally negative) at the start of <paramref name="s"/>.</summary>
    /// <returns>Number of bytes consumed, 0 when there is no number or it overflows.</returns>
    public static int ParseInt(ReadOnlySpan<byte> s, out long value)
    {
        value = 0;
        int i = 0;
        bool neg = false;
        if (s.Length > 0 && s[0] == (byte)'-') { neg = true; i = 1; }
        int start = i;
        ulong v = 0;
        while (i < s.Length && IsDigit(s[i]))
        {
            if (v > (ulong.MaxValue - 9) / 10) return 0;
            v = v * 10 + (uint)(s[i] - '0');
            i++;
        }
        if (i == start || v > long.MaxValue) return 0;
        value = neg ? -(long)v : (long)v;
        return i;
    }

    /// <summary>Parses <c>0x</c> followed by hex digits at the start of <paramref name="s"/>.</summary>
    /// <returns>Number of bytes consumed, 0 when there is no such number or it does not fit 64 bits.</returns>
    public static int ParseHex(ReadOnlySpan<byte> s, out ulong value)
    {
        value = 0;
        if (s.Length < 3 || s[0] != (byte)'0' || (s[1] | 0x20) != (byte)'x') return 0;
        int i = 2;
        ulong v = 0;
        while (i < s.Length)
        {
            uint c = s[i];
            uint d = c - '0';
            if (d > 9)
            {
                d = (c | 0x20) - 'a';
                if (d > 5) break;
                d += 10;
            }
            if (i - 2 >= 16) return 0; // more than 64 bits
            v = (v << 4) | d;
            i++;
        }
        if (i == 2) return 0;
        value = v;
        return i;
    }

    /// <summary>
    /// Parses the addresses after <c>@</c> in a record (<c> 0x4e254f 0x4e7b79 …</c>) into <paramref name="into"/>.
    /// </summary>
    /// <returns>False when something other than hex addresses and blanks is found.</returns>
    public static bool ParseAddresses(ReadOnlySpan<byte> s, List<ulong> into)
    {
        while (true)
        {
            s = TrimStart(s);
            if (s.IsEmpty) return true;
            int n = ParseHex(s, out ulong a);
            if (n == 0) return false;
            into.Add(a);
            s = s[n..];
            if (!s.IsEmpty && s[0] != (byte)' ' && s[0] != (byte)'\t') return false;
        }
    }

    /// <summary>
    /// Splits <c>path/to/file.go:123</c> at its last colon (so Windows paths such as <c>G:/Go/src/x.go:12</c>
    /// keep their drive letter).
    /// </summary>
    /// <returns>False when there is no <c>:LINE</c> suffix.</returns>
    public static bool SplitFileLine(ReadOnlySpan<byte> s, out ReadOnlySpan<byte> file, out long line)
    {
        file = default; line = 0;
        int colon = s.LastIndexOf((byte)':');
        if (colon <= 0) return false;
        var digits = s[(colon + 1)..];
        if (digits.IsEmpty || ParseInt(digits, out line) != digits.Length || line < 0) return false;
        file = s[..colon];
        return true;
    }

    /// <summary>
    /// Parses a debug=1 symbol line: <c>#\t0xADDR\tfunc+0xOFF\tfile:line</c> (tabs or spaces, possibly
    /// several, as Go's tabwriter aligns them), or a bare <c>#\t0xADDR</c> for an address without symbols.
    /// </summary>
    /// <param name="line">The line, trimmed at the end.</param>
    /// <param name="address">The address Go printed (already the call instruction: return address − 1).</param>
    /// <param name="function">The function name without its <c>+0xOFF</c>; empty when unsymbolized.</param>
    /// <param name="file">Source file; may be empty.</param>
    /// <param name="lineNumber">Source line, or 0.</param>
    /// <returns>False when the line is a comment of another kind (<c># labels:</c>, MemStats).</returns>
    public static bool TryParseSymbolLine(ReadOnlySpan<byte> line, out ulong address, out ReadOnlySpan<byte> function,
        out ReadOnlySpan<byte> file, out long lineNumber)
    {
        function = default; file = default; lineNumber = 0; address = 0;
        if (line.Length < 2 || line[0] != (byte)'#') return false;
        var s = TrimStart(line[1..]);
        int n = ParseHex(s, out address);
        if (n == 0) return false;
        s = s[n..];
        if (!s.IsEmpty && s[0] != (byte)' ' && s[0] != (byte)'\t') return false;
        s = TrimStart(s);
        if (s.IsEmpty) return true;
        int ws = s.IndexOfAny((byte)'\t', (byte)' ');
        var fn = ws < 0 ? s : s[..ws];
        int plus = fn.LastIndexOf("+0x"u8);
        if (plus > 0) fn = fn[..plus];
        function = fn;
        if (ws < 0) return true;
        s = TrimStart(s[ws..]);
        if (!SplitFileLine(s, out file, out lineNumber)) file = s;
        return true;
    }

    /// <summary>
    /// Parses Go's <c># labels: {"k":"v", "k2":"v2"}</c> map (values quoted with Go's <c>%q</c>) into pairs.
    /// </summary>
    /// <returns>False when the text is not such a map.</returns>
    public static bool TryParseLabelMap(ReadOnlySpan<byte> s, List<(string Key, string Value)> into)
    {
        s = Trim(s);
        if (s.Length < 2 || s[0] != (byte)'{' || s[^1] != (byte)'}') return false;
        s = s[1..^1];
        while (true)
        {
            s = TrimStart(s);
            if (s.IsEmpty) return true;
            if (!TryReadQuoted(ref s, out string key)) return false;
            s = TrimStart(s);
            if (s.IsEmpty || s[0] != (byte)':') return false;
            s = TrimStart(s[1..]);
            if (!TryReadQuoted(ref s, out string value)) return false;
            into.Add((key, value));
            s = TrimStart(s);
            if (s.IsEmpty) return true;
            if (s[0] != (byte)',') return false;
            s = s[1..];
        }
    }

    /// <summary>Reads a Go double-quoted string (common escapes decoded) from the start of <paramref name="s"/>.</summary>
    private static bool TryReadQuoted(ref ReadOnlySpan<byte> s, out string value)
    {
        value = "";
        if (s.IsEmpty || s[0] != (byte)'"') return false;
        var bytes = new List<byte>();
        int i = 1;
        while (i < s.Length && s[i] != (byte)'"')
        {
            byte c = s[i++];
            if (c != (byte)'\\') { bytes.Add(c); continue; }
            if (i >= s.Length) return false;
            byte e = s[i++];
            switch (e)
            {
                case (byte)'n': bytes.Add((byte)'\n'); break;
                case (byte)'t': bytes.Add((byte)'\t'); break;
                case (byte)'r': bytes.Add((byte)'\r'); break;
                case (byte)'x' when i + 2 <= s.Length && TryHexByte(s.Slice(i, 2), out byte b): bytes.Add(b); i += 2; break;
                case (byte)'u' when i + 4 <= s.Length && TryHexRune(s.Slice(i, 4), out int r): AddRune(bytes, r); i += 4; break;
                case (byte)'U' when i + 8 <= s.Length && TryHexRune(s.Slice(i, 8), out int r): AddRune(bytes, r); i += 8; break;
                default: bytes.Add(e); break; // \" \\ and anything unexpected: keep the character
            }
        }
        if (i >= s.Length) return false;
        value = Encoding.UTF8.GetString(bytes.ToArray());
        s = s[(i + 1)..];
        return true;
    }

    private static bool TryHexByte(ReadOnlySpan<byte> s, out byte b)
    {
        b = 0;
        if (!TryHexRune(s, out int r)) return false;
        b = (byte)r;
        return true;
    }

    private static bool TryHexRune(ReadOnlySpan<byte> s, out int r)
    {
        r = 0;
        foreach (byte c in s)
        {
            int d = IsDigit(c) ? c - '0' : (c | 0x20) is >= (byte)'a' and <= (byte)'f' ? (c | 0x20) - 'a' + 10 : -1;
            if (d < 0) return false;
            r = (r << 4) | d;
        }
        return true;
    }

    private static void AddRune(List<byte> bytes, int r)
    {
        if (!Rune.IsValid(r)) r = 0xFFFD;
        Span<byte> buf = stackalloc byte[4];
        int n = new Rune(r).EncodeToUtf8(buf);
        for (int k = 0; k < n; k++) bytes.Add(buf[k]);
    }

    /// <summary>Skips a UTF-8 byte order mark.</summary>
    public static ReadOnlySpan<byte> SkipBom(ReadOnlySpan<byte> s) =>
        s.Length >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF ? s[3..] : s;

    /// <summary>
    /// Feeds every line of <paramref name="input"/> to <paramref name="parser"/>, trimmed at the end and
    /// without a leading byte order mark: the reading loop both Go text readers share.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once over the whole input: skip tier-0
    public static void Feed<TParser>(Stream input, TParser parser) where TParser : ILineParser
    {
        var reader = new Utf8LineReader(input);
        bool first = true;
        while (reader.TryReadLine(out var raw, out long lineNo))
        {
            if (first) { raw = SkipBom(raw); first = false; }
            parser.AddLine(TrimEnd(raw), lineNo);
        }
    }
}

/// <summary>A parser fed one (end-trimmed) line at a time by <see cref="GoTextSyntax.Feed"/>.</summary>
internal interface ILineParser
{
    /// <summary>Consumes one line.</summary>
    void AddLine(ReadOnlySpan<byte> line, long lineNo);
}
