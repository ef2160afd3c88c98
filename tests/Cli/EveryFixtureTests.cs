using System.Xml.Linq;

namespace FlameKit.Tests.Cli;

/// <summary>Every bundled profile renders and converts through the CLI, as a user would run it.</summary>
public class EveryFixtureTests
{
    public static TheoryData<string> Profiles()
    {
        var data = new TheoryData<string>();
        foreach (var f in Fixtures.All("pprof", "*.pb*")) data.Add(f);
        foreach (var f in Fixtures.All("gotext", "*.txt")) data.Add(f);
        foreach (var f in Fixtures.All("folded", "*.folded")) data.Add(f);
        foreach (var f in Fixtures.All("nettrace", "*.nettrace.gz")) data.Add(f);
        return data;
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void RendersAndConverts(string fixture)
    {
        string path = Fixtures.Path(fixture);
        var svg = CliRunner.Run("", "svg", path);
        Assert.True(svg.ExitCode == 0, $"svg {fixture}: exit {svg.ExitCode}: {svg.StdErr}");
        XDocument.Parse(svg.StdOut); // well-formed

        var folded = CliRunner.Run("", "convert", path, "--to", "folded");
        Assert.True(folded.ExitCode == 0, $"convert {fixture}: exit {folded.ExitCode}: {folded.StdErr}");
        foreach (var line in folded.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            Assert.Matches(@" -?\d+(\.\d+)?( -?\d+(\.\d+)?)?$", line);

        // Folded output from stdin renders too: the pipe users build.
        var piped = CliRunner.Run(folded.StdOutBytes, "svg", "-");
        if (folded.StdOutBytes.Length > 0)
            Assert.True(piped.ExitCode == 0, $"svg of folded {fixture}: {piped.StdErr}");

        var pprof = CliRunner.Run("", "convert", path, "--to", "pprof");
        Assert.True(pprof.ExitCode == 0, $"convert {fixture} to pprof: {pprof.StdErr}");
        Assert.Equal(0x1f, pprof.StdOutBytes[0]); // gzipped
    }
}
