using System.Globalization;
using System.Text;

namespace FlameKit.Rendering.Svg;

/// <summary>
/// A small buffered UTF-8 SVG writer: raw markup, XML-escaped text through one function, and numbers in
/// flamegraph.pl's formats (C <c>printf</c> rounding: exact binary value, ties to even).
/// </summary>
internal sealed class SvgText : IDisposable
{
    private readonly StreamWriter _w;
    private readonly char[] _num = new char[64];

    public SvgText(Stream output)
    {
        _w = new StreamWriter(output, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
    }

    public SvgText Raw(string s) { _w.Write(s); return this; }

    /// <summary>Appends text that is already UTF-8 (another <see cref="SvgText"/>'s output).</summary>
    public SvgText Bytes(ReadOnlySpan<byte> utf8)
    {
        _w.Flush();
        _w.BaseStream.Write(utf8);
        return this;
    }

    public SvgText Raw(ReadOnlySpan<char> s) { _w.Write(s); return this; }

    /// <summary>Writes <paramref name="s"/> escaped for XML text and attribute values.</summary>
    public SvgText Esc(ReadOnlySpan<char> s)
    {
        int run = 0;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            string? rep = null;
            bool bad = false;
            if (c < 0x20) bad = true;
            else if (c <= '>')
            {
                rep = c switch { '&' => "&amp;", '<' => "&lt;", '>' => "&gt;", '"' => "&quot;", '\'' => "&#39;", _ => null };
            }
            else if (char.IsSurrogate(c))
            {
                if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { i++; continue; }
                bad = true;
            }
            else if (c >= '\uFFFE') bad = true;
            if (rep is null && !bad) continue;
            _w.Write(s[run..i]);
            _w.Write(bad ? "\uFFFD" : rep);
            run = i + 1;
        }
        _w.Write(s[run..]);
        return this;
    }

    /// <summary>Writes a value as Perl prints a number (<c>%.15g</c>).</summary>
    public SvgText Num(double v)
    {
        int n = FormatG15(v, _num);
        _w.Write(_num.AsSpan(0, n));
        return this;
    }

    /// <summary>
    /// <c>%.15g</c>. Frame geometry is nearly always a whole or half number of pixels, printed here as an
    /// integer (and ".5"); anything else goes through .NET's general formatting.
    /// </summary>
    public static int FormatG15(double v, Span<char> dest)
    {
        double twice = v * 2;
        if (v >= 0 && twice < 1e14 && twice == Math.Floor(twice) && !(v == 0 && double.IsNegative(v)))
        {
            long halves = (long)twice;
            (halves >> 1).TryFormat(dest, out int n, default, CultureInfo.InvariantCulture);
            if ((halves & 1) != 0) { dest[n++] = '.'; dest[n++] = '5'; }
            return n;
        }
        v.TryFormat(dest, out int k, "G15", CultureInfo.InvariantCulture);
        return k;
    }

    /// <summary>Writes <c>sprintf("%.{decimals}f", v)</c>.</summary>
    public SvgText Fixed(double v, int decimals)
    {
        int n = FormatFixed(v, decimals, _num);
        _w.Write(_num.AsSpan(0, n));
        return this;
    }

    private static readonly string[] s_fixedFormats = ["F0", "F1", "F2", "F3", "F4"];

    /// <summary>C's <c>%.Nf</c>: correctly rounded from the exact binary value, exact ties to even (.NET rounds ties away).</summary>
    public static int FormatFixed(double v, int decimals, Span<char> dest)
    {
        if (TryScaleExactly(v, decimals, out ulong scaled)) return WriteScaled(scaled, decimals, dest);
        double t = Math.ScaleB(v, decimals + 1);
        if (Math.Abs(t) < 1e15 && t == Math.Floor(t) && Math.Abs(t % 2) == 1)
        {
            // An exact tie: v·10^d = (t·5^d)/2 with t odd. Decimal holds it exactly here.
            decimal m = Math.Round((decimal)v, decimals, MidpointRounding.ToEven);
            m.TryFormat(dest, out int k, s_fixedFormats[decimals], CultureInfo.InvariantCulture);
            return k;
        }
        v.TryFormat(dest, out int n, s_fixedFormats[decimals], CultureInfo.InvariantCulture);
        return n;
    }

