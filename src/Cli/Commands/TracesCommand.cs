using System.CommandLine;
using System.Text;
using FlameKit.Reports;

namespace FlameKit.Cli.Commands;

/// <summary><c>flamekit traces</c>: every sample with its stack, as <c>go tool pprof -traces</c>.</summary>
internal static class TracesCommand
{
    public static Command Create(CliConsole console)
    {
        var input = new InputOptions();
        var output = CommonOptions.Output();
        var sampleIndex = CommonOptions.SampleIndex();
        var mean = CommonOptions.Mean();
        var cmd = new Command("traces", """
            Print every sample: its labels, value and stack (leaf first), as 'go tool pprof -traces'.

            Examples:
              flamekit traces goroutine.pb.gz
              flamekit traces --sample-index delay --focus 'sync\.' mutex.pb.gz
              flamekit traces --mean --sample-index delay mutex.pb.gz   # each sample's delay per contention
            """)
        {
            output, sampleIndex, mean,
        };
        input.AddTo(cmd);
        var filters = new FilterOptions();
        filters.AddTo(cmd);
        cmd.SetAction(parse =>
        {
            var (profile, _) = input.Read(parse, console, keepTimeline: filters.NeedsTimeline(parse));
            int st = CliSupport.ResolveSampleType(profile, parse.GetValue(sampleIndex));
            bool m = parse.GetValue(mean);
            if (m) ReportSupport.CheckMean(profile);
            profile = filters.PruneDropFrames(parse, profile);
            // pprof merges every profile it loads: identical samples (stack and labels) add up, all-zero ones go.
            if (!profile.HasTimestamps && NeedsMerge(profile)) profile = FlameKit.Transforms.ProfileTransforms.Merge([profile]);
            long total = 0;
            profile = filters.Apply(parse, console, profile, p => total = TopReport.ReportTotal(p, st, m));
            CliIO.WriteOutput(console, parse.GetValue(output), s =>
            {
                using var w = new StreamWriter(s, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
                TracesReport.WriteText(profile, st, w, total, m);
            });
            return 0;
        });
        return cmd;
    }

    /// <summary>
    /// Whether merging would change anything: two samples with the same stack, labels and thread, or a sample
    /// whose values are all zero. Merging copies the whole profile (seconds on a million samples), so it is skipped when not.
    /// </summary>
    private static bool NeedsMerge(Profile p)
    {
        var seen = new HashSet<(int Stack, int Labels, int Thread)>(p.SampleCount);
        for (int i = 0; i < p.SampleCount; i++)
        {
            bool allZero = true;
            for (int t = 0; t < p.SampleTypes.Count; t++) if (p.SampleValue(i, t) != 0) { allZero = false; break; }
            if (allZero || !seen.Add((p.SampleStack(i).Index, p.SampleLabels(i).Index, p.SampleThread(i).Index))) return true;
        }
        return false;
    }
}
