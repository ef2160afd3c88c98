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

    /// <summary>pprof's <c>-mean</c>: each sample's value over its first value (its count), header type <c>mean_TYPE</c>.</summary>
    [Theory]
    [InlineData("pprof/blocking.mutex.pb.gz", "delay")]
    [InlineData("pprof/blocking.block.pb.gz", "delay")]
    [InlineData("pprof/blocking.heap.pb.gz", null)]
    [InlineData("pprof/cpuwork.cpu.pb.gz", null)]
    public void MeanSameAsGoToolPprof(string fixture, string? sampleIndex)
    {
        string path = Fixtures.Path(fixture);
        string[] pp = sampleIndex is null ? ["-mean"] : ["-mean", "-sample_index=" + sampleIndex];
        string[] fk = sampleIndex is null ? ["--mean"] : ["--mean", "--sample-index", sampleIndex];
        var r = CliRunner.Run("", ["traces", .. fk, path]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains("Type: mean_", r.StdOut, StringComparison.Ordinal);
        Assert.Equal(GoTraces(path, pp), r.StdOut);
    }

    /// <summary>
    /// pprof merges identical samples (same stack and labels) and drops all-zero ones before -traces; flamekit
    /// skips that copy when there is nothing to merge, so a profile where there is must still match.
    /// </summary>
    [Fact]
    public void DuplicateAndZeroSamplesAreMergedAsPprofDoes()
    {
        var b = new ProfileBuilder([new SampleType("samples", "count"), new SampleType("cpu", "nanoseconds")]);
        var main = b.AddLocation(0x1000, MappingId.None, [new Line(b.AddFunction("main.main", "", "main.go"), 10)]);
        var work = b.AddLocation(0x2000, MappingId.None, [new Line(b.AddFunction("main.work", "", "main.go"), 20)]);
        var idle = b.AddLocation(0x3000, MappingId.None, [new Line(b.AddFunction("main.idle", "", "main.go"), 30)]);
        var s1 = b.Push(b.Push(StackId.Empty, main), work);
        var s2 = b.Push(b.Push(StackId.Empty, main), idle);
        var worker = b.AddLabelSet([new Label("worker", "1")]);
        b.AddSample(s1, [1, 10_000_000]);
        b.AddSample(s2, [2, 20_000_000]);
        b.AddSample(s1, [3, 30_000_000]);                  // same stack, no labels: merged with the first
        b.AddSample(s1, [4, 50_000_000], worker);          // same stack, other labels: kept apart
        b.AddSample(s2, [0, 0]);                            // all zero: dropped
        string path = Path.Combine(Path.GetTempPath(), $"flamekit-traces-{Guid.NewGuid():N}.pb.gz");
        try
        {
            using (var f = File.Create(path)) new FlameKit.Formats.Pprof.PprofWriter().Write(b.Build(), f, FlameKit.Formats.WriteOptions.Default);
            var r = CliRunner.Run("", "traces", path);
            Assert.True(r.ExitCode == 0, r.StdErr);
            Assert.Contains("      40ms   main.work", r.StdOut, StringComparison.Ordinal);
            Assert.Equal(GoTraces(path, []), r.StdOut);
        }
        finally { File.Delete(path); }
    }

    private static string FromSeparator(string text)
    {
        int i = text.IndexOf("-----------+", StringComparison.Ordinal);
        return i < 0 ? text : text[i..];
    }

    private static string GoTraces(string file, string[] args) => GoPprof.Run(["-traces", .. args, file]);
}
