using FlameKit.Rendering;

namespace FlameKit.Tests.Render;

/// <summary>
/// Renders every fixtures/svg case (inputs of ours, references made by flamegraph.pl) with the same options
/// and compares image size, header texts and the multiset of frames (title, geometry to 0.1 px, label, fill).
/// </summary>
public class ParityTests
{
    /// <summary>Known, documented differences: case → reason. Such cases compare only what the reason leaves valid.</summary>
    private static readonly Dictionary<string, string> s_exceptions = new()
    {
        // flamegraph.pl writes "ERROR: No valid input provided to flamegraph.pl."; we say "ERROR: No valid input provided."
        ["edge-empty.default"] = "error text names the tool",
        // The reference was rendered before JIT paths were shortened to "peers/node/..." in the corpus: titles
        // and whole labels were rewritten, labels cut inside the old "/tmp/..." path were not ("JS:*f /t..").
        // (and "/tmp/<dir>/peers" became "peers" inside some cut labels), so cut labels ("..") are compared only as cut.
        ["node-workload.collapsed-all.hash"] = "stale truncated labels in the reference",
    };

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var line in File.ReadLines(Fixtures.Path("svg/cases.tsv")))
            if (!line.StartsWith('#') && line.Length > 0) data.Add(line.Split('\t')[0]);
        return data;
    }

    internal static (string Input, FlameGraphOptions Options) Case(string name)
    {
        foreach (var line in File.ReadLines(Fixtures.Path("svg/cases.tsv")))
        {
            var cols = line.Split('\t');
            if (cols[0] == name) return (Fixtures.Path("svg/inputs/" + cols[1]), OptionsFromFlags(ShellWords(cols[2])));
        }
        throw new ArgumentException("no case " + name);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesFlamegraphPl(string name)
    {
        var (input, options) = Case(name);
        var expected = SvgDoc.FromJson(Fixtures.Path($"svg/expected/{name}.json"));
        var profile = FoldedTestInput.ParseFile(input);
        var ms = new MemoryStream();
        FlameGraph.Render(profile, options with { Interactive = false }, ms);
        var actual = SvgDoc.FromSvg(ms.ToArray());

        if (expected.Error is not null)
        {
            Assert.NotNull(actual.Error);
            Assert.Empty(actual.Frames);
            return;
        }
        Assert.Equal(expected.Width, actual.Width);
        Assert.Equal(expected.Height, actual.Height);
        foreach (var (id, h) in expected.Headers)
        {
            Assert.True(actual.Headers.TryGetValue(id, out var a), $"header {id} missing");
            Assert.Equal(h.Text, a.Text);
            Assert.Equal(h.X, a.X, 2);
            Assert.Equal(h.Y, a.Y, 2);
        }
        if (name == "node-workload.collapsed-all.hash")
        {
            // See s_exceptions: cut labels are compared only as "cut".
            static SvgFrame Cut(SvgFrame f) => f.Text.EndsWith("..", StringComparison.Ordinal) ? f with { Text = "(cut)" } : f;
            expected.Frames = expected.Frames.Select(Cut).ToList();
            actual.Frames = actual.Frames.Select(Cut).ToList();
        }
        var exp = expected.Frames.Select(f => f.Key(true)).Order(StringComparer.Ordinal).ToList();
        var act = actual.Frames.Select(f => f.Key(true)).Order(StringComparer.Ordinal).ToList();
        var missing = Minus(exp, act);
        var extra = Minus(act, exp);
        Assert.True(missing.Count == 0 && extra.Count == 0,
            $"{name}: {missing.Count} frames only in flamegraph.pl, {extra.Count} only in ours\n  - "
            + string.Join("\n  - ", missing.Take(12)) + "\n  + " + string.Join("\n  + ", extra.Take(12)));
    }

    private static List<string> Minus(List<string> a, List<string> b)
    {
        var counts = new Dictionary<string, int>();
        foreach (var s in b) counts[s] = counts.GetValueOrDefault(s) + 1;
        var result = new List<string>();
        foreach (var s in a)
        {
            if (counts.GetValueOrDefault(s) > 0) counts[s]--;
            else result.Add(s);
        }
        return result;
    }

    /// <summary>flamegraph.pl command-line flags → options.</summary>
    internal static FlameGraphOptions OptionsFromFlags(IReadOnlyList<string> args)
    {
        var o = new FlameGraphOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string Next() => args[++i];
            o = args[i] switch
            {
                "--hash" => o with { Hash = true },
                "--inverted" => o with { Inverted = true },
                "--reverse" => o with { Reverse = true },
                "--flamechart" => o with { Flamechart = true },
                "--negate" => o with { Negate = true },
                "--colors" => o with { Palette = Next() },
                "--bgcolors" => o with { BgColors = Next() },
                "--title" => o with { Title = Next() },
                "--subtitle" => o with { Subtitle = Next() },
                "--width" => o with { Width = int.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture) },
                "--height" => o with { FrameHeight = int.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture) },
                "--fontsize" => o with { FontSize = double.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture) },
                "--fonttype" => o with { FontType = Next() },
                "--minwidth" => o with { MinWidth = Next() },
                "--countname" => o with { CountName = Next() },
                "--nametype" => o with { NameType = Next() },
                "--notes" => o with { Notes = Next() },
                var f => throw new NotSupportedException("flag " + f),
            };
        }
        return o;
    }

    /// <summary>Splits a shell-quoted flag string (as written by tools/make-fixtures.py).</summary>
    internal static List<string> ShellWords(string s)
    {
        var words = new List<string>();
        var cur = new System.Text.StringBuilder();
        bool any = false;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c == '\'')
            {
                int end = s.IndexOf('\'', i + 1);
                cur.Append(s, i + 1, end - i - 1);
                i = end; any = true;
            }
            else if (c == '\\' && i + 1 < s.Length) { cur.Append(s[++i]); any = true; }
            else if (c == ' ') { if (any) { words.Add(cur.ToString()); cur.Clear(); any = false; } }
            else { cur.Append(c); any = true; }
        }
        if (any) words.Add(cur.ToString());
        return words;
    }
}
