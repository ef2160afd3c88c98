namespace FlameKit.Rendering;

/// <summary>An sRGB colour.</summary>
/// <param name="R">Red, 0–255.</param>
/// <param name="G">Green, 0–255.</param>
/// <param name="B">Blue, 0–255.</param>
public readonly record struct Rgb(byte R, byte G, byte B)
{
    /// <summary>The SVG form flamegraph.pl writes: <c>rgb(r,g,b)</c>.</summary>
    public override string ToString() => $"rgb({R},{G},{B})";
}

/// <summary>
/// flamegraph.pl's colour palettes, re-implemented from its documented behaviour: theme palettes (hot, mem,
/// io), language palettes that pick a hue from the frame name (java, js, perl, wakeup, chain), and single-hue
/// palettes (red, green, blue, aqua, yellow, purple, orange), plus differential red/blue shading.
/// </summary>
/// <remarks>
/// Colour variation comes from one of two per-name values in [0, 1): by default flamegraph.pl's
/// <c>srand(sum of the name's bytes); rand()</c>, emulated exactly (Perl's drand48), so colours equal
/// flamegraph.pl's without any real randomness; with <c>hash</c>, flamegraph.pl's weighted name hash.
/// </remarks>
public static class Palettes
{
    /// <summary>Every palette name accepted.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["hot", "mem", "io", "wakeup", "java", "js", "perl", "chain", "red", "green", "blue", "aqua", "yellow", "purple", "orange"];

    /// <summary>True when <paramref name="palette"/> is one of <see cref="Names"/>.</summary>
    /// <param name="palette">A palette name.</param>
    public static bool IsKnown(string palette) => Names.Contains(palette);

    /// <summary>Colour of frames named "--" (flamegraph.pl's stack separator).</summary>
    public static Rgb Separator { get; } = new(160, 160, 160);

    /// <summary>Colour of frames named "-" (flamegraph.pl's user/kernel separator).</summary>
    public static Rgb Dash { get; } = new(200, 200, 200);

    /// <summary>The colour of a frame. Unknown palettes give black, as flamegraph.pl.</summary>
    /// <param name="palette">A palette name (see <see cref="Names"/>).</param>
    /// <param name="name">The frame's full name, including any <c>_[k]</c>-style annotation.</param>
    /// <param name="hash">Use the name hash instead of the name-seeded random value.</param>
    public static Rgb ColorFor(string palette, string name, bool hash = false)
    {
        if (name == "--") return Separator;
        if (name == "-") return Dash;
        double v1, v2, v3;
        if (hash)
        {
            v1 = NameHash(name);
            v2 = v3 = ReversedNameHash(name);
        }
        else
        {
            v1 = v2 = v3 = SeededRandom(name);
        }
        switch (palette)
        {
            case "hot": return new((byte)(205 + (int)(50 * v3)), (byte)(int)(230 * v1), (byte)(int)(55 * v2));
            case "mem": return new(0, (byte)(190 + (int)(50 * v2)), (byte)(int)(210 * v1));
            case "io":
            {
                byte rg = (byte)(80 + (int)(60 * v1));
                return new(rg, rg, (byte)(190 + (int)(55 * v2)));
            }
        }
        return Hue(LanguageHue(palette, name), v1);
    }

