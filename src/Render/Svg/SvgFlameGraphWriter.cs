using System.Globalization;
using System.Reflection;

namespace FlameKit.Rendering.Svg;

/// <summary>
/// Writes a <see cref="FlameGraphLayout"/> as an SVG flame graph with flamegraph.pl's geometry, texts and
/// colours, plus FlameKit's own embedded script for zoom and search.
/// </summary>
public static class SvgFlameGraphWriter
{
    private const int FramePad = 1;
    private const string ErrorText = "ERROR: No valid input provided.";
    private static readonly Lazy<string> s_script = new(() =>
    {
        using var s = typeof(SvgFlameGraphWriter).Assembly.GetManifestResourceStream("FlameKit.Rendering.Svg.Assets.flamegraph.js")
            ?? throw new InvalidOperationException("embedded flamegraph.js missing");
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    });

    /// <summary>Writes <paramref name="layout"/> as SVG to <paramref name="output"/> (UTF-8, no BOM). The stream is left open.</summary>
    /// <param name="layout">The laid-out graph. With a total of 0, a small valid SVG saying "ERROR: No valid input provided." is written.</param>
    /// <param name="options">Drawing options (sizes, texts, palette); the layout options in it are not re-applied.</param>
    /// <param name="output">Destination stream.</param>
    public static void Write(FlameGraphLayout layout, FlameGraphOptions options, Stream output)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        using var w = new SvgText(output);
        if (layout.Total == 0 || layout.Frames.Length == 0)
        {
            WriteEmpty(w, options);
            return;
        }

        double fontSize = options.FontSize;
        int width = options.Width;
        int xpad = FlameGraphDefaults.XPad;
        int fh = options.FrameHeight;
        bool hasSubtitle = !string.IsNullOrEmpty(options.Subtitle);
        double ypad1 = fontSize * 3 + (hasSubtitle ? fontSize * 2 : 0);
        double ypad2 = fontSize * 2 + 10;
        double height = (layout.MaxDepth + 1) * fh + ypad1 + ypad2;
        string title = options.Title ?? (options.Inverted ? FlameGraphDefaults.InvertedTitle
            : options.Flamechart ? FlameGraphDefaults.FlamechartTitle : FlameGraphDefaults.Title);
        var (bg1, bg2) = Palettes.Background(options.Palette, options.BgColors);

        WriteHead(w, width, height);
        w.Raw("<!-- NOTES: ").Esc(CommentSafe(options.Notes)).Raw(" -->\n");
        w.Raw("<defs>\n\t<linearGradient id=\"background\" y1=\"0\" y2=\"1\" x1=\"0\" x2=\"0\" >\n\t\t<stop stop-color=\"").Esc(bg1)
         .Raw("\" offset=\"5%\" />\n\t\t<stop stop-color=\"").Esc(bg2).Raw("\" offset=\"95%\" />\n\t</linearGradient>\n</defs>\n");
        w.Raw("<style type=\"text/css\">\n\ttext { font-family:").Esc(CssSafe(options.FontType)).Raw("; font-size:").Num(fontSize).Raw("px; fill:rgb(0,0,0); }\n")
         .Raw("\t#search, #ignorecase { opacity:0.1; cursor:pointer; }\n")
         .Raw("\t#search:hover, #search.show, #ignorecase:hover, #ignorecase.show { opacity:1; }\n")
         .Raw("\t#subtitle { text-anchor:middle; fill:rgb(160,160,160); }\n")
         .Raw("\t#title { text-anchor:middle; font-size:").Num(fontSize + 5).Raw("px; }\n")
         .Raw("\t#unzoom { cursor:pointer; }\n")
         .Raw("\t#frames > *:hover { stroke:black; stroke-width:0.5; cursor:pointer; }\n")
         .Raw("\t.hide { display:none; }\n\t.parent { opacity:0.5; }\n</style>\n");
        if (options.Interactive)
            w.Raw("<script type=\"text/ecmascript\"><![CDATA[\n").Raw(s_script.Value).Raw("]]></script>\n");

