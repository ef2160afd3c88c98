using System.Text.RegularExpressions;
using FlameKit.Formats;
using FlameKit.Transforms;

namespace FlameKit.Tests.Model;

/// <summary>
/// <see cref="ProfileBuilder.AppendStackNode"/> (no interning) and the copies built on it (the copier's sub-trie
/// copy, the first-child-indexed invert) against the same profiles interned through <see cref="ProfileBuilder.Push"/>.
/// </summary>
public class AppendStackNodeTests
{
    public static TheoryData<string> Profiles() => new()
    {
        "pprof/cpuwork.cpu.pb.gz", "pprof/http.heap.pb.gz", "pprof/deepcpu.cpu.pb.gz", "pprof/blocking.mutex.pb.gz",
        "folded/edge-deep-recursion.folded", "folded/node-workload.collapsed-all.folded", "chrome/trace-samples.json",
    };

    private static Profile Read(string fixture)
    {
        using var fs = File.OpenRead(Fixtures.Path(fixture));
        return ProfileFormats.Read(fs).Profile;
    }

    private static ProfileBuilder CopyTables(Profile p)
    {
        var b = new ProfileBuilder(p.SampleTypes);
        for (int i = 1; i < p.Mappings.Length; i++) b.AddMapping(p.Mappings[i]);
        foreach (var f in p.Functions) b.AddFunction(f.Name, f.SystemName, f.File, f.StartLine);
        foreach (var l in p.Locations) b.AddLocation(l.Address, l.Mapping, l.Lines, l.IsFolded);
        return b;
    }

    private static List<LocationId[]> Stacks(Profile p, bool leafFirst = false)
    {
        var result = new List<LocationId[]>();
        for (int i = 0; i < p.SampleCount; i++)
        {
            var s = p.SampleStack(i);
            var buf = new LocationId[p.StackDepth(s)];
            if (leafFirst) p.CopyStackLeafFirst(s, buf); else p.CopyStackRootFirst(s, buf);
            result.Add(buf);
        }
        return result;
    }

    /// <summary>Appending every node in order rebuilds the trie node for node; pushing the stacks gives the same stacks and node count.</summary>
    [Theory]
    [MemberData(nameof(Profiles))]
    public void AppendedTrieEqualsPushedTrie(string fixture)
    {
        var p = Read(fixture);
        Assert.True(p.SampleCount > 0);
        var appended = CopyTables(p);
        var pushed = CopyTables(p);
        for (int n = 1; n < p.StackCount; n++)
        {
            var node = new StackId(n);
            Assert.Equal(node, appended.AppendStackNode(p.StackParent(node), p.StackLocation(node)));
        }
        var stacks = Stacks(p);
        for (int i = 0; i < p.SampleCount; i++)
        {
            appended.AddSample(p.SampleStack(i), p.SampleValues(i));
            pushed.AddSample(pushed.StackFromRootFirst(stacks[i]), p.SampleValues(i));
        }
        var a = appended.Build();
        var q = pushed.Build();
        Assert.Equal(q.StackCount, a.StackCount);
        Assert.Equal(p.StackCount, a.StackCount);
        Assert.Equal(stacks, Stacks(a));
        Assert.Equal(stacks, Stacks(q));
        for (int n = 0; n < a.StackCount; n++) Assert.Equal(p.StackDepth(new StackId(n)), a.StackDepth(new StackId(n)));
    }

    /// <summary>
    /// Transforms that only drop samples copy the used sub-trie without interning: the same stacks and exactly the
    /// node count that interning the kept stacks gives (a duplicated or missing node would change it).
    /// </summary>
    [Theory]
    [MemberData(nameof(Profiles))]
    public void SubTrieCopyEqualsInterningTheKeptStacks(string fixture)
    {
        var p = Read(fixture);
        // Keep about half of the samples, by a function name that occurs in some stacks but not all.
        var names = p.Functions.ToArray().Select(f => f.Name).Where(n => n.Length > 0).Distinct().OrderBy(n => n, StringComparer.Ordinal).ToList();
        var stacks = Stacks(p);
        int partial = 0;
        foreach (var name in names.Where((_, i) => i % Math.Max(1, names.Count / 5) == 0).Take(5))
        {
            // The fused chain with focus alone copies through the sub-trie path.
            var focused = new FilterChain { Focus = new Regex("^" + Regex.Escape(name) + "$") }.Apply(p);
            var reference = CopyTables(p);
            int kept = 0;
            for (int i = 0; i < p.SampleCount; i++)
            {
                bool hit = stacks[i].Any(l => p.Locations[l.Index].Lines.ToArray().Any(ln => p.Functions[ln.Function.Index].Name == name));
                if (!hit) continue;
                kept++;
                reference.AddSample(reference.StackFromRootFirst(stacks[i]), p.SampleValues(i));
            }
            var r = reference.Build();
            Assert.Equal(kept, focused.SampleCount);
            Assert.Equal(r.StackCount, focused.StackCount);
            Assert.Equal(Stacks(r), Stacks(focused));
            Assert.True(focused.StackCount <= p.StackCount);
            if (kept > 0 && kept < p.SampleCount) partial++;
        }
        Assert.True(partial > 0, "no focus kept only part of the samples");
    }

    /// <summary>Invert (first-child index, presized) equals pushing each sample's stack leaf first into a plain builder.</summary>
    [Theory]
    [MemberData(nameof(Profiles))]
    public void InvertEqualsPushingLeafFirst(string fixture)
    {
        var p = Read(fixture);
        var inv = ProfileTransforms.Invert(p);
        var reference = CopyTables(p);
        var stacks = Stacks(p);
        for (int i = 0; i < p.SampleCount; i++) reference.AddSample(reference.StackFromLeafFirst(stacks[i]), p.SampleValues(i));
        var r = reference.Build();
        Assert.Equal(p.SampleCount, inv.SampleCount);
        Assert.Equal(r.StackCount, inv.StackCount);
        // Same location sequences up to the lines of inlined locations, which invert reverses in new locations.
        var expected = Stacks(r).Select(s => s.Select(l => LineKey(p, l)).ToArray()).ToList();
        var actual = Stacks(inv).Select(s => s.Select(l => LineKey(inv, l, reversed: true)).ToArray()).ToList();
        Assert.Equal(expected, actual);
    }

    private static string LineKey(Profile p, LocationId l, bool reversed = false)
    {
        var loc = p.Locations[l.Index];
        var lines = loc.Lines.ToArray();
        if (reversed) Array.Reverse(lines);
        return $"{loc.Address:x}:{loc.Mapping.Index}:" + string.Join(",", lines.Select(ln => p.Functions[ln.Function.Index].Name + ":" + ln.Number));
    }

    [Fact]
    public void PushAndAppendDoNotMix()
    {
        var b = new ProfileBuilder([new SampleType("samples", "count")]);
        var f = b.AddFrame("f");
        var s = b.AppendStackNode(StackId.Empty, f);
        Assert.Equal(1, s.Index);
        Assert.Throws<InvalidOperationException>(() => b.Push(s, f));
        Assert.Throws<ArgumentOutOfRangeException>(() => b.AppendStackNode(new StackId(5), f));

        var c = new ProfileBuilder([new SampleType("samples", "count")]);
        var g = c.AddFrame("g");
        c.Push(StackId.Empty, g);
        Assert.Throws<InvalidOperationException>(() => c.AppendStackNode(StackId.Empty, g));
    }
}
