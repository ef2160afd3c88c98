namespace FlameKit.Rendering;

/// <summary>How frame values are written in tooltips.</summary>
public enum UnitFormatting
{
    /// <summary>flamegraph.pl style: the value rounded to a whole number with thousands separators, then the count name ("1,234 samples").</summary>
    Counts,
    /// <summary>Human units from the sample type's unit (go-torch style): "12.5 MB", "3.2 s", "1.2 k samples".</summary>
    Human,
}

/// <summary>The default of every <see cref="FlameGraphOptions"/> property, in one place (shared with the CLI).</summary>
public static class FlameGraphDefaults
{
    /// <summary>Title of a flame graph.</summary>
    public const string Title = "Flame Graph";
    /// <summary>Title of an icicle graph (<see cref="FlameGraphOptions.Inverted"/>).</summary>
    public const string InvertedTitle = "Icicle Graph";
    /// <summary>Title of a flame chart (<see cref="FlameGraphOptions.Flamechart"/>).</summary>
    public const string FlamechartTitle = "Flame Chart";
    /// <summary>Image width in pixels.</summary>
    public const int Width = 1200;
    /// <summary>Height of one frame row in pixels.</summary>
    public const int FrameHeight = 16;
    /// <summary>Font size in pixels.</summary>
    public const double FontSize = 12;
    /// <summary>Font family.</summary>
    public const string FontType = "Verdana";
    /// <summary>Average character width relative to the font size.</summary>
    public const double FontWidth = 0.59;
    /// <summary>Minimum frame width: pixels, or a percentage of the total ("1%").</summary>
    public const string MinWidth = "0.1";
    /// <summary>What the values count.</summary>
    public const string CountName = "samples";
    /// <summary>Label in front of the details line.</summary>
    public const string NameType = "Function:";
    /// <summary>Colour palette.</summary>
    public const string Palette = "hot";
    /// <summary>Horizontal padding in pixels (flamegraph.pl's xpad).</summary>
    public const int XPad = 10;
}

/// <summary>Options of <see cref="FlameGraph.Render"/>; the defaults reproduce flamegraph.pl's.</summary>
public sealed record FlameGraphOptions
{
    /// <summary>Heading; null picks "Flame Graph", "Icicle Graph" (inverted) or "Flame Chart" (flame chart). Default: null.</summary>
    public string? Title { get; init; }

    /// <summary>Second heading line under the title, or null for none. Default: null.</summary>
    public string? Subtitle { get; init; }

    /// <summary>Image width in pixels. Default: <see cref="FlameGraphDefaults.Width"/> (1200).</summary>
    public int Width { get; init; } = FlameGraphDefaults.Width;

    /// <summary>Height of each frame row in pixels. Default: <see cref="FlameGraphDefaults.FrameHeight"/> (16).</summary>
    public int FrameHeight { get; init; } = FlameGraphDefaults.FrameHeight;

    /// <summary>Font size in pixels. Default: <see cref="FlameGraphDefaults.FontSize"/> (12).</summary>
    public double FontSize { get; init; } = FlameGraphDefaults.FontSize;

    /// <summary>Font family. Default: <see cref="FlameGraphDefaults.FontType"/> ("Verdana", as flamegraph.pl).</summary>
    public string FontType { get; init; } = FlameGraphDefaults.FontType;

    /// <summary>Average glyph width relative to <see cref="FontSize"/>, used to truncate labels. Default: <see cref="FlameGraphDefaults.FontWidth"/> (0.59).</summary>
    public double FontWidth { get; init; } = FlameGraphDefaults.FontWidth;

    /// <summary>
    /// Frames narrower than this are left out with their children: a number of pixels ("0.1") or a
    /// percentage of the total ("1%"). Default: <see cref="FlameGraphDefaults.MinWidth"/> ("0.1").
    /// </summary>
    public string MinWidth { get; init; } = FlameGraphDefaults.MinWidth;

    /// <summary>What values count, shown in tooltips ("samples", "bytes"). Default: <see cref="FlameGraphDefaults.CountName"/> ("samples").</summary>
    public string CountName { get; init; } = FlameGraphDefaults.CountName;

    /// <summary>Prefix of the details line shown while hovering a frame. Default: <see cref="FlameGraphDefaults.NameType"/> ("Function:").</summary>
    public string NameType { get; init; } = FlameGraphDefaults.NameType;

    /// <summary>Text put in the SVG's NOTES comment. Default: "" (empty).</summary>
    public string Notes { get; init; } = "";

    /// <summary>
    /// Colour palette: hot, mem, io, wakeup, java, js, perl, chain, red, green, blue, aqua, yellow, purple or
    /// orange (see <see cref="Palettes"/>). Default: <see cref="FlameGraphDefaults.Palette"/> ("hot").
    /// </summary>
    public string Palette { get; init; } = FlameGraphDefaults.Palette;

    /// <summary>Colour frames by flamegraph.pl's name hash instead of its name-seeded random value. Default: false.</summary>
    public bool Hash { get; init; }

    /// <summary>
    /// Background: yellow, blue, green, grey, or a flat "#rrggbb"; null picks flamegraph.pl's default for the
    /// palette (mem → green; io, wakeup, chain → blue; single-hue palettes → grey; otherwise yellow). Default: null.
    /// </summary>
    public string? BgColors { get; init; }

    /// <summary>Draw an icicle graph (roots at the top). Drawing only. Default: false.</summary>
    public bool Inverted { get; init; }

    /// <summary>Reverse every stack before merging (leaves become roots), as flamegraph.pl --reverse. Default: false.</summary>
    public bool Reverse { get; init; }

    /// <summary>Flame chart: keep sample (or timestamp) order and merge only consecutive samples. Default: false.</summary>
    public bool Flamechart { get; init; }

    /// <summary>Swap the differential hues (red ↔ blue) and the sign of the shown delta. Default: false.</summary>
    public bool Negate { get; init; }

    /// <summary>
    /// Differential graph: true forces it (needs sample types "before" and "after"), false disables it, null
    /// enables it when the profile has sample types named "before" and "after". Default: null.
    /// </summary>
    public bool? Differential { get; init; }

    /// <summary>Sample type to draw, by name or index; null for the profile's default. Default: null.</summary>
    public string? SampleType { get; init; }

    /// <summary>How frames are told apart: by function, or function and line (<c>--lines</c>). Default: <see cref="FrameGranularity.Functions"/>.</summary>
    public FrameGranularity Granularity { get; init; } = FrameGranularity.Functions;

    /// <summary>Embed the interactive script (zoom, search). false writes a static SVG (small test goldens). Default: true.</summary>
    public bool Interactive { get; init; } = true;

    /// <summary>How values are written in tooltips when <see cref="FormatValue"/> is null. Default: <see cref="UnitFormatting.Counts"/>.</summary>
    public UnitFormatting UnitFormatting { get; init; } = UnitFormatting.Counts;

    /// <summary>
    /// Custom value formatter: receives a stored value (scaled by the sample type's decimal places) and
    /// returns the text placed before the percentage, e.g. "12.5 MB". Overrides <see cref="UnitFormatting"/>. Default: null.
    /// </summary>
    public Func<long, string>? FormatValue { get; init; }
}
