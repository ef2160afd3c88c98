using System.Xml.Linq;

namespace FlameKit.Tests.Cli;

public class SvgCommandTests
{
    [Fact]
    public void FoldedFromStdinRendersWellFormedSvg()
    {
        var r = CliRunner.Run(File.ReadAllBytes(Fixtures.Path("folded/edge-xml-escape.folded")), "svg", "-", "--title", "T <&> \"q\"");
        Assert.Equal(0, r.ExitCode);
        var doc = XDocument.Parse(r.StdOut);
        XNamespace svg = "http://www.w3.org/2000/svg";
        Assert.Contains(doc.Descendants(svg + "title"), t => t.Value.StartsWith("main (", StringComparison.Ordinal));
        Assert.Contains(doc.Descendants(svg + "text"), t => t.Value == "T <&> \"q\"");
    }

    [Fact]
    public void SameInputGivesByteIdenticalSvg()
    {
        var input = File.ReadAllBytes(Fixtures.Path("folded/node-workload.collapsed-all.folded"));
        var a = CliRunner.Run(input, "svg");
        var b = CliRunner.Run(input, "svg");
        Assert.Equal(0, a.ExitCode);
        Assert.Equal(a.StdOutBytes, b.StdOutBytes);
    }

    [Theory]
    [InlineData("--colors", "nope", "unknown palette")]
    [InlineData("--minwidth", "abc", "min width \"abc\"")]
    [InlineData("--bgcolors", "#zz", "")]
    public void BadOptionsAreUsageErrors(string option, string value, string message)
    {
        var r = CliRunner.Run("a;b 1\n", "svg", option, value);
        Assert.Equal(2, r.ExitCode);
        Assert.Empty(r.StdOutBytes);
        Assert.Contains(message, r.StdErr);
        Assert.DoesNotContain("Parameter", r.StdErr);
    }

    [Fact]
    public void DifferentialInputIsColouredRedAndBlue()
    {
        var r = CliRunner.Run(File.ReadAllBytes(Fixtures.Path("folded/edge.diff.folded")), "svg");
        Assert.Equal(0, r.ExitCode);
        // tokenize shrank 50 -> 20 (blue), alloc grew 20 -> 60 (red)
        var doc = XDocument.Parse(r.StdOut);
        XNamespace svg = "http://www.w3.org/2000/svg";
        string FillOf(string prefix) => doc.Descendants(svg + "g")
            .First(g => g.Element(svg + "title")?.Value.StartsWith(prefix, StringComparison.Ordinal) == true)
            .Element(svg + "rect")!.Attribute("fill")!.Value;
        Assert.StartsWith("rgb(0,0,255)".Substring(0, 4), FillOf("tokenize"));
        var tok = FillOf("tokenize").TrimStart('r', 'g', 'b', '(').TrimEnd(')').Split(',').Select(int.Parse).ToArray();
        var alloc = FillOf("alloc").TrimStart('r', 'g', 'b', '(').TrimEnd(')').Split(',').Select(int.Parse).ToArray();
        Assert.True(tok[2] > tok[0], "shrunk frame must be blue");
        Assert.True(alloc[0] > alloc[2], "grown frame must be red");
    }
}

public class GoTorchWorkflowTests
{
    [Theory]
    [InlineData("gotext/leak.heap.debug1.txt", null, "Heap: inuse_space", "MB")]
    [InlineData("gotext/leak.heap.debug1.txt", "alloc_objects", "Heap: alloc_objects", "objects")]
    [InlineData("gotext/blocking.goroutine.debug2.txt", null, "Goroutines: goroutine", "goroutines")]
    [InlineData("gotext/blocking.mutex.debug1.txt", null, "Contention: delay", " s")]
    public void TitlesCountNamesAndHumanUnits(string fixture, string? sampleIndex, string title, string unitText)
    {
        var args = new List<string> { "svg", "--colors", "mem", Fixtures.Path(fixture) };
        if (sampleIndex is not null) { args.Add("--sample-index"); args.Add(sampleIndex); }
        var r = CliRunner.Run("", args.ToArray());
        Assert.Equal(0, r.ExitCode);
        Assert.Contains(">" + title + "<", r.StdOut);
        Assert.Matches(@"<title>all \([^)]*" + System.Text.RegularExpressions.Regex.Escape(unitText) + @"[^)]*, 100%\)</title>", r.StdOut);
    }
}
