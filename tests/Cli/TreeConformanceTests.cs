using System.Text.Json;

namespace FlameKit.Tests.Cli;

/// <summary>
/// <c>flamekit tree</c> and <c>flamekit peek</c> against the live <c>go tool pprof -tree</c> / <c>-peek</c>
/// (<c>-symbolize=none</c>, <c>TZ=UTC</c>): the whole output, header lines included, must be byte-identical.
/// A missing <c>go</c> fails the test.
/// </summary>
public class TreeConformanceTests
{
    private static readonly string[] s_fixtures =
    [
        "pprof/cpuwork.cpu.pb.gz", "pprof/bigcpu.cpu.pb.gz", "pprof/blocking.heap.pb.gz", "pprof/blocking.block.pb.gz",
        "pprof/http.allocs.pb.gz", "pprof/labels.cpu.pb.gz", "pprof/blocking.mutex.pb.gz", "pprof/http.goroutine.pb.gz",
    ];

    // pprof flags, and the same request in flamekit's spelling.
    private static readonly (string[] Pprof, string[] FlameKit)[] s_treeOptions =
    [
        ([], []),
        (["-nodecount=10"], ["-n", "10"]),
        (["-cum", "-nodecount=15"], ["--cum", "-n", "15"]),
        (["-focus=main", "-hide=runtime\\.", "-nodecount=20"], ["--hide", "runtime\\.", "--focus", "main", "-n", "20"]),
        (["-ignore=runtime", "-nodefraction=0.05", "-edgefraction=0.01"], ["--ignore", "runtime", "--nodefraction", "0.05", "--edgefraction", "0.01"]),
        (["-show_from=main", "-nodecount=0"], ["--show-from", "main", "-n", "0"]),
        (["-focus=main", "-relative_percentages"], ["--focus", "main", "--relative-percentages"]),
    ];

    public static TheoryData<string, int> TreeMatrix()
    {
        var d = new TheoryData<string, int>();
        foreach (var f in s_fixtures)
            for (int i = 0; i < s_treeOptions.Length; i++) d.Add(f, i);
        return d;
    }

    [Theory]
    [MemberData(nameof(TreeMatrix))]
    public void TreeSameAsGoToolPprof(string fixture, int option)
    {
        var (pp, fk) = s_treeOptions[option];
        string path = Fixtures.Path(fixture);
        Same(GoPprof.Run(["-tree", .. pp, path]), ["tree", .. fk, path]);
    }

    public static TheoryData<string, string> PeekMatrix()
    {
        var d = new TheoryData<string, string>();
        foreach (var f in s_fixtures)
            foreach (var re in (string[])["main", "runtime\\.(mallocgc|gopark)$", "sync|chan", "^main\\.main$"])
                d.Add(f, re);
        return d;
    }

    [Theory]
    [MemberData(nameof(PeekMatrix))]
    public void PeekSameAsGoToolPprof(string fixture, string re)
    {
        string path = Fixtures.Path(fixture);
        var (code, stdout, _) = GoPprof.TryRun("-peek=" + re, path);
        var r = CliRunner.Run("", "peek", re, path);
        if (code != 0)
        {
            // pprof prints the header, then fails with "no matches found for regexp"; flamekit fails before writing.
            Assert.NotEqual(0, r.ExitCode);
            Assert.Contains("no matches found for regexp: " + re, r.StdErr, StringComparison.Ordinal);
            Assert.Empty(r.StdOutBytes);
            return;
        }
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Equal(stdout, r.StdOut);
    }

    [Theory]
    [InlineData("pprof/blocking.heap.pb.gz", "alloc_space")]
    [InlineData("pprof/cpuwork.heap.pb.gz", "alloc_objects")]
    [InlineData("pprof/blocking.block.pb.gz", "contentions")]
    public void SampleIndex(string fixture, string index)
    {
        string path = Fixtures.Path(fixture);
        Same(GoPprof.Run("-tree", "-sample_index=" + index, path), ["tree", "--sample-index", index, path]);
        Same(GoPprof.Run("-peek=main", "-sample_index=" + index, path), ["peek", "main", "--sample-index", index, path]);
    }

    [Theory]
    [InlineData("pprof/bigcpu.cpu.pb.gz", "pprof/cpuwork.cpu.pb.gz")]
    [InlineData("pprof/cpuwork.heap.pb.gz", "pprof/blocking.heap.pb.gz")]
    public void Base(string fixture, string baseFixture)
    {
        string path = Fixtures.Path(fixture), b = Fixtures.Path(baseFixture);
        // Edges of equal magnitude and opposite sign (a call that grew by what another shrank) tie in pprof's
        // edge order, and pprof walks a Go map to list them, so its own output varies from run to run there:
        // compare each node's block as a set of lines.
        var r = CliRunner.Run("", "tree", "--base", b, path);
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Equal(Blocks(GoPprof.Run("-tree", "-base=" + b, path)), Blocks(r.StdOut));
    }

