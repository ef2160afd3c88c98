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
        v.TryFormat(_num, out int n, "G15", CultureInfo.InvariantCulture);
        _w.Write(_num.AsSpan(0, n));
        return this;
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

    /// <summary>Parses a number written by <see cref="FormatFixed(double,int)"/> back (for width = x2 − x1 as flamegraph.pl).</summary>
    public static double Round(double v, int decimals)
    {
        Span<char> buf = stackalloc char[64];
        int n = FormatFixed(v, decimals, buf);
        return double.Parse(buf[..n], NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    public void Dispose() => _w.Dispose();
}
