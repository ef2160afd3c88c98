using System.Globalization;
using BenchmarkDotNet.Attributes;
using FlameKit.Rendering.Svg;

namespace FlameKit.Benchmarks;

/// <summary>
/// The SVG writer's number formatting: C's <c>%.1f</c> and <c>%.2f</c> of frame coordinates and percentages,
/// through SvgText's exact integer path versus .NET's general formatting (what SvgText used before, and
/// still uses outside the fast path's range).
/// </summary>
[MemoryDiagnoser]
public class SvgNumberBenchmarks
{
    private double[] _values = [];
    private readonly char[] _buffer = new char[64];

    /// <summary>10,000 coordinates in [10, 1190) as a 1200 px flame graph produces them.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(3);
        _values = new double[10_000];
        for (int i = 0; i < _values.Length; i++) _values[i] = 10 + rng.Next(0, 1_000_000) * (1180.0 / 1_000_000);
    }

    /// <summary><c>double.TryFormat(…, "F1")</c> and <c>"F2"</c>.</summary>
    [Benchmark(Baseline = true)]
    public int GeneralFormatting()
    {
        int total = 0;
        foreach (double v in _values)
        {
            v.TryFormat(_buffer, out int a, "F1", CultureInfo.InvariantCulture);
            v.TryFormat(_buffer, out int b, "F2", CultureInfo.InvariantCulture);
            total += a + b;
        }
        return total;
    }

    /// <summary><see cref="SvgText.FormatFixed(double, int, Span{char})"/> with 1 and 2 decimals.</summary>
    [Benchmark]
    public int ExactFixed()
    {
        int total = 0;
        foreach (double v in _values) total += SvgText.FormatFixed(v, 1, _buffer) + SvgText.FormatFixed(v, 2, _buffer);
        return total;
    }
}
