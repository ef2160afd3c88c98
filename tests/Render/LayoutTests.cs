using FlameKit.Rendering;

namespace FlameKit.Tests.Render;

public class LayoutTests
{
    private static FlameGraphLayout Layout(string folded, LayoutOptions? options = null) =>
        FlameGraphLayout.Compute(FoldedTestInput.Parse(folded), options);

    private static string Describe(FlameGraphLayout l)
    {
        var lines = new List<string>();
        for (int i = 0; i < l.Frames.Length; i++)
        {
            var f = l.Frames[i];
            lines.Add($"{new string(' ', f.Depth)}{(f.Depth == 0 ? "all" : l.Name(i))} [{f.Start},{f.Start + f.Width}) self={f.Self}");
        }
        return string.Join("\n", lines);
    }

    [Fact]
    public void MergesByNameAndOrdersAlphabeticallyWithSelfFirst()
    {
        var l = Layout("main;b 20\nmain;a;x 10\nmain 5\nmain;a 3\nother 2\n");
        Assert.Equal(40, l.Total);
        Assert.Equal(3, l.MaxDepth);
        Assert.Equal("""
            all [0,40) self=0
             main [0,38) self=5
              a [5,18) self=3
               x [8,18) self=10
              b [18,38) self=20
             other [38,40) self=2
            """.Replace("\r", ""), Describe(l));
    }

    [Fact]
    public void SiblingOrderComparesNamePlusSemicolon()
    {
        // flamegraph.pl sorts lines "r;a;z" < "r;a b" ... bytewise: "a;" vs "a b" puts ' ' (0x20) before ';' (0x3B).
        Assert.True(FlameGraphLayout.CompareFoldedOrder("a", "ab") < 0);
        Assert.True(FlameGraphLayout.CompareFoldedOrder("a b", "a") < 0);
        Assert.True(FlameGraphLayout.CompareFoldedOrder("a", "a<") < 0);
        Assert.True(FlameGraphLayout.CompareFoldedOrder("B", "a") < 0);
        var l = Layout("r;a 1\nr;a b 1\nr;ab 1\n");
        Assert.Equal(["a b", "a", "ab"], Enumerable.Range(2, 3).Select(l.Name));
    }

    [Fact]
    public void ReverseMakesLeavesRoots()
    {
        var l = Layout("main;a;x 10\nmain;b;x 5\nmain;b 1\n", new LayoutOptions { Reverse = true });
        Assert.Equal("""
            all [0,16) self=0
             b [0,1) self=0
              main [0,1) self=1
             x [1,16) self=0
              a [1,11) self=0
               main [1,11) self=10
              b [11,16) self=0
               main [11,16) self=5
            """.Replace("\r", ""), Describe(l));
    }

    [Fact]
    public void TimeOrderMergesOnlyConsecutiveSamples()
    {
        var l = Layout("main;a 1\nmain;a 2\nmain;b 1\nmain;a 4\n", new LayoutOptions { Order = FrameOrder.Time });
        Assert.Equal("""
            all [0,8) self=0
             main [0,8) self=0
              a [0,3) self=3
              b [3,4) self=1
              a [4,8) self=4
            """.Replace("\r", ""), Describe(l));
    }

    [Fact]
    public void TimeOrderUsesTimestampsWhenPresent()
    {
        var b = new ProfileBuilder([new SampleType("samples", "count")]);
        var x = b.Push(StackId.Empty, b.AddFrame("x"));
        var y = b.Push(StackId.Empty, b.AddFrame("y"));
        b.AddSample(x, [1], 30, ThreadIndex.None);
        b.AddSample(y, [1], 10, ThreadIndex.None);
        b.AddSample(x, [1], 20, ThreadIndex.None);
        var l = FlameGraphLayout.Compute(b.Build(), new LayoutOptions { Order = FrameOrder.Time });
        Assert.Equal(["y", "x"], Enumerable.Range(1, l.Frames.Length - 1).Select(l.Name));
        Assert.Equal(2, l.Frames[2].Width);
    }

    [Fact]
    public void MinWidthDropsNarrowFramesWithTheirChildren()
    {
        var l = Layout("main;big 990\nmain;small;deeper 9\nmain;tiny 1\n", new LayoutOptions { MinWidthFraction = 0.01 });
        Assert.Equal(["", "main", "big"], Enumerable.Range(0, l.Frames.Length).Select(l.Name));
        Assert.Equal(1, l.MaxDepth + 0 - 1);
        // Positions still account for the dropped siblings.
        Assert.Equal(0, l.Frames[2].Start);
    }

    [Fact]
    public void DifferentialUsesAfterForWidthsAndDeltas()
    {
        var l = Layout("main;a 10 30\nmain;b 20 5\nmain 1 1\n");
        Assert.True(l.IsDifferential);
        Assert.Equal(36, l.Total);
        Assert.Equal(20, l.MaxDelta);
        var main = l.Frames[1];
        Assert.Equal(36, main.Width);
        Assert.Equal(36 - 31, main.Delta);
        Assert.Equal(0, main.SelfDelta);
        Assert.Equal(("a", 20L), (l.Name(2), l.Frames[2].SelfDelta));
        Assert.Equal(("b", -15L), (l.Name(3), l.Frames[3].SelfDelta));
        Assert.False(Layout("main;a 10 30\n", new LayoutOptions { Differential = false }).IsDifferential);
    }

    [Fact]
    public void FractionalValuesStayScaled()
    {
        var l = Layout("main;a 1.5\nmain 0.25\n");
        Assert.Equal(2, l.SampleType.DecimalPlaces);
        Assert.Equal(175, l.Total);
    }

    [Fact]
    public void EmptyProfileHasNoFrames()
    {
        var l = Layout("");
        Assert.Equal(0, l.Total);
        Assert.Equal(0, l.Frames.Length);
    }
}
