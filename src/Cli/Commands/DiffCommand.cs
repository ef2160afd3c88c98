using System.CommandLine;
using FlameKit.Formats;
using FlameKit.Transforms;

namespace FlameKit.Cli.Commands;

/// <summary><c>flamekit diff</c>: a differential profile (before/after counts) for red/blue flame graphs.</summary>
internal static class DiffCommand
{
    public static Command Create(CliConsole console)
    {
        var baseArg = new Argument<string>("BASE") { Description = "The older profile" };
        var newArg = new Argument<string>("NEW") { Description = "The newer profile" };
        var output = CommonOptions.Output();
        var sampleIndex = CommonOptions.SampleIndex();
        var normalize = new Option<bool>("--normalize") { Description = "Scale BASE so its total equals NEW's before comparing" };
        var negate = new Option<bool>("--negate") { Description = "Swap the roles: show NEW's stacks coloured by how they compare with BASE reversed (as difffolded.pl -n)" };
        var to = new Option<string>("--to", "-t")
        {
            Description = "Output: folded (two counts per line, as difffolded.pl; default; pipe it into 'flamekit svg -' for red = grew, blue = shrank), pprof (sample types before/after), speedscope, chrome",
            DefaultValueFactory = _ => "folded",
            HelpName = "FORMAT",
        };
        var cmd = new Command("diff", """
            Compare two profiles as a differential flame graph: every stack with its BASE and NEW values.

            Examples:
              flamekit diff old.pb.gz new.pb.gz > diff.folded
              flamekit diff old.pb.gz new.pb.gz --normalize | flamekit svg - > diff.svg
              flamekit diff --sample-index alloc_space old-heap.pb.gz new-heap.pb.gz --to pprof -o diff.pb.gz
            """)
        {
            baseArg, newArg, output, sampleIndex, normalize, negate, to,
        };
        var filters = new FilterOptions();
        filters.AddTo(cmd);
        cmd.SetAction(parse =>
        {
            string target = parse.GetValue(to)!;
            var writer = CliSupport.FindWriter(target);
            var older = filters.PruneDropFrames(parse, CliIO.ReadProfile(console, parse.GetValue(baseArg), null).Profile);
            var newer = filters.PruneDropFrames(parse, CliIO.ReadProfile(console, parse.GetValue(newArg), null).Profile);
            string? si = parse.GetValue(sampleIndex);
            int bt = CliSupport.ResolveSampleType(older, si);
            int nt = CliSupport.ResolveSampleType(newer, si);
            older = filters.Apply(parse, console, older);
            newer = filters.Apply(parse, console, newer);
            if (parse.GetValue(negate)) { (older, newer) = (newer, older); (bt, nt) = (nt, bt); }
            var diff = ProfileTransforms.Diff(older, newer, bt, nt, parse.GetValue(normalize));
            var options = new WriteOptions { Diagnostics = d => console.Warn(d.Message) };
            CliIO.WriteOutput(console, parse.GetValue(output), s => writer.Write(diff, s, options));
            return 0;
        });
        return cmd;
    }
}
