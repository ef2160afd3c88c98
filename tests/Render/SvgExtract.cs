using System.Globalization;
using System.Text.Json;
using System.Xml.Linq;

namespace FlameKit.Tests.Render;

/// <summary>One frame of a flame graph SVG, as tools/svg2json.py extracts it.</summary>
internal sealed record SvgFrame(string Title, double X, double Y, double Width, double Height, string Fill, string Text)
{
    /// <summary>Comparable form: geometry rounded to 0.1 px.</summary>
    public string Key(bool withFill) => string.Create(CultureInfo.InvariantCulture,
        $"{Title} | x={X:F1} y={Y:F1} w={Width:F1} h={Height:F1} | text=\"{Text}\"{(withFill ? " | " + Fill : "")}");
}

/// <summary>The comparable content of a flame graph SVG (C# twin of tools/svg2json.py).</summary>
internal sealed class SvgDoc
{
    public double Width, Height;
    public Dictionary<string, (double X, double Y, string Text)> Headers = [];
    public List<SvgFrame> Frames = [];
    public string? Error;

    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    /// <summary>Parses one of our SVGs (must be well-formed XML).</summary>
    public static SvgDoc FromSvg(byte[] svg)
    {
        var settings = new System.Xml.XmlReaderSettings { DtdProcessing = System.Xml.DtdProcessing.Ignore };
        using var reader = System.Xml.XmlReader.Create(new MemoryStream(svg), settings);
        var x = XDocument.Load(reader);
        var root = x.Root!;
        var d = new SvgDoc { Width = D(root, "width"), Height = D(root, "height") };
        foreach (var t in root.Elements(Svg + "text"))
        {
            var id = (string?)t.Attribute("id");
            if (id is null) { if (t.Value.StartsWith("ERROR", StringComparison.Ordinal)) d.Error = t.Value; continue; }
            d.Headers[id] = (D(t, "x"), D(t, "y"), t.Value);
        }
        var frames = root.Elements(Svg + "g").FirstOrDefault(g => (string?)g.Attribute("id") == "frames");
        if (frames is not null)
        {
            foreach (var g in frames.Elements(Svg + "g"))
            {
                var rect = g.Element(Svg + "rect")!;
                d.Frames.Add(new SvgFrame(g.Element(Svg + "title")!.Value, D(rect, "x"), D(rect, "y"), D(rect, "width"), D(rect, "height"),
                    (string)rect.Attribute("fill")!, g.Element(Svg + "text")!.Value));
            }
        }
        return d;
    }

    /// <summary>Reads a JSON file written by tools/svg2json.py.</summary>
    public static SvgDoc FromJson(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var meta = doc.RootElement.GetProperty("meta");
        var d = new SvgDoc { Width = meta.GetProperty("width").GetDouble(), Height = meta.GetProperty("height").GetDouble() };
        if (meta.TryGetProperty("error", out var err)) d.Error = err.GetString();
        foreach (var h in meta.GetProperty("headers").EnumerateObject())
            d.Headers[h.Name] = (h.Value.GetProperty("x").GetDouble(), h.Value.GetProperty("y").GetDouble(), h.Value.GetProperty("text").GetString()!);
        foreach (var f in doc.RootElement.GetProperty("frames").EnumerateArray())
            d.Frames.Add(new SvgFrame(f.GetProperty("title").GetString()!, f.GetProperty("x").GetDouble(), f.GetProperty("y").GetDouble(),
                f.GetProperty("width").GetDouble(), f.GetProperty("height").GetDouble(), f.GetProperty("fill").GetString()!, f.GetProperty("text").GetString()!));
        return d;
    }

    private static double D(XElement e, string a) => double.Parse((string)e.Attribute(a)!, CultureInfo.InvariantCulture);
}
