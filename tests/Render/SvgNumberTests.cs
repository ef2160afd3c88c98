using System.Globalization;
using FlameKit.Rendering.Svg;
using Xunit;

namespace FlameKit.Tests.Render;

/// <summary>
/// The SVG writer's exact fixed-point and %.15g fast paths against .NET's general formatting, which they
/// replaced for speed: every output must be the same text.
/// </summary>
public class SvgNumberTests
{
    // The formatting SvgText used before the fast paths (and still uses outside their range).
    private static string ReferenceFixed(double v, int decimals)
    {
        string format = "F" + decimals;
        double t = Math.ScaleB(v, decimals + 1);
        if (Math.Abs(t) < 1e15 && t == Math.Floor(t) && Math.Abs(t % 2) == 1)
            return Math.Round((decimal)v, decimals, MidpointRounding.ToEven).ToString(format, CultureInfo.InvariantCulture);
        return v.ToString(format, CultureInfo.InvariantCulture);
    }

    private static IEnumerable<double> Values()
    {
        var rng = new Random(7);
        double[] fixedValues = [0, -0.0, 0.5, 1.5, 2.5, 0.125, 0.375, 0.05, 0.15, 0.25, 1.005, 10.0, 1179.95, 1189.9999999,
            0.049999999999999996, 99.995, 1e-9, 1e-30, 5e-324, 999999999999.5, 1e12, 3.0e15, -1.25, -0.04, double.NaN];
        foreach (var v in fixedValues) yield return v;
        for (int i = 0; i < 20000; i++)
        {
            yield return rng.NextDouble() * 1200;
            yield return Math.Round(rng.NextDouble() * 1200, 3); // decimal-looking values, many near ties
            yield return rng.Next(0, 1 << 20) / 1024.0;            // exact binary fractions: exact ties
            yield return 10 + rng.Next(0, 1000) * 0.1 * 1180 / 1181;
        }
    }

    [Fact]
    public void FixedMatchesExactRoundingForEveryDecimalCount()
    {
        Span<char> buf = stackalloc char[64];
        foreach (double v in Values())
            for (int d = 0; d <= 4; d++)
            {
                string expected = ReferenceFixed(v, d);
                Assert.Equal(expected, new string(buf[..SvgText.FormatFixed(v, d, buf)]));
                if (!double.IsNaN(v))
                    Assert.Equal(double.Parse(expected, CultureInfo.InvariantCulture), SvgText.Round(v, d));
            }
    }

    [Fact]
    public void G15MatchesGeneralFormatting()
    {
        Span<char> buf = stackalloc char[64];
        foreach (double v in Values().Concat([16.5, 1017, 3 + (1001.0 + 1017) / 2, 255, 4.5e13, 5e13 + 0.5, 1e14]))
            Assert.Equal(v.ToString("G15", CultureInfo.InvariantCulture), new string(buf[..SvgText.FormatG15(v, buf)]));
    }
}
