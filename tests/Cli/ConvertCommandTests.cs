namespace FlameKit.Tests.Cli;

public class ConvertCommandTests
{
    [Fact]
    public void FoldedFromStdinToStdout()
    {
        var r = CliRunner.Run("a;b 1\na;b 2\na 1\n", "convert", "-", "--to", "folded");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("a 1\na;b 3\n", r.StdOut);
        Assert.Equal("", r.StdErr);
    }

    [Fact]
    public void BadInputIsOneLineAndExitOne()
    {
        var r = CliRunner.Run("this is not a profile at all\n", "convert", "--to", "folded");
        Assert.Equal(1, r.ExitCode);
        Assert.Empty(r.StdOutBytes);
        var lines = r.StdErr.TrimEnd('\n').Split('\n');
        Assert.Single(lines);
        Assert.StartsWith("flamekit: <stdin>:", lines[0]);
        Assert.Contains("unrecognized profile format", lines[0]);
    }

    [Fact]
    public void UnknownFormatIsUsageError()
    {
        var r = CliRunner.Run("a 1\n", "convert", "--to", "bogus");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("unknown output format \"bogus\"", r.StdErr);
    }

    [Fact]
    public void MissingFileNamesTheFile()
    {
        var r = CliRunner.Run("", "convert", "/nonexistent/cpu.pb.gz", "--to", "folded");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("flamekit: /nonexistent/cpu.pb.gz: no such file\n", r.StdErr);
    }

    [Fact]
    public void FailedConversionLeavesNoOutputFile()
    {
        string dir = Directory.CreateTempSubdirectory("flamekit-test").FullName;
        string outPath = Path.Combine(dir, "out.folded");
        var r = CliRunner.Run("garbage\n", "convert", "-", "--to", "folded", "-o", outPath);
        Assert.Equal(1, r.ExitCode);
        Assert.False(File.Exists(outPath));
        Assert.Empty(Directory.GetFiles(dir)); // no temporary file left either
        Directory.Delete(dir, true);
    }

    [Fact]
    public void OutputFileIsWrittenWhole()
    {
        string dir = Directory.CreateTempSubdirectory("flamekit-test").FullName;
        string outPath = Path.Combine(dir, "out.folded");
        var r = CliRunner.Run("", "convert", Fixtures.Path("folded/edge-fractional.folded"), "--to", "folded", "-o", outPath);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("main 10\nmain;a;b 1.5\nmain;a;c 2.25\nmain;d 0.125\nother;x 3.333\n", File.ReadAllText(outPath));
        Assert.Single(Directory.GetFiles(dir));
        Directory.Delete(dir, true);
    }

    [Fact]
    public void BadSampleIndexListsTheValidOnes()
    {
        var r = CliRunner.Run("a 1\n", "convert", "--to", "folded", "--sample-index", "inuse_space");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("must be one of: samples", r.StdErr);
    }

    [Fact]
    public void UnknownOptionIsUsageError()
    {
        var r = CliRunner.Run("", "--bogus");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--bogus", r.StdErr);
    }

    [Fact]
    public void InputIsNeverModified()
    {
        string path = Fixtures.Path("folded/edge-unsorted.folded");
        byte[] before = File.ReadAllBytes(path);
        var r = CliRunner.Run("", "convert", path, "--to", "folded");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Contains("ignored 2 lines", r.StdErr);
    }
}

public class InfoCommandTests
{
    [Fact]
    public void DescribesDifferentialFolded()
    {
        var r = CliRunner.Run("", "info", Fixtures.Path("folded/edge.diff.folded"));
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("Format:       folded", r.StdOut);
        Assert.Contains("before/count  total 165", r.StdOut);
        Assert.Contains("after/count  total 192  (default)", r.StdOut);
        Assert.Contains("Samples:      7", r.StdOut);
    }
}

public class TruncatedInputTests
{
    [Fact]
    public void TruncatedGzipSaysSo()
    {
        byte[] head = File.ReadAllBytes(Fixtures.Path("pprof/labels.cpu.pb.gz"))[..100];
        var r = CliRunner.Run(head, "info");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("flamekit: <stdin>: gzip: byte 0: the compressed input holds no data (truncated or empty gzip stream)\n", r.StdErr);
    }

    [Fact]
    public void TruncatedPprofNamesTheOffset()
    {
        byte[] head = File.ReadAllBytes(Fixtures.Path("pprof/labels.cpu.pb.gz"))[..3000];
        var r = CliRunner.Run(head, "svg", "-o", Path.Combine(Path.GetTempPath(), "never-written.svg"));
        Assert.Equal(1, r.ExitCode);
        Assert.Matches(@"^flamekit: <stdin>: pprof: byte \d+: .+\n$", r.StdErr);
        Assert.False(File.Exists(Path.Combine(Path.GetTempPath(), "never-written.svg")));
    }
}
