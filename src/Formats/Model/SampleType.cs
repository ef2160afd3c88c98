namespace FlameKit;

/// <summary>
/// What one value column of a profile measures, as pprof's <c>ValueType</c>: a type name and a unit,
/// e.g. <c>cpu/nanoseconds</c>, <c>alloc_space/bytes</c>, <c>samples/count</c>.
/// </summary>
/// <remarks>
/// Values are always stored as <see cref="long"/>. Inputs with fractional values (folded files with
/// decimal counts, for example) are stored scaled by 10^<see cref="DecimalPlaces"/>, so nothing is
/// truncated: a stored 1500 with <c>DecimalPlaces = 3</c> means 1.5.
/// </remarks>
/// <param name="Type">The quantity's name, e.g. <c>cpu</c> or <c>inuse_space</c>.</param>
/// <param name="Unit">The unit, e.g. <c>nanoseconds</c>, <c>bytes</c>, <c>count</c>.</param>
public readonly record struct SampleType(string Type, string Unit)
{
    /// <summary>Number of implied decimal places of the stored values. Default: 0 (values are whole numbers).</summary>
    public int DecimalPlaces { get; init; }

    /// <summary>Converts a stored value to its real magnitude (divides by 10^<see cref="DecimalPlaces"/>).</summary>
    /// <param name="stored">A value as stored in the profile.</param>
    public double ToDouble(long stored) => DecimalPlaces == 0 ? stored : stored / Math.Pow(10, DecimalPlaces);

    /// <summary><c>type/unit</c>, as pprof prints it.</summary>
    public override string ToString() => $"{Type}/{Unit}";
}
