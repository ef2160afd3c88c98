using System.CommandLine;
using FlameKit.Formats;

namespace FlameKit.Cli.Commands;

/// <summary><c>flamekit filter</c>: apply filters and write the result (pprof by default, full fidelity).</summary>
internal static class FilterCommand
{
    public static Command Create(CliConsole console)
    {
        var input = new InputOptions();
        var output = CommonOptions.Output();
        var to = new Option<string>("--to", "-t")
        {
            Description = "Output format (default pprof): " + string.Join(", ", ProfileFormats.Writers.Select(w => w.Format.Name)),
            DefaultValueFactory = _ => "pprof",
            HelpName = "FORMAT",
        };
        var cmd = new Command("filter", """
            Filter a profile and write it out (to stdout by default, so it pipes into other commands).
            Filters run in pprof's fixed order whatever their order on the command line:
            --base, --focus/--ignore/--hide/--show, --show-from, --tag-focus/--tag-ignore, --prune-from,
            then --thread, --time, --max-depth, --trim-path, --invert.

            Examples:
              flamekit filter --focus 'main\.handle' cpu.pb.gz > handle.pb.gz
              flamekit filter --ignore 'runtime\.gc' --hide '^runtime\.' cpu.pb.gz | flamekit svg - > app.svg
              flamekit filter --tag-focus worker=3 cpu.pb.gz --to folded
            """)
        {
            output, to,
        };
        var filters = new FilterOptions();
        input.AddTo(cmd);
        filters.AddTo(cmd);
        cmd.SetAction(parse =>
        {
            string target = parse.GetValue(to)!;
            var writer = CliSupport.FindWriter(target);
            var (profile, _) = input.Read(parse, console, keepTimeline: CliSupport.WritesTimeline(writer) || filters.NeedsTimeline(parse));
            profile = filters.PruneDropFramesForOutput(parse, profile, writer);
            profile = filters.Apply(parse, console, profile);
            profile = CliSupport.PrepareForNameOnlyOutput(profile, writer);
            var options = new WriteOptions { Diagnostics = d => console.Warn(d.Message) };
            CliIO.WriteOutput(console, parse.GetValue(output), s => writer.Write(profile, s, options));
            return 0;
        });
        return cmd;
    }
}