    /// <summary>The single hue a language palette picks for a name (or the palette itself for single-hue palettes).</summary>
    private static string LanguageHue(string palette, string name)
    {
        switch (palette)
        {
            case "java":
                if (name.EndsWith("_[j]", StringComparison.Ordinal)) return "green";     // JIT
                if (name.EndsWith("_[i]", StringComparison.Ordinal)) return "aqua";      // inlined
                if (IsJavaPackagePath(name)) return "green";
                if (name.Contains(":::", StringComparison.Ordinal)) return "green";      // perf-map-agent separator
                if (name.Contains("::", StringComparison.Ordinal)) return "yellow";      // C++
                if (name.EndsWith("_[k]", StringComparison.Ordinal)) return "orange";    // kernel
                return "red";
            case "perl":
                if (name.Contains("::", StringComparison.Ordinal)) return "yellow";
                if (name.Contains("Perl", StringComparison.Ordinal) || name.Contains(".pl", StringComparison.Ordinal)) return "green";
                if (name.EndsWith("_[k]", StringComparison.Ordinal)) return "orange";
                return "red";
            case "js":
                if (name.EndsWith("_[j]", StringComparison.Ordinal)) return name.Contains('/') ? "green" : "aqua";
                if (name.Contains("::", StringComparison.Ordinal)) return "yellow";
                int slash = name.IndexOf('/');
                if (slash >= 0 && name.IndexOf(".js", slash + 1, StringComparison.Ordinal) >= 0) return "green";
                if (name.Contains(':')) return "aqua";
                if (name == " ") return "green";                                          // missing symbol
                if (name.Contains("_[k]", StringComparison.Ordinal)) return "orange";
                return "red";
            case "wakeup":
                return "aqua";
            case "chain":
                return name.Contains("_[w]", StringComparison.Ordinal) ? "aqua" : "blue";
            default:
                return palette;
        }
    }

    private static bool IsJavaPackagePath(string name)
    {
        ReadOnlySpan<char> s = name;
        if (s.StartsWith("L")) s = s[1..];
        foreach (var p in (ReadOnlySpan<string>)["java/", "javax/", "jdk/", "net/", "org/", "com/", "io/", "sun/"])
            if (s.StartsWith(p, StringComparison.Ordinal)) return true;
        // "L" is optional: a name starting with "L" may itself be the package ("Lcom/..." handled above, "Ljava" too).
        if (name.Length > 0 && name[0] == 'L')
        {
            foreach (var p in (ReadOnlySpan<string>)["java/", "javax/", "jdk/", "net/", "org/", "com/", "io/", "sun/"])
                if (name.StartsWith(p, StringComparison.Ordinal)) return true;
        }
        return false;
    }

    private static Rgb Hue(string hue, double v) => hue switch
    {
        "red" => new((byte)(200 + (int)(55 * v)), (byte)(50 + (int)(80 * v)), (byte)(50 + (int)(80 * v))),
        "green" => new((byte)(50 + (int)(60 * v)), (byte)(200 + (int)(55 * v)), (byte)(50 + (int)(60 * v))),
        "blue" => new((byte)(80 + (int)(60 * v)), (byte)(80 + (int)(60 * v)), (byte)(205 + (int)(50 * v))),
        "yellow" => new((byte)(175 + (int)(55 * v)), (byte)(175 + (int)(55 * v)), (byte)(50 + (int)(20 * v))),
        "purple" => new((byte)(190 + (int)(65 * v)), (byte)(80 + (int)(60 * v)), (byte)(190 + (int)(65 * v))),
        "aqua" => new((byte)(50 + (int)(60 * v)), (byte)(165 + (int)(55 * v)), (byte)(165 + (int)(55 * v))),
        "orange" => new((byte)(190 + (int)(65 * v)), (byte)(90 + (int)(65 * v)), 0),
        _ => new(0, 0, 0),
    };

    /// <summary>
    /// Differential shading: white for no change, red scaled by how much a frame grew, blue by how much it
    /// shrank, relative to <paramref name="maxDelta"/> (flamegraph.pl's color_scale).
    /// </summary>
    /// <param name="delta">after − before.</param>
    /// <param name="maxDelta">The largest |delta| (at least 1 in flamegraph.pl).</param>
    /// <param name="negate">Swap the hues.</param>
    public static Rgb Differential(double delta, double maxDelta, bool negate)
    {
        if (negate) delta = -delta;
        if (delta > 0)
        {
            byte gb = (byte)(int)(210 * (maxDelta - delta) / maxDelta);
            return new(255, gb, gb);
        }
        if (delta < 0)
        {
            byte rg = (byte)(int)(210 * (maxDelta + delta) / maxDelta);
            return new(rg, rg, 255);
        }
        return new(255, 255, 255);
    }