        w.Raw("<rect x=\"0.0\" y=\"0\" width=\"").Fixed(width, 1).Raw("\" height=\"").Fixed(height, 1).Raw("\" fill=\"url(#background)\" />\n");
        double center = width / 2;
        Text(w, "title", center, fontSize * 2, title);
        if (hasSubtitle) Text(w, "subtitle", center, fontSize * 4, options.Subtitle!);
        Text(w, "details", xpad, height - ypad2 / 2, " ");
        Text(w, "unzoom", xpad, fontSize * 2, "Reset Zoom", " class=\"hide\"");
        Text(w, "search", width - xpad - 100, fontSize * 2, "Search");
        Text(w, "ignorecase", width - xpad - 16, fontSize * 2, "ic");
        Text(w, "matched", width - xpad - 100, height - ypad2 / 2, " ");

        w.Raw("<g id=\"frames\" data-nametype=\"").Esc(options.NameType)
         .Raw("\" data-fontsize=\"").Num(fontSize).Raw("\" data-fontwidth=\"").Num(options.FontWidth)
         .Raw("\" data-xpad=\"").Num(xpad).Raw("\" data-width=\"").Num(width)
         .Raw(options.Inverted ? "\" data-inverted=\"1\">\n" : "\">\n");

        var st = layout.SampleType;
        double scale = st.DecimalPlaces == 0 ? 1 : Math.Pow(10, st.DecimalPlaces);
        double totalReal = layout.Total / scale;
        double wpt = (double)(width - 2 * xpad) / layout.Total;
        double maxDelta = Math.Max(layout.MaxDelta / scale, 1);
        double charWidth = fontSize * options.FontWidth;
        var frames = layout.Frames;
        // Frames are independent blocks of text: a big graph's second half is formatted on another core
        // into a buffer and appended after the first. (Not with a caller's value formatter, which may not
        // be safe to call from two threads.)
        if (frames.Length >= ParallelFrames && Environment.ProcessorCount > 1 && options.FormatValue is null)
        {
            int count = frames.Length, mid = count / 2;
            var secondHalf = new MemoryStream();
            var second = Task.Run(() =>
            {
                using var w2 = new SvgText(secondHalf);
                WriteFrames(w2, mid, count);
            });
            WriteFrames(w, 0, mid);
            second.GetAwaiter().GetResult();
            w.Bytes(secondHalf.GetBuffer().AsSpan(0, (int)secondHalf.Length));
        }
        else WriteFrames(w, 0, frames.Length);
        w.Raw("</g>\n</svg>\n");

