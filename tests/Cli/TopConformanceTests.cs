namespace FlameKit.Tests.Cli;

/// <summary>
/// <c>flamekit top</c> against the live <c>go tool pprof -top -symbolize=none</c> on a matrix of fixtures and
/// options: the lines from "Showing nodes accounting for ..." on (totals, "Dropped N nodes", "Showing top N",
/// and every row's flat, flat%, sum%, cum, cum%, name and inline mark) must be byte-identical. A missing
/// <c>go</c> fails the test.
/// </summary>
public class TopConformanceTests
{
    private static readonly string[] s_fixtures =
    [
        "pprof/cpuwork.cpu.pb.gz", "pprof/bigcpu.cpu.pb.gz", "pprof/blocking.heap.pb.gz", "pprof/blocking.block.pb.gz",
        "pprof/http.allocs.pb.gz", "pprof/labels.cpu.pb.gz", "pprof/blocking.mutex.pb.gz",
    ];

    // pprof flags, and the same request in flamekit's spelling.
    private static readonly (string[] Pprof, string[] FlameKit)[] s_options =
    [
        ([], []),
        (["-nodecount=10"], ["-n", "10"]),
        (["-cum", "-nodecount=15"], ["--cum", "-n", "15"]),
        (["-focus=runtime"], ["--focus", "runtime"]),
        (["-ignore=runtime"], ["--ignore", "runtime"]),
        (["-hide=runtime"], ["--hide", "runtime"]),
        (["-show=main|flate"], ["--show", "main|flate"]),
        (["-focus=main", "-hide=runtime\\.", "-nodecount=20"], ["--hide", "runtime\\.", "--focus", "main", "-n", "20"]),
        (["-show_from=main"], ["--show-from", "main"]),
        (["-prune_from=runtime.mallocgc"], ["--prune-from", "runtime.mallocgc"]),
        (["-nodefraction=0"], ["--nodefraction", "0"]),
    ];

