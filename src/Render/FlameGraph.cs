using FlameKit.Rendering.Svg;

namespace FlameKit.Rendering;

/// <summary>Renders profiles as interactive SVG flame graphs.</summary>
public static class FlameGraph
{
    /// <summary>Lays out <paramref name="profile"/> and writes it as SVG to <paramref name="output"/> (left open).</summary>
    /// <param name="profile">The profile.</param>
    /// <param name="options">Options (flamegraph.pl's defaults when default-constructed).</param>
    /// <param name="output">Destination stream.</param>
    /// <exception cref="ArgumentException">Bad option values (min width, sample type, palette background).</exception>
    public static void Render(Profile profile, FlameGraphOptions options, Stream output)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(options);
        var layout = FlameGraphLayout.Compute(profile, ToLayoutOptions(options));
        SvgFlameGraphWriter.Write(layout, options, output);
    }

    /// <summary>The layout options implied by drawing options (min width converted to a fraction of the total).</summary>
    /// <param name="options">Drawing options.</param>
    /// <exception cref="ArgumentException"><see cref="FlameGraphOptions.MinWidth"/> is not a number or percentage.</exception>
    public static LayoutOptions ToLayoutOptions(FlameGraphOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new LayoutOptions
        {
            SampleType = options.SampleType,
            Order = options.Flamechart ? FrameOrder.Time : FrameOrder.Alphabetical,
            Reverse = options.Reverse,
            Differential = options.Differential,
            Granularity = options.Granularity,
            MinWidthFraction = MinWidthFraction(options.MinWidth, options.Width),
        };
    }

    /// <summary>
    /// Converts flamegraph.pl's --minwidth ("0.1" pixels, or "1%" of the total) to a fraction of the total:
    /// pixels / (width − 2·xpad), or percent / 100.
    /// </summary>
    /// <param name="minWidth">Pixels or a percentage.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <exception cref="ArgumentException">Not a non-negative number or percentage.</exception>
    public static double MinWidthFraction(string minWidth, int width)
    {
        var s = minWidth.Trim();
        bool pct = s.EndsWith('%');
        if (pct) s = s[..^1];
        if (!double.TryParse(s, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double v) || v < 0 || double.IsNaN(v))
            throw new ArgumentException($"min width \"{minWidth}\" must be a number of pixels (0.1) or a percentage (1%)", nameof(minWidth));
        return pct ? v / 100 : v / Math.Max(1, width - 2 * FlameGraphDefaults.XPad);
    }
}
