using System.Diagnostics;

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

    private static string GoTop(string file, string[] args)
    {
        var psi = new ProcessStartInfo(GoBinary())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in (string[])["tool", "pprof", "-top", "-symbolize=none", .. args, file]) psi.ArgumentList.Add(a);
        psi.Environment["TZ"] = "UTC";
        psi.Environment["PPROF_TMPDIR"] = Path.GetTempPath();
        using var proc = Process.Start(psi) ?? throw new InvalidOperationException("could not start go");
        var stdout = proc.StandardOutput.ReadToEndAsync();
        var stderr = proc.StandardError.ReadToEndAsync();
        if (!proc.WaitForExit(180_000))
        {
            proc.Kill(entireProcessTree: true);
            throw new TimeoutException("go tool pprof -top did not finish in 180 s");
        }
        proc.WaitForExit();
        if (proc.ExitCode != 0) throw new InvalidOperationException($"go tool pprof -top {file} exited with {proc.ExitCode}: {stderr.Result}");
        return stdout.Result;
    }

    /// <summary>The go binary from PATH (or /usr/lib/go/bin); a missing go fails the test, never skips it.</summary>
    private static string GoBinary()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            if (dir.Length == 0) continue;
            var p = Path.Combine(dir, "go");
            if (File.Exists(p)) return p;
        }
        if (File.Exists("/usr/lib/go/bin/go")) return "/usr/lib/go/bin/go";
        throw new InvalidOperationException("go not found: install golang-go (go tool pprof is the oracle of these tests)");
    }
}
