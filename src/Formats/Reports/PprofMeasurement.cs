using System.Globalization;

namespace FlameKit.Reports;

/// <summary>
/// pprof's value formatting (its <c>internal/measurement</c> package) reproduced exactly, so text reports
/// print the same strings as <c>go tool pprof</c>: <c>10ms</c>, <c>1.50MB</c>, <c>24.24%</c>.
/// </summary>
public static class PprofMeasurement
{
    private readonly record struct UnitDef(string Name, string[] Aliases, double Factor);

    private sealed record UnitType(UnitDef[] Units, UnitDef Default)
    {
        public UnitDef? Sniff(string unit)
        {
            unit = unit.ToLowerInvariant();
            if (unit.Length > 2 && unit.EndsWith('s')) unit = unit[..^1];
            foreach (var u in Units)
                foreach (var a in u.Aliases)
                    if (a == unit) return u;
            return null;
        }
    }

    private static readonly UnitType[] s_types =
    [
        new([new("B", ["b", "byte"], 1), new("kB", ["kb", "kbyte", "kilobyte"], 1L << 10), new("MB", ["mb", "mbyte", "megabyte"], 1L << 20),
             new("GB", ["gb", "gbyte", "gigabyte"], 1L << 30), new("TB", ["tb", "tbyte", "terabyte"], 1L << 40), new("PB", ["pb", "pbyte", "petabyte"], 1L << 50)],
            new("B", ["b", "byte"], 1)),
        new([new("ns", ["ns", "nanosecond"], 1), new("us", ["μs", "us", "microsecond"], 1e3), new("ms", ["ms", "millisecond"], 1e6),
             new("s", ["s", "sec", "second"], 1e9), new("hrs", ["hour", "hr"], 3600e9)],
            new("s", [], 1e9)),
        new([new("n*GCU", ["nanogcu"], 1e-9), new("u*GCU", ["microgcu"], 1e-6), new("m*GCU", ["milligcu"], 1e-3), new("GCU", ["gcu"], 1),
             new("k*GCU", ["kilogcu"], 1e3), new("M*GCU", ["megagcu"], 1e6), new("G*GCU", ["gigagcu"], 1e9), new("T*GCU", ["teragcu"], 1e12),
             new("P*GCU", ["petagcu"], 1e15)],
            new("GCU", [], 1)),
    ];

    /// <summary>
    /// Converts <paramref name="value"/> from <paramref name="fromUnit"/> to <paramref name="toUnit"/>, which may be
    /// <c>auto</c>/<c>minimum</c> (pick the largest unit keeping the value at least 1). Returns the scaled value and
    /// the unit's display name ("" for plain counts).
    /// </summary>
    /// <param name="value">The value.</param>
    /// <param name="fromUnit">Its unit (e.g. <c>nanoseconds</c>).</param>
    /// <param name="toUnit">The wanted unit, <c>auto</c> or <c>minimum</c>.</param>
    public static (double Value, string Unit) Scale(long value, string fromUnit, string toUnit)
    {
        if (value < 0 && -value > 0)
        {
            var (v, u) = Scale(-value, fromUnit, toUnit);
            return (-v, u);
        }
        foreach (var ut in s_types)
        {
            var from = ut.Sniff(fromUnit);
            if (from is null) continue;
            double v = value * from.Value.Factor;
            if (toUnit is "minimum" or "auto")
            {
                double f = 0;
                string name = "";
                foreach (var u in ut.Units)
                    if (u.Factor >= f && v / u.Factor >= 1.0) { f = u.Factor; name = u.Name; }
                if (f != 0) return (v / f, name);
                return (v / ut.Default.Factor, ut.Default.Name);
            }
            var to = ut.Sniff(toUnit);
            if (to is null) return (v / ut.Default.Factor, ut.Default.Name);
            return (v / to.Value.Factor, to.Value.Name);
        }
        return toUnit is "count" or "sample" or "unit" or "minimum" or "auto" ? (value, "") : (value, toUnit);
    }

    /// <summary>pprof's <c>ScaledLabel</c>: the scaled value with two decimals (".00" dropped) and its unit.</summary>
    /// <param name="value">The value.</param>
    /// <param name="fromUnit">Its unit.</param>
    /// <param name="toUnit">The display unit (or <c>auto</c>).</param>
    public static string ScaledLabel(long value, string fromUnit, string toUnit)
    {
        var (v, u) = Scale(value, fromUnit, toUnit);
        string sv = v.ToString("F2", CultureInfo.InvariantCulture);
        if (sv.EndsWith(".00", StringComparison.Ordinal)) sv = sv[..^3];
        if (sv is "0" or "-0") return "0";
        return sv + u;
    }

    /// <summary>pprof's <c>Percentage</c>: <c>"  100%"</c>, <c>"%5.2f%%"</c> from 1% up, else <c>"%5.2g%%"</c>.</summary>
    /// <param name="value">The part.</param>
    /// <param name="total">The whole.</param>
    public static string Percentage(long value, long total)
    {
        double ratio = total != 0 ? Math.Abs((double)value / total) * 100 : 0;
        if (ratio >= 99.95 && ratio <= 100.05) return "  100%";
        if (ratio >= 1.0) return ratio.ToString("F2", CultureInfo.InvariantCulture).PadLeft(5) + "%";
        return GoG2(ratio).PadLeft(5) + "%";
    }

    /// <summary>Go's <c>%.2g</c>: two significant digits, exponent form when the exponent is below -4.</summary>
    internal static string GoG2(double v)
    {
        if (v == 0) return "0";
        string s = v.ToString("G2", CultureInfo.InvariantCulture);
        int e = s.IndexOf('E', StringComparison.Ordinal);
        if (e < 0) return s;
        // .NET writes 1.2E-05; Go writes 1.2e-05 (at least two exponent digits).
        string mant = s[..e];
        string exp = s[(e + 1)..];
        char sign = exp[0] == '-' ? '-' : '+';
        string digits = exp.TrimStart('+', '-').TrimStart('0');
        if (digits.Length < 2) digits = digits.PadLeft(2, '0');
        return mant + "e" + sign + digits;
    }
}
