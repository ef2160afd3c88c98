using System.CommandLine;
using FlameKit.Rendering;

namespace FlameKit.Cli.Commands;

/// <summary><c>flamekit svg</c>: an interactive flame graph, with flamegraph.pl's options.</summary>
internal static class SvgCommand
{
    public static Command Create(CliConsole console)
    {
        var input = new InputOptions();
        var output = CommonOptions.Output();
        var sampleIndex = CommonOptions.SampleIndex();
        var title = new Option<string?>("--title") { Description = "Title text (default \"Flame Graph\", or \"Icicle Graph\" with --inverted)" };
        var subtitle = new Option<string?>("--subtitle") { Description = "Second line of the title" };
        var width = new Option<int?>("--width") { Description = $"Width of the image in pixels (default {FlameGraphDefaults.Width})" };
        var height = new Option<int?>("--height") { Description = $"Height of each frame in pixels (default {FlameGraphDefaults.FrameHeight})" };
        var fontSize = new Option<double?>("--fontsize") { Description = $"Font size (default {FlameGraphDefaults.FontSize})" };
        var fontType = new Option<string?>("--fonttype") { Description = $"Font family (default {FlameGraphDefaults.FontType})" };
        var fontWidth = new Option<double?>("--fontwidth") { Description = $"Average glyph width as a fraction of the font size, for truncating names (default {FlameGraphDefaults.FontWidth})" };
        var minWidth = new Option<string?>("--minwidth") { Description = $"Omit frames narrower than this many pixels, or N% of the total (default {FlameGraphDefaults.MinWidth})" };
        var countName = new Option<string?>("--countname") { Description = "What the values count, shown in tooltips (default \"samples\", or the sample type's unit)" };
        var nameType = new Option<string?>("--nametype") { Description = $"Label of the details line (default \"{FlameGraphDefaults.NameType}\")" };
        var notes = new Option<string?>("--notes") { Description = "Notes embedded in the SVG" };
        var colors = new Option<string?>("--colors") { Description = "Palette: hot (default), mem, io, wakeup, java, js, perl, chain, red, green, blue, aqua, yellow, purple, orange", HelpName = "PALETTE" };
        var bgColors = new Option<string?>("--bgcolors") { Description = "Background: yellow, blue, green, grey, or #rrggbb (default from the palette)" };
        var hash = new Option<bool>("--hash") { Description = "Colour by a hash of the name (stable across graphs)" };
        var inverted = new Option<bool>("--inverted") { Description = "Icicle graph: roots at the top" };
        var reverse = new Option<bool>("--reverse") { Description = "Reverse stacks: leaf functions become roots (who calls the hot code)" };
        var flamechart = new Option<bool>("--flamechart") { Description = "Flame chart: frames in input/time order instead of merged alphabetically" };
        var negate = new Option<bool>("--negate") { Description = "Differential input: swap the meaning of red and blue" };
        var lines = new Option<bool>("--lines") { Description = "Same as --granularity lines: one frame per function and line ('function file:line')" };
        var cmd = new Command("svg", """
            Render an interactive flame graph as SVG (click to zoom, Ctrl-F to search).
            Geometry and options follow flamegraph.pl; colours are deterministic.

            Examples:
              flamekit svg cpu.pb.gz > cpu.svg
              flamekit svg --colors mem --sample-index inuse_space heap.pb.gz -o heap.svg
              flamekit svg --inverted --title "Icicle" cpu.pb.gz > icicle.svg
              flamekit svg --focus 'net/http' --hide 'runtime\.' cpu.pb.gz > http.svg
              flamekit svg --strip-args --strip-packages --drop-frames 'runtime\.mallocgc' cpu.pb.gz > short.svg
              flamekit svg --granularity files cpu.pb.gz > files.svg
              stackcollapse-perf.pl perf.txt | flamekit svg - > perf.svg
              difffolded.pl before.folded after.folded | flamekit svg - > diff.svg
            """)
        {
            output, sampleIndex, title, subtitle, width, height, fontSize, fontType, fontWidth, minWidth,
            countName, nameType, notes, colors, bgColors, hash, inverted, reverse, flamechart, negate, lines,
        };
        input.AddTo(cmd);
        var filters = new FilterOptions();
        filters.LinesAlias = lines;
        filters.AddTo(cmd);
        cmd.SetAction(parse =>
        {
            var (profile, _) = input.Read(parse, console, keepTimeline: parse.GetValue(flamechart) || filters.NeedsTimeline(parse));
            string? si = parse.GetValue(sampleIndex);
            int typeIndex = CliSupport.ResolveSampleType(profile, si);
            profile = filters.PruneDropFrames(parse, profile);
            profile = filters.Apply(parse, console, profile);
            var sampleType = profile.SampleTypes[typeIndex];
            var options = new FlameGraphOptions
            {
                SampleType = si,
                // --lines is --granularity lines: the filter chain has already named the frames.
                Granularity = FrameGranularity.Functions,
                Inverted = parse.GetValue(inverted),
                Reverse = parse.GetValue(reverse),
                Flamechart = parse.GetValue(flamechart),
                Negate = parse.GetValue(negate),
                Hash = parse.GetValue(hash),
            };
            options = options with
            {
                Title = parse.GetValue(title) ?? GoTorch.Title(profile, sampleType) ?? options.Title,
                Subtitle = parse.GetValue(subtitle) ?? options.Subtitle,
                Width = parse.GetValue(width) ?? options.Width,
                FrameHeight = parse.GetValue(height) ?? options.FrameHeight,
                FontSize = parse.GetValue(fontSize) ?? options.FontSize,
                FontType = parse.GetValue(fontType) ?? options.FontType,
                FontWidth = parse.GetValue(fontWidth) ?? options.FontWidth,
                MinWidth = parse.GetValue(minWidth) ?? options.MinWidth,
                CountName = parse.GetValue(countName) ?? GoTorch.CountName(sampleType),
                UnitFormatting = GoTorch.IsMeasured(sampleType) ? UnitFormatting.Human : UnitFormatting.Counts,
                NameType = parse.GetValue(nameType) ?? options.NameType,
                Notes = parse.GetValue(notes) ?? options.Notes,
                Palette = parse.GetValue(colors) ?? options.Palette,
                BgColors = parse.GetValue(bgColors) ?? options.BgColors,
            };
            try
            {
                FlameGraph.ToLayoutOptions(options); // validates --minwidth
                if (!Palettes.IsKnown(options.Palette))
                    throw new ArgumentException($"unknown palette \"{options.Palette}\"; expected one of: {string.Join(", ", Palettes.Names)}");
                Palettes.Background(options.Palette, options.BgColors); // validates --bgcolors
                if (options.Width < 50 || options.FrameHeight < 1 || options.FontSize <= 0 || options.FontWidth <= 0)
                    throw new ArgumentException("--width must be at least 50, and --height, --fontsize and --fontwidth positive");
            }
            catch (ArgumentException e) { throw CliException.Usage(e); }
            if (profile.Total(typeIndex) == 0)
                console.Warn($"{input.Name(parse)}: no samples with a non-zero {sampleType.Type}; the flame graph is empty");
            CliIO.WriteOutput(console, parse.GetValue(output), s => FlameGraph.Render(profile, options, s));
            return 0;
        });
        return cmd;
    }

}

