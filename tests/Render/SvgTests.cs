using System.Text;
using System.Xml;
using FlameKit.Rendering;
using FlameKit.Rendering.Svg;

namespace FlameKit.Tests.Render;

public class SvgTests
{
    private static byte[] Render(Profile p, FlameGraphOptions? o = null)
    {
        var ms = new MemoryStream();
        FlameGraph.Render(p, o ?? new FlameGraphOptions(), ms);
        return ms.ToArray();
    }

    private static XmlDocument ParseXml(byte[] svg)
    {
        var doc = new XmlDocument { XmlResolver = null };
        using var r = XmlReader.Create(new MemoryStream(svg), new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore, CheckCharacters = true });
        doc.Load(r);
        return doc;
    }

    [Fact]
    public void EscapesNamesIntoWellFormedXml()
    {
        var svg = Render(FoldedTestInput.ParseFile(Fixtures.Path("svg/inputs/edge-xml-escape.folded")));
        var doc = ParseXml(svg);
        var titles = doc.GetElementsByTagName("title").Cast<XmlElement>().Select(e => e.InnerText).ToList();
        Assert.Contains("operator<<(ostream&, \"quoted\") (30 samples, 22.90%)", titles);
        Assert.Contains("a&b 't' (12 samples, 9.16%)", titles);
        Assert.Contains("λ→x (25 samples, 19.08%)", titles);
    }

    [Fact]
    public void ReplacesControlCharactersAndLoneSurrogates()
    {
        var b = new ProfileBuilder([new SampleType("samples", "count")]);
        string evil = "bell\u0007 nul\0 tab\t lone\uD800 low\uDC00 pair😀 end\uFFFF ]]> --";
        b.AddSample(b.Push(b.Push(StackId.Empty, b.AddFrame("main")), b.AddFrame(evil)), [5]);
        var svg = Render(b.Build(), new FlameGraphOptions { Title = "t\u0001<x>", Notes = "a -- b", Subtitle = "s\uDFFF" });
        var doc = ParseXml(svg);
        var titles = doc.GetElementsByTagName("title").Cast<XmlElement>().Select(e => e.InnerText).ToList();
        Assert.Contains("bell\uFFFD nul\uFFFD tab\uFFFD lone\uFFFD low\uFFFD pair😀 end\uFFFD ]]> -- (5 samples, 100.00%)", titles);
        var notes = doc.ChildNodes.Cast<XmlNode>().Concat(doc.DocumentElement!.ChildNodes.Cast<XmlNode>())
            .OfType<XmlComment>().Single(c => c.Value!.StartsWith(" NOTES:", StringComparison.Ordinal));
        Assert.Equal(" NOTES: a - - b ", notes.Value);
        Assert.Equal("t\uFFFD<x>", doc.GetElementById("title")?.InnerText ?? doc.SelectSingleNode("//*[@id='title']")!.InnerText);
    }

    [Fact]
    public void SameInputGivesByteIdenticalOutput()
    {
        var text = File.ReadAllText(Fixtures.Path("svg/inputs/node-workload.collapsed-all.folded"));
        var a = Render(FoldedTestInput.Parse(text));
        var b = Render(FoldedTestInput.Parse(text));
        Assert.Equal(a, b);
        Assert.Equal(Render(FoldedTestInput.Parse(text), new FlameGraphOptions { Inverted = true, Hash = true }),
            Render(FoldedTestInput.Parse(text), new FlameGraphOptions { Inverted = true, Hash = true }));
    }

    [Fact]
    public void EmptyProfileWritesAnErrorSvg()
    {
        var svg = Render(FoldedTestInput.Parse(""));
        var doc = ParseXml(svg);
        Assert.Contains("ERROR: No valid input provided", doc.DocumentElement!.InnerText, StringComparison.Ordinal);
        Assert.Equal("60", doc.DocumentElement.GetAttribute("height"));
    }

    [Fact]
    public void InteractiveSvgEmbedsTheScriptAndStaysWellFormed()
    {
        var svg = Render(FoldedTestInput.Parse("main;a 3\nmain;b 1\n"));
        var doc = ParseXml(svg);
        var script = doc.GetElementsByTagName("script").Cast<XmlElement>().Single().InnerText;
        Assert.Contains("function init(evt)", script, StringComparison.Ordinal);
        var quiet = Render(FoldedTestInput.Parse("main;a 3\nmain;b 1\n"), new FlameGraphOptions { Interactive = false });
        Assert.Empty(ParseXml(quiet).GetElementsByTagName("script"));
    }

    [Fact]
    public void HumanUnitsAndCustomFormatter()
    {
        var b = new ProfileBuilder([new SampleType("alloc_space", "bytes")]);
        b.AddSample(b.Push(StackId.Empty, b.AddFrame("alloc")), [13_107_200]);
        var p = b.Build();
        var human = Encoding.UTF8.GetString(Render(p, new FlameGraphOptions { UnitFormatting = UnitFormatting.Human }));
        Assert.Contains("<title>alloc (12.5 MB, 100.00%)</title>", human, StringComparison.Ordinal);
        var custom = Encoding.UTF8.GetString(Render(p, new FlameGraphOptions { FormatValue = v => $"{v / 1024} KiB" }));
        Assert.Contains("<title>alloc (12800 KiB, 100.00%)</title>", custom, StringComparison.Ordinal);
        Assert.Equal("3.2 s", HumanUnits.Format(3_200_000_000, "nanoseconds", "samples"));
        Assert.Equal("1.5 k samples", HumanUnits.Format(1500, "count", "samples"));
    }

    [Fact]
    public void PalettesMatchFlamegraphPlRules()
    {
        // srand(0); rand() under Perl's drand48 → 0.17082803610628972.
        Assert.Equal(new Rgb(213, 39, 9), Palettes.ColorFor("hot", ""));
        Assert.Equal(new Rgb(243, 179, 42), Palettes.ColorFor("hot", "main"));
        Assert.Equal(new Rgb(160, 160, 160), Palettes.ColorFor("hot", "--"));
        Assert.Equal(("#eef2ee", "#e0ffe0"), Palettes.Background("mem", null));
        Assert.Equal(("#123456", "#123456"), Palettes.Background("hot", "#123456"));
        Assert.Throws<ArgumentException>(() => Palettes.Background("hot", "pink"));
        Assert.Equal(new Rgb(255, 255, 255), Palettes.Differential(0, 10, false));
        Assert.Equal(new Rgb(255, 0, 0), Palettes.Differential(10, 10, false));
        Assert.Equal(new Rgb(0, 0, 255), Palettes.Differential(10, 10, true));
        foreach (var name in Palettes.Names) Assert.True(Palettes.IsKnown(name));
    }

    [Fact]
    public void MinWidthAcceptsPixelsAndPercent()
    {
        Assert.Equal(0.1 / 1180, FlameGraph.MinWidthFraction("0.1", 1200));
        Assert.Equal(0.01, FlameGraph.MinWidthFraction("1%", 1200));
        Assert.Throws<ArgumentException>(() => FlameGraph.MinWidthFraction("wide", 1200));
    }
}