        void WriteFrames(SvgText w, int from, int to)
        {
            var formatter = new ValueText(options, st);
            var all = layout.Frames;
            for (int i = from; i < to; i++)
            {
                ref readonly var f = ref all[i];
                string name = layout.Names[f.NameId];
                bool isRoot = f.Depth == 0;
                double x1 = xpad + f.Start * wpt;
                double x2 = isRoot ? xpad + layout.Total * wpt : xpad + (f.Start + f.Width) * wpt;
                double y1, y2;
                if (!options.Inverted)
                {
                    y1 = height - ypad2 - (f.Depth + 1) * fh + FramePad;
                    y2 = height - ypad2 - f.Depth * fh;
                }
                else
                {
                    y1 = ypad1 + f.Depth * fh;
                    y2 = ypad1 + (f.Depth + 1) * fh - FramePad;
                }
                ReadOnlySpan<char> shown = isRoot ? "all" : StripAnnotation(name);

                // <title>: "name (N samples, P%)" (and "; ±D%" when differential).
                w.Raw("<g>\n<title>").Esc(shown).Raw(" (");
                formatter.Write(w, f.Width);
                double widthReal = f.Width / scale;
                if (isRoot) w.Raw(", 100%)");
                else
                {
                    double shownValue = formatter.IsCounts ? Math.Round(widthReal, MidpointRounding.ToEven) : widthReal;
                    w.Raw(", ").Fixed(100 * shownValue / totalReal, 2).Raw("%");
                    if (layout.IsDifferential)
                    {
                        double d = (options.Negate ? -f.SelfDelta : f.SelfDelta) / scale;
                        w.Raw("; ");
                        if (d > 0) w.Raw("+");
                        w.Fixed(100 * d / totalReal, 2).Raw("%");
                    }
                    w.Raw(")");
                }
                w.Raw("</title>");

                Rgb color = layout.IsDifferential && name != "--" && name != "-"
                    ? Palettes.Differential(f.SelfDelta / scale, maxDelta, options.Negate)
                    : Palettes.ColorFor(options.Palette, name, options.Hash);
                double rx1 = SvgText.Round(x1, 1), rx2 = SvgText.Round(x2, 1);
                w.Raw("<rect x=\"").Fixed(rx1, 1).Raw("\" y=\"").Num(y1).Raw("\" width=\"").Fixed(rx2 - rx1, 1)
                 .Raw("\" height=\"").Fixed(y2 - y1, 1).Raw("\" fill=\"rgb(").Num(color.R).Raw(",").Num(color.G).Raw(",").Num(color.B)
                 .Raw(")\" rx=\"2\" ry=\"2\" />\n<text x=\"").Fixed(x1 + 3, 2).Raw("\" y=\"").Num(3 + (y1 + y2) / 2).Raw("\">");

                // Label: as many characters as fit at the average glyph width, ".." when cut, nothing below 3.
                int chars = (int)((x2 - x1) / charWidth);
                if (chars >= 3 && !isRoot) WriteLabel(w, shown, chars);
                w.Raw("</text>\n</g>\n");
            }
        }
    }

    /// <summary>Graphs with at least this many frames are formatted by two threads (tests lower it).</summary>
    internal static int ParallelFrames = 8192;

    /// <summary>
    /// The label: the name when it fits in <paramref name="chars"/> characters, else its first chars − 2
    /// characters and "..". Characters are Unicode code points, as flamegraph.pl counts them.
    /// </summary>
    private static void WriteLabel(SvgText w, ReadOnlySpan<char> shown, int chars)
    {
        int length = shown.IndexOfAnyInRange('\uD800', '\uDFFF') < 0 ? shown.Length : CodePointCount(shown);
        if (chars >= length) { w.Esc(shown); return; }
        int keep = chars - 2, end = 0;
        for (int k = 0; k < keep && end < shown.Length; k++)
            end += char.IsHighSurrogate(shown[end]) && end + 1 < shown.Length && char.IsLowSurrogate(shown[end + 1]) ? 2 : 1;
        w.Esc(shown[..end]).Raw("..");
    }

    private static int CodePointCount(ReadOnlySpan<char> s)
    {
        int n = 0;
        for (int i = 0; i < s.Length; i++, n++)
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) i++;
        return n;
    }

    private static void WriteHead(SvgText w, int width, double height)
    {
        w.Raw("<?xml version=\"1.0\" standalone=\"no\"?>\n<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd\">\n")
         .Raw("<svg version=\"1.1\" width=\"").Num(width).Raw("\" height=\"").Num(height).Raw("\" onload=\"init(evt)\" viewBox=\"0 0 ").Num(width).Raw(" ").Num(height)
         .Raw("\" xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\">\n")
         .Raw("<!-- Flame graph rendered by FlameKit (geometry and colours follow brendangregg/FlameGraph's flamegraph.pl). -->\n");
    }

    private static void WriteEmpty(SvgText w, FlameGraphOptions options)
    {
        WriteHead(w, options.Width, 60);
        w.Raw("<text x=\"").Fixed(options.Width / 2, 2).Raw("\" y=\"").Num(options.FontSize * 2).Raw("\">").Esc(ErrorText).Raw("</text>\n</svg>\n");
    }

    private static void Text(SvgText w, string id, double x, double y, string text, string extra = "")
    {
        w.Raw("<text id=\"").Raw(id).Raw("\" x=\"").Fixed(x, 2).Raw("\" y=\"").Num(y).Raw("\"").Raw(extra).Raw(">").Esc(text).Raw("</text>\n");
    }

    /// <summary>flamegraph.pl strips a trailing <c>_[k]</c>, <c>_[w]</c>, <c>_[i]</c> or <c>_[j]</c> annotation from shown names.</summary>
    internal static ReadOnlySpan<char> StripAnnotation(string name)
    {
        int n = name.Length;
        if (n >= 4 && name[n - 4] == '_' && name[n - 3] == '[' && name[n - 1] == ']' && name[n - 2] is 'k' or 'w' or 'i' or 'j')
            return name.AsSpan(0, n - 4);
        return name;
    }

    /// <summary>"--" may not appear in an XML comment (nor a trailing "-").</summary>
    private static string CommentSafe(string s)
    {
        while (s.Contains("--", StringComparison.Ordinal)) s = s.Replace("--", "- -", StringComparison.Ordinal);
        return s.EndsWith('-') ? s + " " : s;
    }

    private static string CssSafe(string font) => font.Replace(";", "", StringComparison.Ordinal).Replace("}", "", StringComparison.Ordinal);

    /// <summary>Formats frame values for tooltips.</summary>
    private sealed class ValueText(FlameGraphOptions options, SampleType sampleType)
    {
        private readonly double _scale = sampleType.DecimalPlaces == 0 ? 1 : Math.Pow(10, sampleType.DecimalPlaces);
        public bool IsCounts { get; } = options.FormatValue is null && options.UnitFormatting == UnitFormatting.Counts;

        public void Write(SvgText w, long stored)
        {
            if (options.FormatValue is not null) { w.Esc(options.FormatValue(stored)); return; }
            if (options.UnitFormatting == UnitFormatting.Human) { w.Esc(HumanUnits.Format(stored / _scale, sampleType.Unit, options.CountName)); return; }
            w.Raw(Thousands(SvgText.FormatFixed(stored / _scale, 0))).Raw(" ").Esc(options.CountName);
        }
    }

    /// <summary>Inserts "," every three digits of an integer string, as flamegraph.pl does.</summary>
    internal static string Thousands(string digits)
    {
        int start = digits.Length > 0 && (digits[0] == '-' || digits[0] == '+') ? 1 : 0;
        int len = digits.Length - start;
        if (len <= 3) return digits;
        var sb = new System.Text.StringBuilder(digits.Length + len / 3);
        sb.Append(digits, 0, start);
        for (int i = 0; i < len; i++)
        {
            if (i > 0 && (len - i) % 3 == 0) sb.Append(',');
            sb.Append(digits[start + i]);
        }
        return sb.ToString();
    }
}

