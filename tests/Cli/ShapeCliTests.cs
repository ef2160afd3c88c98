namespace FlameKit.Tests.Cli;

/// <summary>
/// The shape flags of issue #6 through the CLI: <c>--granularity</c> (and svg/convert's <c>--lines</c> alias),
/// <c>--strip-args</c>, <c>--strip-packages</c>, <c>--drop-frames</c>.
/// </summary>
public class ShapeCliTests
{
    private static Dictionary<string, long> FoldedOf(string fixture, params string[] args)
    {
        var r = CliRunner.Run("", ["convert", Fixtures.Path(fixture), "--to", "folded", .. args]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        var d = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int sp = line.LastIndexOf(' ');
            d[line[..sp]] = d.GetValueOrDefault(line[..sp]) + long.Parse(line[(sp + 1)..]);
        }
        return d;
    }

    private static IEnumerable<string> Frames(Dictionary<string, long> folded) => folded.Keys.SelectMany(k => k.Split(';')).Distinct();

    [Theory]
    [InlineData("files")]
    [InlineData("lines")]
    [InlineData("filefunctions")]
    public void GranularityNamesEveryFrameAndKeepsTheTotal(string granularity)
    {
        const string f = "pprof/cpuwork.cpu.pb.gz";
        var plain = FoldedOf(f);
        var g = FoldedOf(f, "--granularity", granularity);
        Assert.Equal(plain.Values.Sum(), g.Values.Sum());
        foreach (var frame in Frames(g))
        {
            switch (granularity)
            {
                case "files": Assert.Matches(@"^/\S+\.(go|s)$", frame); break;
                case "lines": Assert.Matches(@"^\S+ /\S+\.(go|s):\d+$", frame); break;
                default: Assert.Matches(@"^\S+ /\S+\.(go|s)$", frame); break;
            }
        }
        // Coarser granularity merges stacks; lines splits them.
        if (granularity == "files") Assert.True(g.Count < plain.Count);
        if (granularity == "lines") Assert.True(g.Count > plain.Count);
        Assert.Contains("/home/dev/corpus/gen/cpuwork/main.go", Frames(FoldedOf(f, "--granularity", "files")));
    }

    [Fact]
    public void LinesIsGranularityLines()
    {
        const string f = "pprof/http.cpu.pb.gz";
        Assert.Equal(FoldedOf(f, "--granularity", "lines"), FoldedOf(f, "--lines"));
        var svg = CliRunner.Run("", "svg", "--lines", Fixtures.Path(f));
        var svg2 = CliRunner.Run("", "svg", "--granularity", "lines", Fixtures.Path(f));
        Assert.Equal(0, svg.ExitCode);
        Assert.Equal(svg2.StdOut, svg.StdOut);
        Assert.Matches(@"<title>net/http\.\(\*conn\)\.serve /\S+/net/http/server\.go:\d+ \(", svg.StdOut);
    }