/// <summary>
/// Big graphs are formatted by two threads (<c>SvgFlameGraphWriter.ParallelFrames</c>); with the threshold
/// lowered, real fixtures go through that path and must give the same bytes as one thread.
/// </summary>
public class SvgParallelFramesTests
{
    [Theory]
    [InlineData("folded/node-workload.collapsed-all.folded", "hot", false)]
    [InlineData("folded/edge.diff.folded", "hot", false)]
    [InlineData("pprof/labels.cpu.pb.gz", "mem", true)]
    [InlineData("pprof/http.heap.pb.gz", "mem", false)]
    public void TwoThreadsGiveTheSameBytes(string fixture, string palette, bool inverted)
    {
        Profile p;
        using (var input = File.OpenRead(FlameKit.Tests.Fixtures.Path(fixture)))
            p = FlameKit.Formats.ProfileFormats.Read(input).Profile;
        var options = new FlameGraphOptions { Palette = palette, Inverted = inverted };
        byte[] Render()
        {
            var ms = new MemoryStream();
            FlameGraph.Render(p, options, ms);
            return ms.ToArray();
        }
        int threshold = FlameKit.Rendering.Svg.SvgFlameGraphWriter.ParallelFrames;
        byte[] serial, parallel;
        try
        {
            FlameKit.Rendering.Svg.SvgFlameGraphWriter.ParallelFrames = int.MaxValue;
            serial = Render();
            FlameKit.Rendering.Svg.SvgFlameGraphWriter.ParallelFrames = 2;
            parallel = Render();
        }
        finally
        {
            FlameKit.Rendering.Svg.SvgFlameGraphWriter.ParallelFrames = threshold;
        }
        Assert.True(serial.Length > 2000);
        Assert.Equal(serial, parallel);
    }
}
