namespace FlameKit.Tests.Model;

public class StackInterningTests
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void ManyStacksInternToTheSameNodesAndWalkBack(bool presize, bool firstChildIndex)
    {
        // firstChildIndex: first children in an array, later ones in the table of node ids (grown many times here).
        var b = new ProfileBuilder([new SampleType("samples", "count")]) { FirstChildIndex = firstChildIndex };
        if (presize) b.EnsureStackCapacity(100_000);
        var locs = Enumerable.Range(0, 500).Select(i => b.AddFrame("f" + i)).ToArray();
        var rng = new Random(7);
        var paths = new List<LocationId[]>();
        var ids = new List<StackId>();
        for (int i = 0; i < 4000; i++)
        {
            // Shared roots (a few callers with many callees), then a random tail: both table kinds get used.
            var path = new LocationId[rng.Next(1, 40)];
            for (int j = 0; j < path.Length; j++) path[j] = locs[j < 2 ? rng.Next(3) : rng.Next(locs.Length)];
            paths.Add(path);
            ids.Add(b.StackFromRootFirst(path));
        }
        for (int i = 0; i < paths.Count; i++) Assert.Equal(ids[i], b.StackFromRootFirst(paths[i]));
        foreach (var id in ids) b.AddSample(id, [1]);
        var p = b.Build();
        Assert.True(p.StackCount > 4096 * 2, $"only {p.StackCount} nodes");
        // Interned: no two nodes are the same (parent, location).
        var seen = new HashSet<(int, int)>();
        for (int s = 1; s < p.StackCount; s++) Assert.True(seen.Add((p.StackParent(new StackId(s)).Index, p.StackLocation(new StackId(s)).Index)));
        var buf = new LocationId[64];
        for (int i = 0; i < paths.Count; i++)
        {
            int n = p.CopyStackRootFirst(p.SampleStack(i), buf);
            Assert.Equal(paths[i], buf[..n]);
        }
    }
}
