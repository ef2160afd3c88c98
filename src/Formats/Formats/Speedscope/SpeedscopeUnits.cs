namespace FlameKit.Formats.Speedscope;

/// <summary>speedscope's value units (<c>FileFormat.ValueUnit</c>) and their mapping to model units.</summary>
internal static class SpeedscopeUnits
{
    /// <summary>Nanoseconds per unit for speedscope's time units, or 0 for none/bytes.</summary>
    public static double NanosPerUnit(string unit) => unit switch
    {
        "nanoseconds" => 1,
        "microseconds" => 1e3,
        "milliseconds" => 1e6,
        "seconds" => 1e9,
        _ => 0,
    };

    /// <summary>Is this one of the six units the speedscope schema allows?</summary>
    public static bool IsKnown(string unit) => unit is "none" or "nanoseconds" or "microseconds" or "milliseconds" or "seconds" or "bytes";

    /// <summary>
    /// The speedscope unit for a model unit and the factor from the model unit to it: time units keep
    /// their speedscope name when they have one (else nanoseconds), memory units become bytes, anything
    /// else (count, …) becomes none.
    /// </summary>
    public static (string Unit, double Factor) FromModel(string unit)
    {
        switch (unit.ToLowerInvariant())
        {
            case "nanoseconds" or "nanosecond" or "ns": return ("nanoseconds", 1);
            case "microseconds" or "microsecond" or "us" or "µs": return ("microseconds", 1);
            case "milliseconds" or "millisecond" or "ms": return ("milliseconds", 1);
            case "seconds" or "second" or "s" or "sec": return ("seconds", 1);
            case "bytes" or "byte" or "b": return ("bytes", 1);
            case "kilobytes" or "kilobyte" or "kb": return ("bytes", 1024);
            case "megabytes" or "megabyte" or "mb": return ("bytes", 1024d * 1024);
            case "gigabytes" or "gigabyte" or "gb": return ("bytes", 1024d * 1024 * 1024);
            default: return ("none", 1);
        }
    }

    /// <summary>The model sample type a speedscope unit is read as.</summary>
    /// <param name="unit">A speedscope unit.</param>
    /// <param name="decimalPlaces">Decimal places for none/bytes weights with fractions.</param>
    public static SampleType ToModel(string unit, int decimalPlaces) => unit switch
    {
        "bytes" => new SampleType("space", "bytes") { DecimalPlaces = decimalPlaces },
        "none" => new SampleType("samples", "count") { DecimalPlaces = decimalPlaces },
        _ => new SampleType("time", "nanoseconds"),
    };

    /// <summary>Smallest number of decimal places (up to 9) that represents <paramref name="v"/> exactly enough.</summary>
    public static int DecimalsOf(double v)
    {
        for (int d = 0; d < 9; d++)
        {
            double scaled = v * Math.Pow(10, d);
            if (Math.Abs(scaled - Math.Round(scaled)) <= 1e-9 * Math.Max(1, Math.Abs(scaled))) return d;
        }
        return 9;
    }
}
