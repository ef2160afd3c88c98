using FlameKit.Formats;

namespace FlameKit.Tests.Cli;

/// <summary>
/// <c>flamekit convert</c> in every direction between folded, speedscope, Chrome trace (and from V8
/// .cpuprofile): exit 0, at most one warning line on stderr, and the output reads back with the same total
/// for the sample type written (less what the warning says was dropped).
/// </summary>
public class ConvertDirectionTests
{
    private static readonly string[] Sources =
    [
        "folded/node-workload.collapsed-all.folded",
        "speedscope/node-workload.cpuprofile.speedscope.json",
        "speedscope/netapp-gc-verbose.speedscope.json",
        "chrome/node-trace-events.array.json",
        "chrome/node-workload.cpuprofile",
    ];

    private static readonly string[] Targets = ["folded", "speedscope", "chrome"];

    public static TheoryData<string, string> Directions()
    {
        var data = new TheoryData<string, string>();
        foreach (var s in Sources)
            foreach (var t in Targets) data.Add(s, t);
        return data;
    }

    private static Profile Read(byte[] bytes, string? selector = null) =>
        ProfileFormats.Read(new MemoryStream(bytes), new ReadOptions { ProfileSelector = selector }).Profile;

    /// <summary>Total of the default sample type, in its real magnitude.</summary>
    private static double Total(Profile p) => p.SampleTypes[p.DefaultSampleTypeIndex].ToDouble(p.Total(p.DefaultSampleTypeIndex));

    /// <summary>Time with nothing on the stack before a thread's first frame and after its last one.</summary>
    private static double IdleEdges(Profile p)
    {
        if (!p.HasTimestamps) return 0;
        double idle = 0;
        foreach (var thread in Enumerable.Range(0, p.SampleCount).GroupBy(p.SampleThread))
        {
            var order = thread.OrderBy(p.SampleTimestamp).ToList();
            idle += order.TakeWhile(i => p.SampleStack(i) == StackId.Empty).Sum(i => p.SampleValue(i, p.DefaultSampleTypeIndex));
            if (order.Any(i => p.SampleStack(i) != StackId.Empty))
                idle += Enumerable.Reverse(order).TakeWhile(i => p.SampleStack(i) == StackId.Empty).Sum(i => p.SampleValue(i, p.DefaultSampleTypeIndex));
        }
        return p.SampleTypes[p.DefaultSampleTypeIndex].ToDouble((long)idle);
    }

    [Theory]
    [MemberData(nameof(Directions))]
    public void ConvertsWithTheSameTotal(string fixture, string target)
    {
        var path = Fixtures.Path(fixture);
        var args = new List<string> { "convert", path, "--to", target };
        if (fixture.StartsWith("speedscope/", StringComparison.Ordinal)) args.AddRange(["--profile", "all"]);
        var r = CliRunner.Run("", [.. args]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        var warnings = r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(warnings.Length <= 1, "more than one stderr line:\n" + r.StdErr);
        Assert.All(warnings, w => Assert.StartsWith("flamekit: warning: ", w));

        var source = ProfileFormats.Read(File.OpenRead(path), new ReadOptions { SourceName = path, ProfileSelector = fixture.StartsWith("speedscope/", StringComparison.Ordinal) ? "all" : null }).Profile;
        if (target == "speedscope") SpeedscopeSchema.AssertValid(r.StdOutBytes, $"{fixture} -> speedscope");
        var back = Read(r.StdOutBytes, target == "speedscope" ? "all" : null);
        double expected = Total(source);
        if (target == "chrome")
        {
            // A trace thread spans its first to last event: idle edges are dropped, and said so.
            double idle = IdleEdges(source);
            if (idle > 0) Assert.Contains("idle time before the first and after the last frame", r.StdErr, StringComparison.Ordinal);
            expected -= idle;
            // Counts are written as one microsecond each (and said so); they read back as nanoseconds.
            if (!Units.IsTime(source.SampleTypes[source.DefaultSampleTypeIndex].Unit))
            {
                Assert.Contains("written as 1 µs per unit", r.StdErr, StringComparison.Ordinal);
                expected *= 1000;
            }
            // The trace is written in microseconds with 3 decimals: whole nanoseconds survive.
            Assert.Equal(expected, Total(back), 0);
        }
        else Assert.Equal(expected, Total(back), 6);
        // Timelines (traces, evented speedscope, .cpuprofile) lose nothing in speedscope: no warning.
        if (target == "speedscope" && !fixture.StartsWith("folded/", StringComparison.Ordinal))
            Assert.DoesNotContain("time", r.StdErr, StringComparison.Ordinal);
    }
}