    /// <summary>
    /// The background gradient (top, bottom) for a palette: <paramref name="bgColors"/> is yellow, blue, green,
    /// grey or a flat "#rrggbb"; null picks flamegraph.pl's default for the palette.
    /// </summary>
    /// <param name="palette">The frame palette.</param>
    /// <param name="bgColors">The background choice, or null.</param>
    /// <exception cref="ArgumentException">An unknown background.</exception>
    public static (string Top, string Bottom) Background(string palette, string? bgColors)
    {
        bgColors ??= palette switch
        {
            "mem" => "green",
            "io" or "wakeup" or "chain" => "blue",
            "red" or "green" or "blue" or "aqua" or "yellow" or "purple" or "orange" => "grey",
            _ => "yellow",
        };
        return bgColors switch
        {
            "yellow" => ("#eeeeee", "#eeeeb0"),
            "blue" => ("#eeeeee", "#e0e0ff"),
            "green" => ("#eef2ee", "#e0ffe0"),
            "grey" => ("#f8f8f8", "#e8e8e8"),
            _ when bgColors.Length == 7 && bgColors[0] == '#' && bgColors.AsSpan(1).ContainsAnyExcept("0123456789abcdefABCDEF") == false => (bgColors, bgColors),
            _ => throw new ArgumentException($"unknown background \"{bgColors}\": use yellow, blue, green, grey or #rrggbb"),
        };
    }

    /// <summary>flamegraph.pl's default per-name value: <c>srand(sum of the name's characters); rand()</c> with Perl's drand48.</summary>
    /// <param name="name">The frame name.</param>
    /// <remarks>flamegraph.pl decodes its input as UTF-8, so the sum is over Unicode code points.</remarks>
    public static double SeededRandom(string name)
    {
        uint sum = 0;
        foreach (var rune in name.EnumerateRunes()) sum += (uint)rune.Value;
        return Drand48First(sum);
    }

    /// <summary>The first drand48 value after Perl's <c>srand(seed)</c>: state = seed·2^16 + 0x330E, one LCG step.</summary>
    internal static double Drand48First(uint seed)
    {
        const ulong mask = (1UL << 48) - 1;
        ulong x = ((ulong)seed << 16) | 0x330E;
        x = (x * 0x5DEECE66DUL + 0xB) & mask;
        return x / 281474976710656.0;
    }

    /// <summary>flamegraph.pl's name hash (--hash): a weighted value of the first three characters after any module prefix ("mod`").</summary>
    /// <param name="name">The frame name.</param>
    public static double NameHash(string name) => NameHashCodePoints(CodePoints(name));

    private static double NameHashCodePoints(ReadOnlySpan<int> name)
    {
        // flamegraph.pl drops everything up to the first backtick that follows the first character.
        if (name.Length > 1)
        {
            int tick = name[1..].IndexOf('`');
            if (tick >= 0) name = name[(tick + 2)..];
        }
        double vector = 0, weight = 1, max = 1;
        int mod = 10;
        foreach (int c in name)
        {
            int i = c % mod;
            vector += (double)i / (mod++ - 1) * weight;
            max += weight;
            weight *= 0.70;
            if (mod > 12) break;
        }
        return 1 - vector / max;
    }

    private static double ReversedNameHash(string name)
    {
        var cps = CodePoints(name);
        Array.Reverse(cps);
        return NameHashCodePoints(cps);
    }

    private static int[] CodePoints(string s)
    {
        var list = new List<int>(s.Length);
        foreach (var r in s.EnumerateRunes()) list.Add(r.Value);
        return list.ToArray();
    }
}