    public static TheoryData<string, int> Matrix()
    {
        var d = new TheoryData<string, int>();
        foreach (var f in s_fixtures)
            for (int i = 0; i < s_options.Length; i++) d.Add(f, i);
        return d;
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public void SameRowsAsGoToolPprof(string fixture, int option)
    {
        var (pp, fk) = s_options[option];
        Check(fixture, pp, fk);
    }

    [Theory]
    [InlineData("pprof/blocking.heap.pb.gz", "alloc_space")]
    [InlineData("pprof/blocking.heap.pb.gz", "inuse_objects")]
    [InlineData("pprof/cpuwork.heap.pb.gz", "alloc_objects")]
    [InlineData("pprof/blocking.block.pb.gz", "contentions")]
    [InlineData("pprof/cpuwork.cpu.pb.gz", "samples")]
    [InlineData("pprof/http.allocs.pb.gz", "1")]
    public void SampleIndex(string fixture, string index) =>
        Check(fixture, ["-sample_index=" + index, "-nodecount=25"], ["--sample-index", index, "-n", "25"]);

    [Theory]
    [InlineData("pprof/bigcpu.cpu.pb.gz", "pprof/cpuwork.cpu.pb.gz")]
    [InlineData("pprof/cpuwork.heap.pb.gz", "pprof/blocking.heap.pb.gz")]
    public void Base(string fixture, string baseFixture) =>
        Check(fixture, ["-base=" + Fixtures.Path(baseFixture), "-nodecount=30"], ["--base", Fixtures.Path(baseFixture), "-n", "30"]);

    /// <summary>pprof's <c>-mean</c> with filters, <c>-base</c> (whose counts are subtracted too) and the count itself as the value.</summary>
    [Theory]
    [InlineData("pprof/blocking.mutex.pb.gz", "delay", "-hide=runtime", "--hide", "runtime")]
    [InlineData("pprof/http.block.pb.gz", "delay", "-ignore=sync", "--ignore", "sync")]
    [InlineData("pprof/blocking.mutex.pb.gz", "delay", "-nodecount=3", "-n", "3")]
    [InlineData("pprof/blocking.mutex.pb.gz", "contentions", "-show=main", "--show", "main")]
    [InlineData("pprof/blocking.mutex.pb.gz", "delay", "-base=pprof/cpuwork.mutex.pb.gz", "--base", "pprof/cpuwork.mutex.pb.gz")]
    [InlineData("pprof/cpuwork.heap.pb.gz", "inuse_space", "-base=pprof/blocking.heap.pb.gz", "--base", "pprof/blocking.heap.pb.gz")]
    public void Mean(string fixture, string index, string pprofFlag, string flag, string value)
    {
        if (pprofFlag.StartsWith("-base=", StringComparison.Ordinal))
        {
            pprofFlag = "-base=" + Fixtures.Path(value);
            value = Fixtures.Path(value);
        }
        Check(fixture, ["-mean", "-sample_index=" + index, pprofFlag], ["--mean", "--sample-index", index, flag, value]);
    }

    /// <summary>
    /// <c>--granularity</c> against pprof's <c>-lines</c>, <c>-files</c>, <c>-filefunctions</c> (and <c>-addresses</c>,
    /// <c>-functions</c>): same nodes, names (<c>main.foo /src/x.go:12</c>, <c>/src/x.go</c>), flat and cum values.
    /// </summary>
    [Theory]
    [InlineData("pprof/cpuwork.cpu.pb.gz", "lines", new string[0], new string[0])]
    [InlineData("pprof/cpuwork.cpu.pb.gz", "files", new string[0], new string[0])]
    [InlineData("pprof/cpuwork.cpu.pb.gz", "filefunctions", new string[0], new string[0])]
    [InlineData("pprof/cpuwork.cpu.pb.gz", "addresses", new[] { "-nodecount=40" }, new[] { "-n", "40" })]
    [InlineData("pprof/cpuwork.cpu.pb.gz", "functions", new string[0], new string[0])]
    [InlineData("pprof/bigcpu.cpu.pb.gz", "lines", new[] { "-cum", "-nodecount=30" }, new[] { "--cum", "-n", "30" })]
    [InlineData("pprof/bigcpu.cpu.pb.gz", "files", new[] { "-focus=main" }, new[] { "--focus", "main" })]
    [InlineData("pprof/http.allocs.pb.gz", "lines", new[] { "-sample_index=alloc_space" }, new[] { "--sample-index", "alloc_space" })]
    [InlineData("pprof/http.allocs.pb.gz", "files", new string[0], new string[0])]
    [InlineData("pprof/http.allocs.pb.gz", "filefunctions", new[] { "-hide=runtime" }, new[] { "--hide", "runtime" })]
    [InlineData("pprof/blocking.heap.pb.gz", "filefunctions", new string[0], new string[0])]
    [InlineData("pprof/blocking.mutex.pb.gz", "lines", new string[0], new string[0])]
    [InlineData("pprof/labels.cpu.pb.gz", "files", new[] { "-cum" }, new[] { "--cum" })]
    [InlineData("pprof/deepcpu.cpu.pb.gz", "lines", new[] { "-nodefraction=0", "-nodecount=60" }, new[] { "--nodefraction", "0", "-n", "60" })]
    public void Granularity(string fixture, string granularity, string[] pprofArgs, string[] flamekitArgs) =>
        Check(fixture, ["-" + granularity, .. pprofArgs], ["--granularity", granularity, .. flamekitArgs]);

    /// <summary>pprof's numeric tag ranges (<c>KEY=LOW:HIGH</c> with units, open ends, exact values, no key).</summary>
    [Theory]
    [InlineData("-tagfocus", "bytes=1kb:64kb")]
    [InlineData("-tagfocus", "bytes=:1kb")]
    [InlineData("-tagfocus", "bytes=2kb:")]
    [InlineData("-tagfocus", "bytes=16b:1kb")]
    [InlineData("-tagfocus", "1kb:1mb")]
    [InlineData("-tagfocus", "bytes=8192")]
    [InlineData("-tagfocus", "bytes=8kb")]
    [InlineData("-tagignore", "bytes=1kb:64kb")]
    [InlineData("-tagignore", ":512b")]
    public void TagRanges(string flag, string value)
    {
        string fk = flag == "-tagfocus" ? "--tag-focus" : "--tag-ignore";
        foreach (var f in (string[])["pprof/http.heap.pb.gz", "pprof/blocking.heap.pb.gz"])
            Check(f, [flag + "=" + value, "-sample_index=alloc_space", "-nodecount=15"], [fk, value, "--sample-index", "alloc_space", "-n", "15"]);
    }

    private static void Check(string fixture, string[] pprofArgs, string[] flamekitArgs)
    {
        string path = Fixtures.Path(fixture);
        string expected = FromShowing(GoTop(path, pprofArgs));
        var r = CliRunner.Run("", ["top", .. flamekitArgs, path]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Equal(expected, FromShowing(r.StdOut));
        Assert.StartsWith("Showing nodes accounting for", expected, StringComparison.Ordinal);
    }

    private static string FromShowing(string text)
    {
        int i = text.IndexOf("Showing nodes accounting for", StringComparison.Ordinal);
        return i < 0 ? text : text[i..];
    }

    private static string GoTop(string file, string[] args) => GoPprof.Run(["-top", .. args, file]);
}
