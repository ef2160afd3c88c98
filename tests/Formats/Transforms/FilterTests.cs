using System.Text.RegularExpressions;
using FlameKit.Reports;
using FlameKit.Transforms;

namespace FlameKit.Tests.Transforms;

/// <summary>
/// Table-driven tests of the pprof filters over small profiles written as folded lines ("a;b;c 3", root
/// first). A frame written <c>x+y</c> is one location whose line <c>y</c> is inlined into <c>x</c>; a frame
/// written <c>f@file.go</c> has that source file.
/// </summary>
public class FilterTests
{
    internal static Profile Build(params string[] lines)
    {
        var b = new ProfileBuilder([new SampleType("samples", "count")]);
        foreach (var line in lines)
        {
            int sp = line.LastIndexOf(' ');
            var s = StackId.Empty;
            string stack = line[..sp];
            string labels = "";
            int brace = stack.IndexOf('{');
            if (brace >= 0) { labels = stack[(brace + 1)..^1]; stack = stack[..brace]; }
            foreach (var frame in stack.Split(';', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = frame.Split('+');
                var ls = parts.Reverse().Select(n =>
                {
                    var nf = n.Split('@');
                    return new Line(b.AddFunction(nf[0], "", nf.Length > 1 ? nf[1] : ""), 0);
                }).ToArray();
                s = b.Push(s, b.AddLocation(0, MappingId.None, ls));
            }
            var ls2 = labels.Length == 0 ? LabelSetId.Empty
                : b.AddLabelSet(labels.Split(',').Select(kv => kv.Split('=')).Select(kv => NewLabel(kv[0], kv[1])).ToArray());
            b.AddSample(s, [long.Parse(line[(sp + 1)..])], ls2);
        }
        return b.Build();
    }

    /// <summary>Folded lines of a profile (inlined lines become separate frames), sorted, "|"-joined.</summary>
    internal static string Folded(Profile p)
    {
        var agg = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var buf = new LocationId[256];
        for (int i = 0; i < p.SampleCount; i++)
        {
            int n = p.CopyStackRootFirst(p.SampleStack(i), buf);
            var names = new List<string>();
            for (int j = 0; j < n; j++)
            {
                var lines = p.Locations[buf[j].Index].Lines;
                var parts = new List<string>();
                for (int k = lines.Length - 1; k >= 0; k--) parts.Add(p.Functions[lines[k].Function.Index].Name);
                names.Add(string.Join("+", parts));
            }
            var key = string.Join(";", names);
            agg[key] = agg.GetValueOrDefault(key) + p.SampleValue(i, 0);
        }
        return string.Join("|", agg.Select(kv => $"{kv.Key} {kv.Value}"));
    }

    private static readonly string[] s_input = ["main;a;b 1", "main;a;c 2", "main;d;b 4", "main;e+f;g 8"];

    public static TheoryData<string, string, string, bool, string> Cases() => new()
    {
        // name, filter, expression, matched, expected folded
        { "focus keeps samples through a match", "focus", "^a$", true, "main;a;b 1|main;a;c 2" },
        { "focus is unanchored", "focus", "b", true, "main;a;b 1|main;d;b 4" },
        { "focus matches inlined lines", "focus", "^f$", true, "main;e+f;g 8" },
        { "focus matches file names", "focus", "util\\.go", true, "main;x 3" },
        { "focus with no match drops everything", "focus", "zzz", false, "" },
        { "ignore drops samples through a match", "ignore", "^b$", true, "main;a;c 2|main;e+f;g 8" },
        { "hide removes frames", "hide", "^a$", true, "main;b 1|main;c 2|main;d;b 4|main;e+f;g 8" },
        { "hide removes one inlined line", "hide", "^f$", true, "main;a;b 1|main;a;c 2|main;d;b 4|main;e;g 8" },
        { "hide of every frame drops the sample", "hide", ".", true, "" },
        { "show keeps only matching frames", "show", "^(main|b)$", true, "main 10|main;b 5" },
        { "show_from cuts callers of the root-most match", "show_from", "^(a|b)$", true, "a;b 1|a;c 2|b 4" },
        { "show_from drops samples without a match", "show_from", "^g$", true, "g 8" },
        { "prune_from cuts callees of the leaf-most match", "prune_from", "^(a|d)$", true, "main;a 3|main;d 4|main;e+f;g 8" },
        { "prune_from on an inlined line trims the location", "prune_from", "^e$", true, "main;a;b 1|main;a;c 2|main;d;b 4|main;e 8" },
        { "prune_from without match keeps all", "prune_from", "zzz", false, "main;a;b 1|main;a;c 2|main;d;b 4|main;e+f;g 8" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void NameFilters(string name, string filter, string expr, bool matched, string expected)
    {
        var input = name.Contains("file names", StringComparison.Ordinal) ? Build([.. s_input, "main;x@util.go 3"]) : Build(s_input);
        var re = new Regex(expr);
        var r = filter switch
        {
            "focus" => ProfileTransforms.Focus(input, re),
            "ignore" => ProfileTransforms.Ignore(input, re),
            "hide" => ProfileTransforms.Hide(input, re),
            "show" => ProfileTransforms.Show(input, re),
            "show_from" => ProfileTransforms.ShowFrom(input, re),
            "prune_from" => ProfileTransforms.PruneFrom(input, re),
            _ => throw new ArgumentException(filter),
        };
        Assert.Equal(expected, Folded(r.Profile));
        Assert.Equal(matched, r.Matched);
        Assert.Equal(Folded(Build(s_input)), Folded(Build(s_input))); // input untouched (pure)
    }

    [Fact]
    public void ChainAppliesPprofOrderWhateverTheFlags()
    {
        var p = Build(s_input);
        var warnings = new List<string>();
        var chain = new FilterChain { Hide = new Regex("^main$"), Focus = new Regex("^b$"), Ignore = new Regex("zzz") };
        var r = chain.Apply(p, warnings.Add);
        Assert.Equal("a;b 1|d;b 4", Folded(r));
        Assert.Equal(["Ignore expression matched no samples"], warnings);
    }

    // A label value "#N" or "#N:unit" is numeric.
    private static Label NewLabel(string key, string value)
    {
        if (!value.StartsWith('#')) return new Label(key, value);
        var parts = value[1..].Split(':');
        return new Label(key, null, long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), parts.Length > 1 ? parts[1] : null);
    }

    [Fact]
    public void TagFocusAndIgnore()
    {
        var p = Build("main;a{worker=1} 1", "main;b{worker=2} 2", "main;c{worker=2,req=x} 4", "main;d 8");
        // "worker=2" would be a numeric range, as in pprof; a string label needs an expression.
        Assert.Equal("main;b 2|main;c 4", Folded(ProfileTransforms.TagFocus(p, TagFilter.Parse("worker=^2$")).Profile));
        Assert.Equal("main;a 1|main;d 8", Folded(ProfileTransforms.TagIgnore(p, TagFilter.Parse("worker=^2$")).Profile));
        Assert.False(ProfileTransforms.TagFocus(p, TagFilter.Parse("worker=2")).Matched);
        Assert.Equal("main;c 4", Folded(ProfileTransforms.TagFocus(p, TagFilter.Parse("worker:2,req:x")).Profile));
        Assert.False(ProfileTransforms.TagFocus(p, TagFilter.Parse("worker=^9$")).Matched);
    }

    [Fact]
    public void NumericTagRanges()
    {
        var p = Build("main;a{size=#512:bytes} 1", "main;b{size=#2048:bytes} 2", "main;c{size=#1048576:bytes,n=#3} 4", "main;d{worker=x} 8", "main;e{request=#4096} 16");
        string Focus(string f) => Folded(ProfileTransforms.TagFocus(p, TagFilter.Parse(f)).Profile);
        Assert.True(TagFilter.Parse("size=1kb:64kb").IsRange);
        Assert.Equal("main;b 2", Focus("size=1kb:64kb"));
        Assert.Equal("main;a 1|main;b 2", Focus("size=:2kb"));
        Assert.Equal("main;c 4", Focus("size=1mb:"));
        Assert.Equal("main;b 2", Focus("size=2kb"));
        Assert.Equal("main;b 2|main;c 4|main;e 16", Focus("1kb:"));        // any key; "request" is in bytes, as pprof assumes
        Assert.Equal("main;c 4", Focus("n=3"));                          // unitless: the key is the unit
        Assert.Equal("main;a 1|main;d 8|main;e 16", Folded(ProfileTransforms.TagIgnore(p, TagFilter.Parse("size=1kb:2mb")).Profile));
        Assert.False(TagFilter.Parse("size=1kb:x").IsRange);             // not a range: a regular expression
        Assert.False(TagFilter.Parse("main").IsRange);
        Assert.False(TagFilter.Parse("1kb:10ms").IsRange);               // ends in different kinds of unit
    }

    [Fact]
    public void InvertMaxDepthTrimPath()
    {
        var p = Build(s_input);
        Assert.Equal("b;a;main 1|b;d;main 4|c;a;main 2|g;f+e;main 8", Folded(ProfileTransforms.Invert(p)));
        Assert.Equal("main;a 3|main;d 4|main;e+f 8", Folded(ProfileTransforms.MaxDepth(p, 2)));
        var q = ProfileTransforms.TrimPath(Build("main;x@/src/app/util.go 3"), "/src/");
        Assert.Contains(q.Functions.ToArray(), f => f.File == "app/util.go");
        Assert.DoesNotContain(q.Functions.ToArray(), f => f.File.StartsWith("/src/", StringComparison.Ordinal)); // no stale copies
        Assert.Equal(3, q.Total(0));
    }

    [Fact]
    public void MergeAddsIdenticalStacksAndRejectsOtherTypes()
    {
        var m = ProfileTransforms.Merge([Build("main;a 1", "main;b 2"), Build("main;a 10")]);
        Assert.Equal("main;a 11|main;b 2", Folded(m));
        Assert.Equal(2, m.SampleCount);
        var other = new ProfileBuilder([new SampleType("cpu", "nanoseconds")]).Build();
        var e = Assert.Throws<ArgumentException>(() => ProfileTransforms.Merge([Build("main 1"), other]));
        Assert.Contains("different sample types", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BaseSubtractsAndDiffHasTwoColumns()
    {
        var older = Build("main;a 5", "main;b 2");
        var newer = Build("main;a 3", "main;c 4");
        Assert.Equal("main;a -2|main;b -2|main;c 4", Folded(ProfileTransforms.Base(newer, older)));
        var d = ProfileTransforms.Diff(older, newer, 0, 0);
        Assert.Equal(["before", "after"], d.SampleTypes.Select(t => t.Type));
        Assert.Equal(7, d.Total(0));
        Assert.Equal(7, d.Total(1));
        var n = ProfileTransforms.Diff(Build("main;a 1"), Build("main;a 10"), 0, 0, normalize: true);
        Assert.Equal(10, n.Total(0));
    }

    [Fact]
    public void TopOrdersByFlatThenName()
    {
        var r = TopReport.Create(Build("main;b 2", "main;a 2", "main;c 5", "main 1"), new TopOptions { NodeFraction = 0 });
        Assert.Equal(["c", "a", "b", "main"], r.Rows.Select(x => x.Name));
        Assert.Equal(10, r.Rows[^1].Cum);
        var w = new StringWriter();
        r.WriteText(w);
        Assert.Contains("         5 50.00% 50.00%          5 50.00%  c\n", w.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(10_000_000L, "nanoseconds", "auto", "10ms")]
    [InlineData(1536L, "bytes", "auto", "1.50kB")]
    [InlineData(0L, "bytes", "auto", "0")]
    [InlineData(-2_500_000_000L, "nanoseconds", "s", "-2.50s")]
    [InlineData(42L, "count", "count", "42")]
    public void Measurement(long v, string from, string to, string expected) =>
        Assert.Equal(expected, PprofMeasurement.ScaledLabel(v, from, to));

    [Theory]
    [InlineData(1, 2, "50.00%")]
    [InlineData(1, 1, "  100%")]
    [InlineData(1, 3, "33.33%")]
    [InlineData(1, 300, " 0.33%")]
    [InlineData(1, 100000000, "1e-06%")]
    [InlineData(999, 1000, "99.90%")]
    [InlineData(0, 0, "    0%")]
    public void Percentage(long v, long total, string expected)
    {
        // pprof: "%5.2f%%" from 1%; "%5.2g%%" below; "  100%" within 0.05 of 100.
        Assert.Equal(expected, PprofMeasurement.Percentage(v, total));
    }
}

/// <summary>The fused chain equals the filters applied one after another in pprof's order.</summary>
public class FusedChainTests
{
    private static readonly string[] s_input =
    [
        "main;a;b 1", "main;a;c 2", "main;d;b 4", "main;e+f;g 8", "main;a;e+f;b;c 16", "main;h+a+d;c 32", "x;y{k=v} 64", "main;b;a;b 128",
    ];

    public static TheoryData<string?, string?, string?, string?, string?, string?> Combos() => new()
    {
        // focus, ignore, hide, show, show_from, prune_from
        { "a", null, null, null, null, null },
        { null, "c", null, null, null, null },
        { null, null, "^a$", null, null, null },
        { null, null, "f", null, null, null },
        { null, null, null, "^(main|b|e)$", null, null },
        { null, null, null, null, "^(a|b)$", null },
        { null, null, null, null, "^f$", null },
        { null, null, null, null, null, "^(a|d)$" },
        { null, null, null, null, null, "^e$" },
        { "b", "c", "^main$", null, "a", "^b$" },
        { "main", null, "^a$", "^(main|b|c|d|e|f)$", "e|d", "^d$" },
        { null, null, ".", null, null, null },
        { "zzz", null, null, null, null, null },
        { null, null, "a", null, null, "h" },
    };

    [Theory]
    [MemberData(nameof(Combos))]
    public void FusedEqualsSequential(string? focus, string? ignore, string? hide, string? show, string? showFrom, string? pruneFrom)
    {
        static Regex? R(string? s) => s is null ? null : new Regex(s);
        var p = FilterTests.Build(s_input);
        var seq = p;
        var seqWarn = new List<string>();
        void Step(Regex? re, Func<Profile, Regex, TransformResult> f, string what)
        {
            if (re is null) return;
            var r = f(seq, re);
            if (!r.Matched) seqWarn.Add(what + " expression matched no samples");
            seq = r.Profile;
        }
        Step(R(focus), ProfileTransforms.Focus, "Focus");
        Step(R(ignore), ProfileTransforms.Ignore, "Ignore");
        Step(R(hide), ProfileTransforms.Hide, "Hide");
        Step(R(show), ProfileTransforms.Show, "Show");
        Step(R(showFrom), ProfileTransforms.ShowFrom, "ShowFrom");
        if (pruneFrom is not null) seq = ProfileTransforms.PruneFrom(seq, new Regex(pruneFrom)).Profile;

        var warn = new List<string>();
        var fused = new FilterChain { Focus = R(focus), Ignore = R(ignore), Hide = R(hide), Show = R(show), ShowFrom = R(showFrom), PruneFrom = R(pruneFrom) }.Apply(p, warn.Add);
        Assert.Equal(FilterTests.Folded(seq), FilterTests.Folded(fused));
        Assert.Equal(seqWarn, warn);
    }

    /// <summary>
    /// Tag filters with name filters: with hide the fused copy interns through its node pass; without, it copies
    /// the kept sub-trie. Both equal the filters one by one, including the trie's size (no duplicated nodes).
    /// </summary>
    [Theory]
    [InlineData("main", null, "k=v")]
    [InlineData("main", "^a$", "k=v")]
    [InlineData(null, "^main$", "k=w")]
    [InlineData("b", null, null)]
    public void TagAndNameFiltersFusedEqualSequential(string? focus, string? hide, string? tagIgnore)
    {
        string[] input = [.. s_input, "main;a;b{k=w} 256", "main;d;c{k=v} 512"];
        var p = FilterTests.Build(input);
        var tagFocus = TagFilter.Parse("k=v|w");
        var seq = ProfileTransforms.TagFocus(p, tagFocus).Profile;
        if (focus is not null) seq = ProfileTransforms.Focus(seq, new Regex(focus)).Profile;
        if (hide is not null) seq = ProfileTransforms.Hide(seq, new Regex(hide)).Profile;
        if (tagIgnore is not null) seq = ProfileTransforms.TagIgnore(seq, TagFilter.Parse(tagIgnore)).Profile;
        var fused = new FilterChain
        {
            Focus = focus is null ? null : new Regex(focus),
            Hide = hide is null ? null : new Regex(hide),
            TagFocus = tagFocus,
            TagIgnore = tagIgnore is null ? null : TagFilter.Parse(tagIgnore),
        }.Apply(p);
        Assert.NotEqual(0, fused.SampleCount);
        Assert.Equal(FilterTests.Folded(seq), FilterTests.Folded(fused));
        Assert.Equal(seq.SampleCount, fused.SampleCount);
        Assert.Equal(seq.StackCount, fused.StackCount);
    }
}
