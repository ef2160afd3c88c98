using System.CommandLine;
using FlameKit.Formats;
using FlameKit.Transforms;

namespace FlameKit.Cli.Commands;

/// <summary><c>flamekit merge</c>: add profiles together (pprof's merge of several sources).</summary>
internal static class MergeCommand
{
    public static Command Create(CliConsole console)
    {
        var inputs = new Argument<string[]>("FILES") { Description = "Profiles to merge (same sample types)", Arity = ArgumentArity.OneOrMore };
        var output = CommonOptions.Output();
        var to = new Option<string>("--to", "-t")
        {
            Description = "Output format (default pprof): " + string.Join(", ", ProfileFormats.Writers.Select(w => w.Format.Name)),
            DefaultValueFactory = _ => "pprof",
            HelpName = "FORMAT",
        };
        var cmd = new Command("merge", """
            Merge profiles: identical stacks add up. All inputs must have the same sample types.

            Examples:
              flamekit merge cpu1.pb.gz cpu2.pb.gz cpu3.pb.gz > cpu.pb.gz
              flamekit merge a.folded b.folded --to folded
            """)
        {
            inputs, output, to,
        };
        cmd.SetAction(parse =>
        {
            string target = parse.GetValue(to)!;
            var writer = CliSupport.FindWriter(target);
            var profiles = parse.GetValue(inputs)!.Select(f => CliIO.ReadProfile(console, f, null).Profile).ToList();
            Profile merged;
            try { merged = ProfileTransforms.Merge(profiles); }
            catch (ArgumentException e) { throw CliException.Input(e.Message); }
            merged = CliSupport.PrepareForNameOnlyOutput(merged, writer);
            var options = new WriteOptions { Diagnostics = d => console.Warn(d.Message) };
            CliIO.WriteOutput(console, parse.GetValue(output), s => writer.Write(merged, s, options));
            return 0;
        });
        return cmd;
    }
}