    /// <summary>
    /// Go text dumps: <c>go tool pprof</c> reads only their addresses (no names without the binary), so the
    /// oracle gets the dump as flamekit converts it to pprof; the report from the dump itself must match.
    /// </summary>
    [Theory]
    [InlineData("gotext/cpuwork.heap.debug1.txt")]
    [InlineData("gotext/blocking.mutex.debug1.txt")]
    [InlineData("gotext/http.goroutine.debug2.txt")]
    [InlineData("gotext/labels.goroutine.debug1.txt")]
    public void GoTextDumps(string fixture)
    {
        string path = Fixtures.Path(fixture);
        WithPprofCopy(path, pb =>
        {
            Same(GoPprof.Run("-tree", pb), ["tree", path]);
            Same(GoPprof.Run("-peek=main|runtime|sync", pb), ["peek", "main|runtime|sync", path]);
        });
    }

    /// <summary>Runs <paramref name="check"/> on a temporary pprof file flamekit converts <paramref name="path"/> to.</summary>
    private static void WithPprofCopy(string path, Action<string> check)
    {
        string pb = Path.Combine(Path.GetTempPath(), $"flamekit-tree-{Guid.NewGuid():N}.pb.gz");
        try
        {
            var c = CliRunner.Run("", "convert", path, "--to", "pprof", "-o", pb);
            Assert.True(c.ExitCode == 0, c.StdErr);
            check(pb);
        }
        finally { File.Delete(pb); }
    }

    /// <summary>The whole <c>top</c> output, header (File, Type, Time, Duration, Active filters) included.</summary>
    [Theory]
    [InlineData("pprof/cpuwork.cpu.pb.gz")]
    [InlineData("pprof/http.heap.pb.gz")]
    [InlineData("pprof/labels.cpu.pb.gz")]
    public void TopHeaderSameAsGoToolPprof(string fixture)
    {
        string path = Fixtures.Path(fixture);
        Same(GoPprof.Run("-top", "-nodecount=5", path), ["top", "-n", "5", path]);
        Same(GoPprof.Run("-top", "-nodecount=5", "-focus=main", "-tagignore=x=y", path), ["top", "-n", "5", "--focus", "main", "--tag-ignore", "x=y", path]);
        Same(GoPprof.Run("-top", "-nodecount=5", "-focus=main", "-relative_percentages", path), ["top", "-n", "5", "--focus", "main", "--relative-percentages", path]);
    }

    /// <summary>
    /// pprof's <c>-mean</c> (values over the first sample type, e.g. delay per contention): node values are means,
    /// while the order, the trimming and the caller/callee values stay raw sums, and edges into nodes whose values
    /// are all 0 (samples with a count but no delay or bytes) stay, all as pprof prints them.
    /// </summary>
    [Theory]
    [InlineData("pprof/blocking.mutex.pb.gz", "delay")]
    [InlineData("pprof/blocking.block.pb.gz", "delay")]
    [InlineData("pprof/http.mutex.pb.gz", "delay")]
    [InlineData("pprof/cpuwork.cpu.pb.gz", null)]
    [InlineData("pprof/blocking.heap.pb.gz", null)]
    [InlineData("pprof/http.allocs.pb.gz", "alloc_space")]
    public void MeanSameAsGoToolPprof(string fixture, string? index)
    {
        string path = Fixtures.Path(fixture);
        string[] pp = index is null ? ["-mean"] : ["-mean", "-sample_index=" + index];
        string[] fk = index is null ? ["--mean"] : ["--mean", "--sample-index", index];
        Same(GoPprof.Run(["-tree", .. pp, path]), ["tree", .. fk, path]);
        Same(GoPprof.Run(["-tree", "-nodecount=8", "-cum", .. pp, path]), ["tree", "-n", "8", "--cum", .. fk, path]);
        Same(GoPprof.Run(["-peek=main|sync", .. pp, path]), ["peek", "main|sync", .. fk, path]);
        Same(GoPprof.Run(["-top", .. pp, path]), ["top", .. fk, path]);
        Same(GoPprof.Run(["-top", "-focus=main", "-relative_percentages", .. pp, path]), ["top", "--focus", "main", "--relative-percentages", .. fk, path]);
    }

