namespace FlameKit.Tests.Cli;

public class FilterCommandTests
{
    private const string Folded = "main;a;b 1\nmain;a;c 2\nmain;d;b 4\n";

    [Fact]
    public void FilterPipesFoldedOut()
    {
        var r = CliRunner.Run(Folded, "filter", "-", "--focus", "^a$", "--to", "folded");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("main;a;b 1\nmain;a;c 2\n", r.StdOut);
    }

    [Fact]
    public void FocusWithoutMatchWarnsAsPprof()
    {
        var r = CliRunner.Run(Folded, "filter", "-", "--focus", "zzz", "--to", "folded");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("Focus expression matched no samples", r.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void BadRegexIsAUsageError()
    {
        var r = CliRunner.Run(Folded, "filter", "-", "--focus", "(", "--to", "folded");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("parsing focus regexp", r.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void DefaultOutputIsPprofThatReadsBack()
    {
        var r = CliRunner.Run(Folded, "filter", "-", "--hide", "^main$");
        Assert.Equal(0, r.ExitCode);
        var back = CliRunner.Run(r.StdOutBytes, "convert", "-", "--to", "folded");
        Assert.Equal("a;b 1\na;c 2\nd;b 4\n", back.StdOut);
    }

    [Fact]
    public void TopFormatsCsvAndJson()
    {
        var csv = CliRunner.Run(Folded, "top", "-", "--format", "csv");
        Assert.Equal(0, csv.ExitCode);
        Assert.StartsWith("flat,flat_percent,sum_percent,cum,cum_percent,name,inline", csv.StdOut, StringComparison.Ordinal);
        Assert.Contains("\n5,71.4286,71.4286,5,71.4286,b,", csv.StdOut.Replace("\r", "", StringComparison.Ordinal), StringComparison.Ordinal);
        var json = CliRunner.Run(Folded, "top", "-", "--format", "json");
        Assert.Equal(0, json.ExitCode);
        using var doc = System.Text.Json.JsonDocument.Parse(json.StdOut);
        Assert.Equal(7, doc.RootElement.GetProperty("total").GetInt64());
        Assert.Equal("b", doc.RootElement.GetProperty("rows")[0].GetProperty("name").GetString());
    }

    [Fact]
    public void MergeAndDiff()
    {
        string a = Path.Combine(Path.GetTempPath(), $"fk-merge-a-{Environment.ProcessId}.folded");
        string b = Path.Combine(Path.GetTempPath(), $"fk-merge-b-{Environment.ProcessId}.folded");
        File.WriteAllText(a, "main;x 1\nmain;y 2\n");
        File.WriteAllText(b, "main;x 5\n");
        try
        {
            var m = CliRunner.Run("", "merge", a, b, "--to", "folded");
            Assert.Equal(0, m.ExitCode);
            Assert.Equal("main;x 6\nmain;y 2\n", m.StdOut);
            var d = CliRunner.Run("", "diff", a, b);
            Assert.Equal(0, d.ExitCode);
            Assert.Equal("main;x 1 5\nmain;y 2 0\n", d.StdOut);
            var svg = CliRunner.Run(d.StdOutBytes, "svg", "-");
            Assert.Equal(0, svg.ExitCode);
        }
        finally { File.Delete(a); File.Delete(b); }
    }

    [Fact]
    public void EveryNewCommandHasAnExample()
    {
        foreach (var c in new[] { "top", "traces", "filter", "merge", "diff", "svg", "convert" })
        {
            var r = CliRunner.Run("", c, "--help");
            Assert.Contains("Examples:", r.StdOut, StringComparison.Ordinal);
        }
    }
}

public class FilterTimeRangeTests
{
    [Theory]
    [InlineData("0..1ms", 0L, 1_000_000L)]
    [InlineData("1.5s..", 1_500_000_000L, long.MaxValue)]
    [InlineData("..250us", 0L, 250_000L)]
    [InlineData("0..2", 0L, 2_000_000_000L)]
    public void ParsesRanges(string text, long start, long end) =>
        Assert.Equal((start, end), FlameKit.Cli.FilterOptions.ParseTimeRange(text));

    [Theory]
    [InlineData("bad")]
    [InlineData("2s..1s")]
    [InlineData("-1s..")]
    public void RejectsBadRanges(string text) => Assert.Null(FlameKit.Cli.FilterOptions.ParseTimeRange(text));

    [Fact]
    public void TimeOnAProfileWithoutTimestampsIsAUsageError()
    {
        var r = CliRunner.Run("main;a 1\n", "convert", "-", "--to", "folded", "--time", "0..1s");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("no sample timestamps", r.StdErr, StringComparison.Ordinal);
    }
}
