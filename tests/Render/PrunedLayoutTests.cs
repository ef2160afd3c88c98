using FlameKit.Formats;
using FlameKit.Rendering;

namespace FlameKit.Tests.Render;

[CollectionDefinition("layout-switch", DisableParallelization = true)]
public class LayoutSwitchCollection { }

/// <summary>The top-down pruned tree gives exactly the frames of the full name merge followed by pruning.</summary>
[Collection("layout-switch")]
public class PrunedLayoutTests
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var f in Fixtures.All("pprof", "*.pb.gz"))
            foreach (var w in new[] { "0.1", "1%" }) data.Add(f, w);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SameFramesAsFullMerge(string fixture, string minWidth)
    {
        using var f = File.OpenRead(Fixtures.Path(fixture));
        var profile = ProfileFormats.Read(f).Profile;
        var options = FlameGraph.ToLayoutOptions(new FlameGraphOptions { MinWidth = minWidth });
        string Dump(FlameGraphLayout l) => string.Join("\n", Enumerable.Range(0, l.Frames.Length)
            .Select(i => $"{l.Frames[i].Depth} {l.Frames[i].Start} {l.Frames[i].Width} {l.Name(i)}"));
        FlameGraphLayout full;
        try
        {
            FlameGraphLayout.UsePrunedBuild = false;
            full = FlameGraphLayout.Compute(profile, options);
        }
        finally { FlameGraphLayout.UsePrunedBuild = true; }
        var pruned = FlameGraphLayout.Compute(profile, options);
        Assert.Equal(Dump(full), Dump(pruned));
    }
}
