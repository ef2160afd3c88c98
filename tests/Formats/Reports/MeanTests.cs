using FlameKit.Reports;

namespace FlameKit.Tests.Reports;

/// <summary>
/// pprof's <c>-mean</c> in the report model: sums divided by the counts (the first sample type) of the same
/// samples when shown, with Go's truncating division and the raw sum where the count is 0.
/// </summary>
public class MeanTests
{
    private static Profile Contention()
    {
        var b = new ProfileBuilder([new SampleType("contentions", "count"), new SampleType("delay", "nanoseconds")]);
        var main = Loc(b, "main", 0x1000);
        var s = (string name, ulong addr) => b.Push(b.Push(StackId.Empty, main), Loc(b, name, addr));
        var a = s("a", 0x2000);
        b.AddSample(a, [2, 10]);
        b.AddSample(a, [1, 5]);
        b.AddSample(s("b", 0x3000), [3, 9]);
        b.AddSample(s("c", 0x4000), [0, 7]);   // no count: c's values stay raw sums
        b.AddSample(s("d", 0x5000), [4, 0]);   // count, no delay: d is not shown, but main's count includes it
        return b.Build();

        static LocationId Loc(ProfileBuilder b, string name, ulong addr) =>
            b.AddLocation(addr, MappingId.None, [new Line(b.AddFunction(name, "", "main.go"), 1)]);
    }

    [Fact]
    public void TopDividesEachNodeByItsOwnCountAndOrdersByRawSums()
    {
        var r = TopReport.Create(Contention(), new TopOptions { SampleType = 1, NodeFraction = 0, Mean = true });
        // Raw flat order: a 15, b 9, c 7; shown: 15/3, 9/3, 7 (count 0); main: 31 over 2+1+3+0+4.
        Assert.Equal(["a", "b", "c", "main"], r.Rows.Select(x => x.Name));
        Assert.Equal([5L, 3, 7, 0], r.Rows.Select(x => x.Flat));
        Assert.Equal(3, r.Rows[^1].Cum);
        Assert.Equal(3, r.Total);
        Assert.Contains("Type: mean_delay", r.HeaderLines(), StringComparer.Ordinal);
    }

    [Fact]
    public void WithoutMeanTheSumsAreShown()
    {
        var r = TopReport.Create(Contention(), new TopOptions { SampleType = 1, NodeFraction = 0 });
        Assert.Equal([15L, 9, 7, 0], r.Rows.Select(x => x.Flat));
        Assert.Equal(31, r.Total);
        Assert.Contains("Type: delay", r.HeaderLines(), StringComparer.Ordinal);
    }

    [Fact]
    public void TreeKeepsRawEdgeValues()
    {
        var r = TreeReport.Create(Contention(), new TreeOptions { SampleType = 1, NodeFraction = 0, EdgeFraction = 0, NodeCount = 0, Mean = true });
        var main = r.Nodes.Single(n => n.Name == "main");
        Assert.Equal(3, main.Cum);
        // As pprof: edges are raw sums; d's zero-delay edge stays though d itself is not shown.
        Assert.Equal([("a", 15L), ("b", 9L), ("c", 7L), ("d", 0L)], main.Callees.Select(e => (e.Name, e.Value)));
        Assert.DoesNotContain(r.Nodes, n => n.Name == "d");
    }

    [Fact]
    public void TracesDivideEachSample()
    {
        var w = new StringWriter();
        TracesReport.WriteText(Contention(), 1, w, mean: true);
        string text = w.ToString();
        Assert.Contains("       5ns   a\n", text, StringComparison.Ordinal);   // 10/2
        Assert.Contains("       7ns   c\n", text, StringComparison.Ordinal);   // count 0: raw
    }
}
