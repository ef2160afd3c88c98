namespace FlameKit.Tests.Cli;

/// <summary>
/// <c>flamekit traces</c> against the live <c>go tool pprof -traces -symbolize=none</c>: identical from the first
/// separator line on (labels, values in pprof's units, stacks with inline marks). A missing go fails.
/// </summary>
public class TracesConformanceTests
{
    [Theory]
    [InlineData("pprof/blocking.mutex.pb.gz", null)]
    [InlineData("pprof/blocking.block.pb.gz", "contentions")]
    [InlineData("pprof/blocking.heap.pb.gz", null)]
    [InlineData("pprof/blocking.heap.pb.gz", "alloc_space")]
    [InlineData("pprof/cpuwork.cpu.pb.gz", null)]
    [InlineData("pprof/blocking.goroutine.pb.gz", null)]
    [InlineData("pprof/http.heap.pb.gz", null)]
    [InlineData("pprof/labels.cpu.pb.gz", null)]
    [InlineData("pprof/http.cpu.pb.gz", null)]
    [InlineData("pprof/cpuwork.cpu.pb.gz", "samples")]
    public void SameTracesAsGoToolPprof(string fixture, string? sampleIndex)
    {
        string path = Fixtures.Path(fixture);
        string[] pp = sampleIndex is null ? [] : ["-sample_index=" + sampleIndex];
        string[] fk = sampleIndex is null ? [] : ["--sample-index", sampleIndex];
        string expected = FromSeparator(GoTraces(path, pp));
        var r = CliRunner.Run("", ["traces", .. fk, path]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.StartsWith("-----------+", expected, StringComparison.Ordinal);
        Assert.Equal(expected, FromSeparator(r.StdOut));
        // The header lines (File, Type, Time, Duration) too.
        Assert.Equal(GoTraces(path, pp), r.StdOut);
    }

    private static string FromSeparator(string text)
    {
        int i = text.IndexOf("-----------+", StringComparison.Ordinal);
        return i < 0 ? text : text[i..];
    }

    private static string GoTraces(string file, string[] args) => GoPprof.Run(["-traces", .. args, file]);
}
