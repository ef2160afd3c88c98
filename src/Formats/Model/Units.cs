using System.Globalization;

namespace FlameKit;

/// <summary>
/// Human-readable values by unit, table-driven as pprof's measurement package: bytes become
/// <c>12.5 MB</c>, nanoseconds <c>3.2 s</c>, counts stay plain numbers.
/// </summary>
public static class Units
{
    private static readonly (string Suffix, double Factor)[] s_bytes =
        [("B", 1), ("kB", 1024), ("MB", 1024d * 1024), ("GB", 1024d * 1024 * 1024), ("TB", 1024d * 1024 * 1024 * 1024), ("PB", 1024d * 1024 * 1024 * 1024 * 1024)];

    private static readonly (string Suffix, double Factor)[] s_time =
        [("ns", 1), ("µs", 1e3), ("ms", 1e6), ("s", 1e9)];

    /// <summary>Is <paramref name="unit"/> a memory unit (bytes, kilobytes, …)?</summary>
    /// <param name="unit">A unit name such as <c>bytes</c>.</param>
    public static bool IsMemory(string unit) => BytesFactor(unit) > 0;

    /// <summary>Is <paramref name="unit"/> a time unit (nanoseconds, ms, …)?</summary>
    /// <param name="unit">A unit name such as <c>nanoseconds</c>.</param>
    public static bool IsTime(string unit) => NanosFactor(unit) > 0;

    /// <summary>Formats <paramref name="value"/> given in <paramref name="unit"/> for people.</summary>
    /// <param name="value">The magnitude (already divided by any decimal scaling).</param>
    /// <param name="unit">Its unit, e.g. <c>bytes</c>, <c>nanoseconds</c>, <c>count</c>.</param>
    public static string Format(double value, string unit)
    {
        double f = BytesFactor(unit);
        if (f > 0) return Scale(value * f, s_bytes);
        f = NanosFactor(unit);
        if (f > 0)
        {
            double ns = value * f;
            if (Math.Abs(ns) >= 60e9 * 60) return Trim(ns / 3600e9) + " hrs";
            if (Math.Abs(ns) >= 60e9 * 2) return Trim(ns / 60e9) + " mins";
            return Scale(ns, s_time);
        }
        string num = value == Math.Floor(value) && Math.Abs(value) < 1e15
            ? ((long)value).ToString("N0", CultureInfo.InvariantCulture)
            : value.ToString("#,0.###", CultureInfo.InvariantCulture);
        return unit is "" or "count" ? num : $"{num} {unit}";
    }

    /// <summary>Formats a stored value of a sample type (honouring <see cref="SampleType.DecimalPlaces"/>).</summary>
    /// <param name="stored">A value as stored in a profile.</param>
    /// <param name="type">Its sample type.</param>
    public static string Format(long stored, SampleType type) => Format(type.ToDouble(stored), type.Unit);

    private static string Scale(double v, (string Suffix, double Factor)[] table)
    {
        int i = 0;
        while (i + 1 < table.Length && Math.Abs(v) >= table[i + 1].Factor) i++;
        return Trim(v / table[i].Factor) + " " + table[i].Suffix;
    }

    private static string Trim(double v) => Math.Round(v, 2).ToString("0.##", CultureInfo.InvariantCulture);

    private static double BytesFactor(string unit) => unit.ToLowerInvariant() switch
    {
        "b" or "byte" or "bytes" => 1,
        "kb" or "kilobyte" or "kilobytes" => 1024,
        "mb" or "megabyte" or "megabytes" => 1024d * 1024,
        "gb" or "gigabyte" or "gigabytes" => 1024d * 1024 * 1024,
        _ => 0,
    };

    private static double NanosFactor(string unit) => unit.ToLowerInvariant() switch
    {
        "ns" or "nanosecond" or "nanoseconds" => 1,
        "us" or "µs" or "microsecond" or "microseconds" => 1e3,
        "ms" or "millisecond" or "milliseconds" => 1e6,
        "s" or "sec" or "second" or "seconds" => 1e9,
        _ => 0,
    };
}