    /// <summary><c>--mean</c> on a Go text dump (via its pprof conversion for the oracle, as <see cref="GoTextDumps"/>).</summary>
    [Theory]
    [InlineData("gotext/blocking.mutex.debug1.txt")]
    [InlineData("gotext/http.block.debug1.txt")]
    public void MeanOnGoTextDumps(string fixture)
    {
        string path = Fixtures.Path(fixture);
        WithPprofCopy(path, pb =>
        {
            Same(GoPprof.Run("-top", "-mean", "-sample_index=delay", pb), ["top", "--mean", "--sample-index", "delay", path]);
            Same(GoPprof.Run("-tree", "-mean", "-sample_index=delay", pb), ["tree", "--mean", "--sample-index", "delay", path]);
        });
    }

    [Theory]
    [InlineData("top")]
    [InlineData("tree")]
    [InlineData("traces")]
    public void MeanWithOneSampleTypeIsAUsageError(string command)
    {
        var r = CliRunner.Run("", command, "--mean", Fixtures.Path("pprof/blocking.goroutine.pb.gz"));
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("flamekit: --mean divides by the profile's first sample type (a count), but this profile has only one (goroutine/count)", r.StdErr.Trim());
        Assert.Empty(r.StdOutBytes);
    }

    [Fact]
    public void MeanJsonCarriesTheMeans()
    {
        string path = Fixtures.Path("pprof/blocking.mutex.pb.gz");
        var r = CliRunner.Run("", "top", "--format", "json", "--mean", "--sample-index", "delay", path);
        Assert.True(r.ExitCode == 0, r.StdErr);
        using var doc = JsonDocument.Parse(r.StdOut);
        Assert.True(doc.RootElement.GetProperty("mean").GetBoolean());
        var raw = CliRunner.Run("", "top", "--format", "json", "--sample-index", "delay", path);
        using var rawDoc = JsonDocument.Parse(raw.StdOut);
        // A mean is at most the sum it divides (every count is at least 1).
        Assert.True(doc.RootElement.GetProperty("total").GetInt64() < rawDoc.RootElement.GetProperty("total").GetInt64());
    }

    [Fact]
    public void TreeJsonAndCsvCarryTheTextReportsValues()
    {
        string path = Fixtures.Path("pprof/cpuwork.cpu.pb.gz");
        var json = CliRunner.Run("", "peek", "--format", "json", "compress/flate\\.\\(\\*compressor\\)\\.deflate$", path);
        Assert.True(json.ExitCode == 0, json.StdErr);
        using var doc = JsonDocument.Parse(json.StdOut);
        var fns = doc.RootElement.GetProperty("functions");
        Assert.Equal(1, fns.GetArrayLength());
        var fn = fns[0];
        Assert.Equal("compress/flate.(*compressor).deflate", fn.GetProperty("name").GetString());
        long cum = fn.GetProperty("cum").GetInt64();
        // Each caller passes in part of the cum; together (no recursion here) they pass all of it.
        long callers = fn.GetProperty("callers").EnumerateArray().Sum(e => e.GetProperty("value").GetInt64());
        Assert.Equal(cum, callers);
        Assert.True(fn.GetProperty("callees").GetArrayLength() > 0);

        var csv = CliRunner.Run("", "tree", "--format", "csv", "-n", "5", path);
        Assert.True(csv.ExitCode == 0, csv.StdErr);
        var lines = csv.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
        Assert.Equal("function,flat,cum,relation,other,value,inline", lines[0]);
        Assert.Equal(5, lines.Count(l => l.Contains(",self,", StringComparison.Ordinal)));
    }

    [Fact]
    public void BadPeekExpressionIsAUsageError()
    {
        var r = CliRunner.Run("", "peek", "(", Fixtures.Path("pprof/cpuwork.cpu.pb.gz"));
        Assert.NotEqual(0, r.ExitCode);
        Assert.StartsWith("flamekit: parsing argument regexp (", r.StdErr, StringComparison.Ordinal);
        Assert.Empty(r.StdOutBytes);
    }

    private static List<string> Blocks(string text) =>
        text.Split("----------------------------------------------------------+-------------\n")
            .Select(b => string.Join("\n", b.Split('\n').Order(StringComparer.Ordinal))).ToList();

    private static void Same(string expected, string[] flamekitArgs)
    {
        var r = CliRunner.Run("", flamekitArgs);
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains("Showing nodes accounting for", expected, StringComparison.Ordinal);
        Assert.Equal(expected, r.StdOut);
    }
}
