using System.CommandLine;
using FlameKit.Formats;

namespace FlameKit.Cli.Commands;

/// <summary><c>flamekit convert</c>: read any format, write another.</summary>
internal static class ConvertCommand
{
    public static Command Create(CliConsole console)
    {
        var input = new InputOptions();
        var output = CommonOptions.Output();
        var sampleIndex = CommonOptions.SampleIndex();
        var to = new Option<string>("--to", "-t")
        {
            Description = "Output format: " + string.Join(", ", ProfileFormats.Writers.Select(w => w.Format.Name)),
            HelpName = "FORMAT",
            Required = true,
        };
        var lines = new Option<bool>("--lines") { Description = "Same as --granularity lines: frames named 'function file:line'" };
        var cmd = new Command("convert", """
            Convert a profile to another format.

            Examples:
              flamekit convert cpu.pb.gz --to folded > cpu.folded
              flamekit convert heap.pb.gz --to folded --sample-index inuse_space
              flamekit convert cpu.pb.gz --to folded --lines
              flamekit convert perf.data.txt --to folded --strip-args --drop-frames 'malloc|operator new'   # hide allocator internals
              flamekit convert cpu.pb.gz --to folded --focus 'main\.handle' --ignore 'runtime\.gc' 
              cat stacks.folded | flamekit convert - --to pprof -o stacks.pb.gz
            """)
        {
            to, output, sampleIndex, lines,
        };
        input.AddTo(cmd);
        var filters = new FilterOptions();
        filters.LinesAlias = lines;
        filters.AddTo(cmd);
        cmd.SetAction(parse =>
        {
            string target = parse.GetValue(to)!;
            var writer = CliSupport.FindWriter(target);
            var (profile, _) = input.Read(parse, console, keepTimeline: CliSupport.WritesTimeline(writer) || filters.NeedsTimeline(parse));
            profile = filters.PruneDropFramesForOutput(parse, profile, writer);
            profile = filters.Apply(parse, console, profile);
            string? si = parse.GetValue(sampleIndex);
            if (si is not null) CliSupport.ResolveSampleType(profile, si);
            var options = new WriteOptions
            {
                SampleType = si,
                // --lines is --granularity lines: the filter chain has already named the frames.
                Granularity = FrameGranularity.Functions,
                Diagnostics = d => console.Warn(d.Message),
            };
            profile = CliSupport.PrepareForNameOnlyOutput(profile, writer);
            CliIO.WriteOutput(console, parse.GetValue(output), s => writer.Write(profile, s, options));
            return 0;
        });
        return cmd;
    }
}