/// <summary>Human-readable values from a sample type's unit (go-torch style): "12.5 MB", "3.2 s".</summary>
public static class HumanUnits
{
    /// <summary>Formats <paramref name="value"/> (in <paramref name="unit"/>) with a scaled unit.</summary>
    /// <param name="value">The real value (already divided by 10^DecimalPlaces).</param>
    /// <param name="unit">pprof unit: bytes, nanoseconds, microseconds, milliseconds, seconds, count, …</param>
    /// <param name="countName">Used for counts and unknown units ("1.2 k samples").</param>
    public static string Format(double value, string unit, string countName)
    {
        var ci = CultureInfo.InvariantCulture;
        // Memory and time share the model's unit table (FlameKit.Units), so tooltips, `info` and reports agree.
        if (Units.IsMemory(unit) || Units.IsTime(unit)) return Units.Format(value, unit);
        switch (unit)
        {
            default:
            {
                double a = Math.Abs(value);
                string num = a >= 1e9 ? (value / 1e9).ToString("0.#", ci) + " G"
                    : a >= 1e6 ? (value / 1e6).ToString("0.#", ci) + " M"
                    : a >= 1e3 ? (value / 1e3).ToString("0.#", ci) + " k"
                    : value.ToString("0.##", ci);
                return num + " " + countName;
            }
        }
    }
}