    public static string FormatFixed(double v, int decimals)
    {
        Span<char> buf = stackalloc char[64];
        return new string(buf[..FormatFixed(v, decimals, buf)]);
    }

    /// <summary>
    /// Rounds a non-negative <paramref name="v"/> times 10^<paramref name="decimals"/> to an integer as C's printf
    /// does: from the exact binary value, exact ties to even. A double is m·2^e; for the coordinates and
    /// percentages of a flame graph m·10^d fits in 128 bits, so the integer part and the remainder against
    /// one half are exact. This replaced .NET's general formatting (Dragon4 showed up in SVG profiles): the
    /// SVG writer prints six such numbers per frame. False (no fast answer) for negative, huge or tiny values.
    /// </summary>
    private static bool TryScaleExactly(double v, int decimals, out ulong scaled)
    {
        scaled = 0;
        if (!(v >= 0 && v < 1e12) || (uint)decimals > 4 || (v == 0 && double.IsNegative(v))) return false;
        if (v == 0) return true;
        long bits = BitConverter.DoubleToInt64Bits(v);
        int exponent = (int)((bits >> 52) & 0x7FF);
        ulong mantissa = (ulong)bits & ((1UL << 52) - 1);
        if (exponent == 0) return false; // subnormal
        mantissa |= 1UL << 52;
        int shift = 1075 - exponent; // v = mantissa / 2^shift
        // The 128-bit product as two halves: Math.BigMul is one instruction, while UInt128's operators run
        // as unoptimised JIT code at start-up (they are not precompiled with ReadyToRun).
        ulong hi = Math.BigMul(mantissa, s_pow10[decimals], out ulong lo);
        if (shift <= 0)
        {
            scaled = -shift < 64 ? lo << -shift : 0; // v < 1e12 keeps this within 64 bits
            return true;
        }
        if (shift >= 120) return false;
        ulong restHi, restLo, halfHi, halfLo;
        if (shift < 64)
        {
            scaled = (lo >> shift) | (hi << (64 - shift));
            restHi = 0;
            restLo = lo & ((1UL << shift) - 1);
            halfHi = 0;
            halfLo = 1UL << (shift - 1);
        }
        else
        {
            int s = shift - 64;
            scaled = hi >> s;
            restHi = s == 0 ? 0 : hi & ((1UL << s) - 1);
            restLo = lo;
            halfHi = s == 0 ? 0 : 1UL << (s - 1);
            halfLo = s == 0 ? 1UL << 63 : 0;
        }
        bool above = restHi > halfHi || (restHi == halfHi && restLo > halfLo);
        bool tie = restHi == halfHi && restLo == halfLo;
        if (above || (tie && (scaled & 1) != 0)) scaled++;
        return true;
    }

    private static readonly ulong[] s_pow10 = [1, 10, 100, 1000, 10000];

    /// <summary>Writes <paramref name="scaled"/> / 10^<paramref name="decimals"/> with exactly that many decimals.</summary>
    private static int WriteScaled(ulong scaled, int decimals, Span<char> dest)
    {
        ulong pow = s_pow10[decimals];
        ulong whole = scaled / pow, fraction = scaled - whole * pow;
        whole.TryFormat(dest, out int n, default, CultureInfo.InvariantCulture);
        if (decimals == 0) return n;
        dest[n++] = '.';
        for (int i = decimals - 1; i >= 0; i--)
        {
            dest[n + i] = (char)('0' + (int)(fraction % 10));
            fraction /= 10;
        }
        return n + decimals;
    }

    /// <summary>Parses a number written by <see cref="FormatFixed(double,int)"/> back (for width = x2 − x1 as flamegraph.pl).</summary>
    public static double Round(double v, int decimals)
    {
        // The integer and 10^d are exact doubles, so one correctly rounded division equals parsing the text.
        if (TryScaleExactly(v, decimals, out ulong scaled) && scaled < (1UL << 53)) return scaled / (double)s_pow10[decimals];
        Span<char> buf = stackalloc char[64];
        int n = FormatFixed(v, decimals, buf);
        return double.Parse(buf[..n], NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    public void Dispose() => _w.Dispose();
}