    [Fact]
    public void UnknownGranularityIsAUsageError()
    {
        var r = CliRunner.Run("", "top", "--granularity", "words", Fixtures.Path("pprof/cpuwork.cpu.pb.gz"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("words", r.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void StripPackagesShortensGoNames()
    {
        const string f = "pprof/http.cpu.pb.gz";
        var plain = FoldedOf(f);
        var s = FoldedOf(f, "--strip-packages");
        Assert.Equal(plain.Values.Sum(), s.Values.Sum());
        Assert.Contains("net/http.(*conn).serve", Frames(plain));
        Assert.Contains("http.(*conn).serve", Frames(s));
        Assert.DoesNotContain(Frames(s), fr => fr.Contains('/', StringComparison.Ordinal) && !fr.Contains('[', StringComparison.Ordinal));
    }

    [Fact]
    public void StripArgsShortensDotNetNamesAndMerges()
    {
        const string f = "speedscope/netapp-cpu.speedscope.json.gz";
        var plain = FoldedOf(f);
        var s = FoldedOf(f, "--strip-args");
        Assert.Equal(plain.Values.Sum(), s.Values.Sum());
        Assert.Contains("System.Console!System.Console.CreateOutputWriter(class System.IO.Stream)", Frames(plain));
        Assert.Contains("System.Console!System.Console.CreateOutputWriter", Frames(s));
        Assert.DoesNotContain(Frames(s), fr => fr.EndsWith(')') && fr != "(Non-Activities)");
        Assert.True(s.Count <= plain.Count);
    }

    [Fact]
    public void DropFramesRemovesTheFrameAndItsCallees()
    {
        const string f = "pprof/cpuwork.cpu.pb.gz";
        var plain = FoldedOf(f);
        var d = FoldedOf(f, "--drop-frames", "runtime\\.mallocgc");
        Assert.Contains("runtime.mallocgc", Frames(plain));
        Assert.DoesNotContain("runtime.mallocgc", Frames(d));
        // Whatever mallocgc called is gone with it; its callers now end the stacks, with the same total.
        Assert.DoesNotContain("runtime.nextFreeFast", Frames(d));
        Assert.Contains("runtime.nextFreeFast", Frames(plain));
        Assert.Equal(plain.Values.Sum(), d.Values.Sum());
        var mallocCallers = plain.Where(kv => kv.Key.Contains(";runtime.mallocgc", StringComparison.Ordinal))
            .Select(kv => kv.Key[..kv.Key.IndexOf(";runtime.mallocgc", StringComparison.Ordinal)]).Distinct().ToList();
        Assert.NotEmpty(mallocCallers);
        Assert.All(mallocCallers, c => Assert.True(d.ContainsKey(c), c));
    }

    [Fact]
    public void DropFramesInReportsAndBadExpression()
    {
        string f = Fixtures.Path("pprof/cpuwork.cpu.pb.gz");
        var top = CliRunner.Run("", "top", "--drop-frames", "runtime\\.mallocgc", "-n", "0", "--nodefraction", "0", f);
        Assert.Equal(0, top.ExitCode);
        Assert.DoesNotContain(" runtime.mallocgc\n", top.StdOut, StringComparison.Ordinal);
        Assert.Contains(" runtime.mallocgc\n", CliRunner.Run("", "top", "-n", "0", "--nodefraction", "0", f).StdOut, StringComparison.Ordinal);
        var bad = CliRunner.Run("", "top", "--drop-frames", "(", f);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("drop_frames", bad.StdErr, StringComparison.Ordinal);
    }

    /// <summary>A pprof profile whose own drop_frames is "c", with C++-style names: main → b(int) → c(long) → d (in m.cc, b.cc, ...).</summary>
    private static byte[] OwnDropFrames()
    {
        var b = new ProfileBuilder([new SampleType("samples", "count")]) { DropFrames = "c" };
        var s = StackId.Empty;
        foreach (var n in (string[])["main", "b(int)", "c(long)", "d"]) s = b.Push(s, b.AddFrame(n, n[0] + ".cc"));
        b.AddSample(s, [3]);
        b.AddSample(b.Push(StackId.Empty, b.AddFrame("b(char)", "b.cc")), [1]);
        var ms = new MemoryStream();
        new FlameKit.Formats.Pprof.PprofWriter().Write(b.Build(), ms, FlameKit.Formats.WriteOptions.Default);
        return ms.ToArray();
    }

    [Theory]
    [InlineData(new string[0], "b(char) 1\nmain;b(int) 3\n")]                          // the profile's own drop_frames
    [InlineData(new[] { "--drop-frames", "b" }, "b(char) 1\nmain 3\n")]                // combined with it
    [InlineData(new[] { "--strip-args" }, "b 1\nmain;b 3\n")]                          // pruned with the original names first
    [InlineData(new[] { "--granularity", "files" }, "b.cc 1\nm.cc;b.cc 3\n")]          // (renamed "c.cc", c would no longer match)
    [InlineData(new[] { "--drop-frames", "main|b" }, "b(char) 1\nmain;b(int);c(long);d 3\n")] // all match down to d, the first user frame: nothing goes
    public void ProfilesOwnDropFramesWithTheShapeFlags(string[] flags, string expected)
    {
        var r = CliRunner.Run(OwnDropFrames(), ["convert", "-", "--to", "folded", .. flags]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Equal(expected, r.StdOut);
    }

    [Fact]
    public void FilterToPprofPrunesOwnDropFramesBeforeRenaming()
    {
        var r = CliRunner.Run(OwnDropFrames(), "filter", "-", "--granularity", "files");
        Assert.Equal(0, r.ExitCode);
        var back = CliRunner.Run(r.StdOutBytes, "convert", "-", "--to", "folded");
        Assert.Equal("b.cc 1\nm.cc;b.cc 3\n", back.StdOut);
        // Without renaming, pprof output keeps the expression for its reader.
        var kept = CliRunner.Run(OwnDropFrames(), "filter", "-", "--focus", "main");
        Assert.Equal("main;b(int) 3\n", CliRunner.Run(kept.StdOutBytes, "convert", "-", "--to", "folded").StdOut);
    }

    [Theory]
    [InlineData("top")]
    [InlineData("svg")]
    [InlineData("convert")]
    [InlineData("tree")]
    public void HelpNamesThePprofEquivalents(string command)
    {
        var r = CliRunner.Run("", command, "--help");
        Assert.Equal(0, r.ExitCode);
        foreach (var s in (string[])["--granularity", "pprof -granularity", "--strip-args", "--strip-packages", "--drop-frames", "drop_frames"])
            Assert.Contains(s, r.StdOut, StringComparison.Ordinal);
    }
}
