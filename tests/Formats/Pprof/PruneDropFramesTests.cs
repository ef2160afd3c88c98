using FlameKit.Transforms;

namespace FlameKit.Tests.Pprof;

public class PruneDropFramesTests
{
    /// <summary>
    /// Builds a profile from folded-like lines ("a;b;c 3"). A frame written <c>x+y</c> is one location with
    /// inlined lines: <c>y</c> inlined into <c>x</c> (root-first, so <c>x</c> is the outer caller).
    /// </summary>
    private static Profile Build(string drop, string keep, params string[] lines)
    {
        var b = new ProfileBuilder([new SampleType("samples", "count")]) { DropFrames = drop, KeepFrames = keep };
        foreach (var line in lines)
        {
            int sp = line.LastIndexOf(' ');
            var s = StackId.Empty;
            foreach (var frame in line[..sp].Split(';'))
            {
                var parts = frame.Split('+');
                LocationId loc;
                if (parts.Length == 1) loc = b.AddFrame(frame);
                else
                {
                    // Model order is innermost first: reverse the root-first parts.
                    var ls = parts.Reverse().Select(n => new Line(b.AddFunction(n), 0)).ToArray();
                    loc = b.AddLocation(0x1000 + (ulong)frame.Length, MappingId.None, ls);
                }
                s = b.Push(s, loc);
            }
            b.AddSample(s, [long.Parse(line[(sp + 1)..])]);
        }
        return b.Build();
    }

    private static string Folded(Profile p)
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
                for (int k = lines.Length - 1; k >= 0; k--) names.Add(p.Functions[lines[k].Function.Index].Name);
            }
            var key = string.Join(";", names);
            agg[key] = agg.GetValueOrDefault(key) + p.SampleValue(i, 0);
        }
        return string.Join("\n", agg.Select(kv => $"{kv.Key} {kv.Value}"));
    }

    public static TheoryData<string, string, string, string, string> Cases() => new()
    {
        // name, drop, keep, input lines (| separated), expected folded (| separated)
        { "drops the match and its callees", "b", "", "a;b;c 1|a;d 2", "a 1|a;d 2" },
        { "never prunes before the first user frame", "a", "", "a;b;c 1", "a;b;c 1" },
        { "matches before the first user frame are skipped", "a|b", "", "a;b;c;b;d 1", "a;b;c 1" },
        { "keep_frames excludes matches", "b.*", "bx", "a;bx;by;c 1", "a;bx 1" },
        { "anchored: a partial name does not match", "b", "", "a;bb;c 1", "a;bb;c 1" },
        { "names are cut at the first parenthesis", "pkg\\.", "", "main;pkg.(*T).M;leaf 4", "main 4" },
        { "argument lists are ignored", "pkg\\.F", "", "main;pkg.F(int, string);leaf 4", "main 4" },
        { "anonymous namespaces are not cut", "ns::\\(anonymous namespace\\)::f", "", "main;ns::(anonymous namespace)::f;leaf 1", "main 1" },
        { "a leading dot is ignored", "f", "", "main;.f;g 1", "main 1" },
        { "samples that become equal add up", "c|d", "", "a;b;c 1|a;b;d 2|a;b 3", "a;b 6" },
        { "outermost inlined line matching prunes the location", "x", "", "a;x+y;c 1", "a 1" },
        { "inner inlined line matching trims the location", "y", "", "a;x+y+z;c 1", "a;x 1" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void PrunesLikePprof(string name, string drop, string keep, string input, string expected)
    {
        _ = name;
        var p = Build(drop, keep, input.Split('|'));
        var q = ProfileTransforms.PruneDropFrames(p);
        Assert.Equal(expected.Replace('|', '\n'), Folded(q));
        Assert.Equal("", q.DropFrames);
        Assert.Equal(p.Total(0), q.Total(0));
        Assert.Equal(p.SampleCount, q.SampleCount);
    }

    [Fact]
    public void WithoutDropFramesTheSameInstanceIsReturned()
    {
        var p = Build("", "", "a;b 1");
        Assert.Same(p, ProfileTransforms.PruneDropFrames(p));
    }

    [Fact]
    public void LabelsThreadsAndMetadataAreKept()
    {
        var b = new ProfileBuilder([new SampleType("samples", "count"), new SampleType("cpu", "nanoseconds")]) { DropFrames = "b", Period = 10, TimeNanos = 5 };
        b.DefaultSampleType = "samples";
        b.Comments.Add("c1");
        var t = b.AddThread(new ThreadInfo(3, "main"));
        var s = b.StackFromRootFirst([b.AddFrame("a"), b.AddFrame("b")]);
        b.AddSample(s, [1, 10], 1000, t, b.AddLabelSet([new Label("k", "v")]));
        var q = ProfileTransforms.PruneDropFrames(b.Build());
        Assert.Equal("a 1", Folded(q));
        Assert.Equal("k=v", q.Labels(q.SampleLabels(0))[0].ToString());
        Assert.Equal(1000, q.SampleTimestamp(0));
        Assert.Equal("main", q.Threads[q.SampleThread(0).Index].Name);
        Assert.Equal(0, q.DefaultSampleTypeIndex);
        Assert.Equal(10, q.Period);
        Assert.Equal(["c1"], q.Comments);
        Assert.Equal(10, q.Total(1));
    }

    [Fact]
    public void InvalidExpressionIsAnArgumentError()
    {
        var p = Build("(", "", "a 1");
        var e = Assert.Throws<ArgumentException>(() => ProfileTransforms.PruneDropFrames(p));
        Assert.Contains("drop_frames", e.Message);
    }
}
