namespace FlameKit.Tests.Model;

public class ProfileBuilderTests
{
    [Fact]
    public void StacksAreInternedAndWalkable()
    {
        var b = new ProfileBuilder([new SampleType("samples", "count")]);
        var main = b.AddFrame("main");
        var work = b.AddFrame("work");
        var s1 = b.Push(b.Push(StackId.Empty, main), work);
        var s2 = b.StackFromRootFirst([main, work]);
        Assert.Equal(s1, s2);
        Assert.Equal(main, b.AddFrame("main"));
        b.AddSample(s1, [3]);
        b.AddSample(s2, [4]);
        var p = b.Build();
        Assert.Equal(2, p.SampleCount);
        Assert.Equal(7, p.Total(0));
        Assert.Equal(3, p.StackCount); // empty, main, main;work
        Span<LocationId> buf = stackalloc LocationId[4];
        int n = p.CopyStackRootFirst(s1, buf);
        Assert.Equal(2, n);
        Assert.Equal(main, buf[0]);
        Assert.Equal(work, buf[1]);
        Assert.False(p.HasTimestamps);
    }

    [Fact]
    public void DefaultSampleTypeIsLastUnlessNamed()
    {
        var b = new ProfileBuilder([new SampleType("alloc_objects", "count"), new SampleType("alloc_space", "bytes"), new SampleType("inuse_space", "bytes")]);
        Assert.Equal(2, b.Build().DefaultSampleTypeIndex);
        var c = new ProfileBuilder([new SampleType("alloc_objects", "count"), new SampleType("alloc_space", "bytes")]) { DefaultSampleType = "alloc_objects" };
        var p = c.Build();
        Assert.Equal(0, p.DefaultSampleTypeIndex);
        Assert.Equal(1, p.ResolveSampleType("alloc_space"));
        Assert.Equal(1, p.ResolveSampleType("1"));
        Assert.Throws<ArgumentException>(() => p.ResolveSampleType("cpu"));
    }

    [Fact]
    public void InlinedLinesExpandToSeparateFramesRootFirst()
    {
        var b = new ProfileBuilder([new SampleType("cpu", "nanoseconds")]);
        var caller = b.AddFunction("main.run");
        var inlined = b.AddFunction("main.helper");
        // profile.proto order: innermost (inlined callee) first, caller last.
        var loc = b.AddLocation(0x1000, MappingId.None, [new Line(inlined, 12), new Line(caller, 40)]);
        var m = b.AddMapping(new Mapping(0x400000, 0x500000, 0, "/usr/bin/server", ""));
        var raw = b.AddLocation(0x401234, m, []);
        b.AddSample(b.StackFromLeafFirst([raw, loc]), [10]);
        var p = b.Build();
        var trie = FrameTrie.Build(p);
        var path = new List<string>();
        trie.PathRootFirst(trie.NodeOf(p.SampleStack(0)), path);
        Assert.Equal(["main.run", "main.helper", "0x401234 (server)"], path);
    }

    [Fact]
    public void MixedTimestampsAreRejected()
    {
        var b = new ProfileBuilder([new SampleType("samples", "count")]);
        var s = b.Push(StackId.Empty, b.AddFrame("a"));
        b.AddSample(s, [1]);
        b.AddSample(s, [1], 100, ThreadIndex.None);
        Assert.Throws<InvalidOperationException>(() => b.Build());
    }
}
