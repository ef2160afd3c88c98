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

    [Fact]
    public void SpeedscopeOutputHasOneProfilePerThreadInTimeOrder()
    {
        var r = CliRunner.Run("", "convert", Fixtures.Path("perf/node-workload.perf-script.txt"), "--to", "speedscope");
        Assert.Equal(0, r.ExitCode);
        using var doc = System.Text.Json.JsonDocument.Parse(r.StdOutBytes);
        var profiles = doc.RootElement.GetProperty("profiles").EnumerateArray().ToList();
        // speedscope 1.25.0's own perf importer shows these threads, in this order, for the same file
        // (its names: "node tid: 20841", ...).
        Assert.Equal(new[] { 20841, 20847, 20844, 20846, 20845 }.Select(t => $"node (tid {t})"),
            profiles.Select(p => p.GetProperty("name").GetString()));
        // Each thread's weights are the periods of its samples, in input (time) order.
        var periods = new Dictionary<string, List<long>>();
        foreach (var line in File.ReadLines(Fixtures.Path("perf/node-workload.perf-script.txt")))
        {
            var m = System.Text.RegularExpressions.Regex.Match(line, @"^node (\d+)\s+\d+\.\d+:\s+(\d+) ");
            if (!m.Success) continue;
            var key = $"node (tid {m.Groups[1].Value})";
            (periods.TryGetValue(key, out var l) ? l : periods[key] = []).Add(long.Parse(m.Groups[2].Value));
        }
        foreach (var p in profiles)
            Assert.Equal(periods[p.GetProperty("name").GetString()!], p.GetProperty("weights").EnumerateArray().Select(w => w.GetInt64()));
        // --thread selects one of them without asking for the timeline.
        var one = CliRunner.Run("", "convert", Fixtures.Path("perf/node-workload.perf-script.txt"), "--to", "folded", "--thread", "20847");
        Assert.Equal(0, one.ExitCode);
        long total = one.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Sum(l => long.Parse(l[(l.LastIndexOf(' ') + 1)..]));
        Assert.Equal(periods["node (tid 20847)"].Sum(), total);
    }
}
