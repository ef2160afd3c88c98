namespace FlameKit.Tests.Cli;

/// <summary>The <c>--perf-*</c> flags of convert and svg map onto stackcollapse-perf.pl's options.</summary>
public class PerfCliTests
{
    [Theory]
    [InlineData("node-workload", "default")]
    [InlineData("node-workload", "all")]
    [InlineData("dotnet-netapp", "pid")]
    [InlineData("dotnet-netapp", "tid")]
    public void ConvertToFoldedEqualsStackcollapsePerf(string fixture, string option)
    {
        string[] args = option == "default"
            ? ["convert", Fixtures.Path($"perf/{fixture}.perf-script.txt"), "--to", "folded"]
            : ["convert", Fixtures.Path($"perf/{fixture}.perf-script.txt"), "--to", "folded", "--perf-" + option];
        var r = CliRunner.Run("", args);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.StdErr);
        Assert.Equal(File.ReadAllText(Fixtures.Path($"perf/{fixture}.collapsed-{option}.txt")), r.StdOut);
    }

    [Fact]
    public void SvgFromPerfScriptIsTheSvgOfItsCollapsedStacks()
    {
        var fromPerf = CliRunner.Run("", "svg", Fixtures.Path("perf/node-workload.perf-script.txt"), "--perf-all", "--hash");
        var fromFolded = CliRunner.Run("", "svg", Fixtures.Path("perf/node-workload.collapsed-all.txt"), "--hash");
        Assert.Equal(0, fromPerf.ExitCode);
        Assert.Equal(fromFolded.StdOut, fromPerf.StdOut);
    }

    [Fact]
    public void EventFilterAndBadInput()
    {
        // One-letter command names are not headers for the script (`\S.+?` needs two characters).
        const string text = "aa 1 1.0: 3 cycles:\n\t1 f (/x)\n\nbb 2 1.1: 4 faults:\n\t1 g (/x)\n\n";
        Assert.Equal("bb;g 4\n", CliRunner.Run(text, "convert", "-", "--to", "folded", "--perf-event", "faults").StdOut);
        var r = CliRunner.Run(text, "convert", "-", "--to", "folded");
        Assert.Equal("aa;f 3\n", r.StdOut);
        Assert.Contains("kept only samples of the first, cycles", r.StdErr, StringComparison.Ordinal);
        var bad = CliRunner.Run("xx 1 1.0: 1 cycles:\n\t1 f (/x)\n\t2 g (/", "convert", "-", "--to", "folded");
        Assert.Equal(1, bad.ExitCode);
        Assert.Equal("flamekit: <stdin>: perf: line 3: expected a sample header 'comm pid[/tid] [cpu] time: [period] event:' or an indented frame line 'addr symbol (dso)'\n", bad.StdErr);
    }
}