/// <summary>
/// go-torch's habits for Go (and other pprof) profiles: a title that says what is shown ("Heap: inuse_space"),
/// a count name that says what is counted (bytes, objects, goroutines, ns) and human units in tooltips.
/// Folded input keeps flamegraph.pl's "Flame Graph" and "samples".
/// </summary>
internal static class GoTorch
{
    public static bool IsMeasured(SampleType t) => Units.IsMemory(t.Unit) || Units.IsTime(t.Unit);

    public static string CountName(SampleType t)
    {
        if (Units.IsMemory(t.Unit)) return "bytes";
        if (Units.IsTime(t.Unit)) return "ns";
        string type = t.Type;
        if (type.EndsWith("objects", StringComparison.Ordinal)) return "objects";
        return type switch
        {
            "goroutine" or "goroutines" => "goroutines",
            "threadcreate" => "threads",
            "contentions" => "contentions",
            "" or "samples" or "before" or "after" => "samples",
            _ => type,
        };
    }

    public static string? Title(Profile p, SampleType shown)
    {
        bool Has(string name) => p.SampleTypes.Any(t => t.Type == name);
        string? kind =
            Has("inuse_space") || Has("alloc_space") ? "Heap" :
            Has("cpu") ? "CPU" :
            Has("goroutine") ? "Goroutines" :
            Has("threadcreate") ? "Thread creation" :
            Has("contentions") && Has("delay") ? "Contention" :
            null;
        return kind is null ? null : $"{kind}: {shown.Type}";
    }
}
