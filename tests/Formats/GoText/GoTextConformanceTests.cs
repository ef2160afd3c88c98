using FlameKit.Formats;
using FlameKit.Formats.GoText;

namespace FlameKit.Tests.Formats.GoText;

/// <summary>
/// FlameKit's reading of Go's ?debug=1 texts against go tool pprof's: sample types and units, period,
/// and the values of every address stack (pprof's addresses: call instruction = return address − 1).
/// </summary>
public class GoTextConformanceTests
{
    internal static Profile Read(string fixture, ReadOptions? options = null)
    {
        using var f = File.OpenRead(Fixtures.Path(fixture));
        var (p, fmt) = ProfileFormats.Read(f, options ?? new ReadOptions { SourceName = fixture });
        Assert.Equal(fmt.Name, fixture.EndsWith(".debug2.txt", StringComparison.Ordinal) ? "gostack" : "gotext");
        return p;
    }

    /// <summary>Every ?debug=1 fixture go tool pprof accepts (it has a committed -raw reference).</summary>
    public static TheoryData<string> Accepted()
    {
        var d = new TheoryData<string>();
        foreach (var f in Fixtures.All("gotext", "*.debug1.txt"))
            if (File.Exists(Path.Combine(Fixtures.RepoRoot, "fixtures", "gotext", "ref", Path.GetFileName(f) + ".raw.txt"))) d.Add(f);
        return d;
    }

    [Theory]
    [MemberData(nameof(Accepted))]
    public void AgreesWithCommittedPprofRaw(string fixture)
    {
        var expected = PprofRaw.Parse(File.ReadAllText(Fixtures.Path("gotext/ref/" + Path.GetFileName(fixture) + ".raw.txt")));
        PprofRaw.AssertEqual(expected, PprofRaw.FromProfile(Read(fixture)), fixture);
    }

    [Theory]
    [MemberData(nameof(Accepted))]
    public void AgreesWithLiveGoToolPprofRaw(string fixture)
    {
        var expected = PprofRaw.Parse(GoTool.Raw(Fixtures.Path(fixture)));
        Assert.True(expected.SampleTypes.Count > 0, "go tool pprof printed no sample types");
        PprofRaw.AssertEqual(expected, PprofRaw.FromProfile(Read(fixture)), fixture);
    }

    [Fact]
    public void EveryDebug1FixtureIsCoveredOrKnownRejected()
    {
        foreach (var f in Fixtures.All("gotext", "*.debug1.txt"))
        {
            string name = Path.GetFileName(f);
            bool raw = File.Exists(Path.Combine(Fixtures.RepoRoot, "fixtures", "gotext", "ref", name + ".raw.txt"));
            bool err = File.Exists(Path.Combine(Fixtures.RepoRoot, "fixtures", "gotext", "ref", name + ".raw.err.txt"));
            Assert.True(raw || (err && name.Contains(".threadcreate.", StringComparison.Ordinal)), name);
        }
    }

    [Fact]
    public void HeapHasPprofTypesUnitsPeriodAndBytesLabel()
    {
        var p = Read("gotext/blocking.heap.debug1.txt");
        Assert.Equal(["alloc_objects/count", "alloc_space/bytes", "inuse_objects/count", "inuse_space/bytes"], p.SampleTypes.Select(t => t.ToString()));
        Assert.Equal(new SampleType("space", "bytes"), p.PeriodType);
        Assert.Equal(524288, p.Period); // heap/1048576: Go writes 2 × MemProfileRate, pprof halves it
        Assert.Equal(3, p.DefaultSampleTypeIndex); // inuse_space, pprof's default for heap
        // MANIFEST totals (go tool pprof -raw): 10416,7631343,7824,4826793
        Assert.Equal([10416L, 7631343, 7824, 4826793], Enumerable.Range(0, 4).Select(p.Total));
        var sizes = Enumerable.Range(0, p.SampleCount).Select(i => p.Labels(p.SampleLabels(i)).ToArray()).ToList();
        Assert.All(sizes, l => Assert.Equal("bytes", Assert.Single(l).Key));
        Assert.Contains(sizes, l => l[0].Num == 663552);
    }

    [Fact]
    public void HeapMemStatsBecomeComments()
    {
        var p = Read("gotext/blocking.heap.debug1.txt");
        Assert.Equal("runtime.MemStats", p.Comments[0]);
        Assert.Contains("HeapAlloc = 3783880", p.Comments);
        Assert.Contains("MaxRSS = 8237056", p.Comments);
        Assert.DoesNotContain(p.Comments, c => c.StartsWith('#'));
    }

    [Fact]
    public void RateOneHeapIsNotScaled()
    {
        var p = Read("gotext/memrate1.heap.debug1.txt"); // heap/2: period 1, every allocation recorded
        Assert.Equal(1, p.Period);
        Assert.Equal([35493L, 5529552, 25513, 5029856], Enumerable.Range(0, 4).Select(p.Total));
    }

    [Fact]
    public void FramesAreSymbolisedFromHashLinesWithTheirAddresses()
    {
        var p = Read("gotext/blocking.heap.debug1.txt");
        var loc = p.Locations.ToArray().Single(l => l.Address == 0x4e254e);
        var line = Assert.Single(loc.Lines.ToArray());
        var fn = p.Functions[line.Function.Index];
        Assert.Equal("compress/flate.NewWriter", fn.Name);
        Assert.Equal("/usr/lib/go-1.19/src/compress/flate/deflate.go", fn.File);
        Assert.Equal(666, line.Number);
        Assert.False(p.Mappings[loc.Mapping.Index].File.Length > 0);
        // runtime.goexit is never printed by Go: it stays an address.
        Assert.Empty(p.Locations.ToArray().Single(l => l.Address == 0x467be0).Lines.ToArray());
        // Every address that has a '#' line somewhere in the file is symbolised.
        var text = File.ReadAllLines(Fixtures.Path("gotext/blocking.heap.debug1.txt"));
        var symbolised = text.Where(l => l.StartsWith("#\t0x", StringComparison.Ordinal) && l.Split('\t', StringSplitOptions.RemoveEmptyEntries).Length > 2)
            .Select(l => Convert.ToUInt64(l.Split('\t')[1][2..], 16)).ToHashSet();
        foreach (var l in p.Locations) if (symbolised.Contains(l.Address)) Assert.False(l.Lines.IsEmpty, $"0x{l.Address:x}");
    }

    [Fact]
    public void RecursionAtOneAddressIsOneLinePerFrame()
    {
        var p = Read("gotext/blocking.goroutine.debug1.txt");
        var deep = p.Functions.ToArray().Select((f, i) => (f, i)).Single(x => x.f.Name == "main.parkDeep").i;
        foreach (var l in p.Locations) if (l.Lines.ToArray().Any(x => x.Function.Index == deep)) Assert.Equal(1, l.Lines.Length);
    }

    [Fact]
    public void GoroutineDebug1LabelsBecomeSampleLabels()
    {
        var p = Read("gotext/labels.goroutine.debug1.txt");
        Assert.Equal("goroutine/count", p.SampleTypes.Single().ToString());
        var all = Enumerable.Range(0, p.SampleCount).SelectMany(i => p.Labels(p.SampleLabels(i)).ToArray()).ToList();
        Assert.Contains(new Label("tenant", "globex"), all);
        Assert.Contains(new Label("shard", "0"), all);
    }

    [Fact]
    public void MutexAndBlockAreContentionsAndDelay()
    {
        var m = Read("gotext/blocking.mutex.debug1.txt");
        Assert.Equal(["contentions/count", "delay/nanoseconds"], m.SampleTypes.Select(t => t.ToString()));
        Assert.Equal([27285L, 4468005486], new[] { m.Total(0), m.Total(1) }); // MANIFEST
        var b = Read("gotext/blocking.block.debug1.txt");
        Assert.Equal([103655L, 53445817111], new[] { b.Total(0), b.Total(1) });
        var c = Read("gotext/cpuwork.mutex.debug1.txt"); // header only, sampling period=5
        Assert.Equal(0, c.SampleCount);
        Assert.Equal(5, c.Period);
    }

    [Fact]
    public void ThreadcreateWithItsEmptyStackRecordIsRead()
    {
        var p = Read("gotext/blocking.threadcreate.debug1.txt"); // go tool pprof rejects this file
        Assert.Equal("threadcreate/count", p.SampleTypes.Single().ToString());
        Assert.Equal(9, p.Total(0)); // "threadcreate profile: total 9"
        Assert.Contains(Enumerable.Range(0, p.SampleCount), i => p.SampleStack(i).IsEmpty && p.SampleValue(i, 0) == 8);
    }

    [Theory]
    [InlineData("gotext/blocking.heap.debug1.txt", typeof(GoLegacyTextReader))]
    [InlineData("gotext/blocking.allocs.debug1.txt", typeof(GoLegacyTextReader))]
    [InlineData("gotext/blocking.goroutine.debug1.txt", typeof(GoLegacyTextReader))]
    [InlineData("gotext/blocking.threadcreate.debug1.txt", typeof(GoLegacyTextReader))]
    [InlineData("gotext/blocking.mutex.debug1.txt", typeof(GoLegacyTextReader))]
    [InlineData("gotext/blocking.block.debug1.txt", typeof(GoLegacyTextReader))]
    [InlineData("gotext/empty.block.debug1.txt", typeof(GoLegacyTextReader))]
    [InlineData("gotext/blocking.goroutine.debug2.txt", typeof(GoroutineDumpReader))]
    [InlineData("gotext/leak.goroutine.debug2.txt", typeof(GoroutineDumpReader))]
    public void DetectedByContent(string fixture, Type reader)
    {
        var bytes = File.ReadAllBytes(Fixtures.Path(fixture));
        var head = bytes.AsSpan(0, Math.Min(bytes.Length, ProfileFormats.DetectionWindow));
        var r = ProfileFormats.Detect(head, head.Length == bytes.Length, sourceName: null);
        Assert.IsType(reader, r);
        Assert.Equal(Detection.Yes, r!.Detect(head, head.Length == bytes.Length));
        foreach (var other in ProfileFormats.Readers.Where(o => o.GetType() != reader))
            Assert.NotEqual(Detection.Yes, other.Detect(head, head.Length == bytes.Length));
    }

    [Theory]
    [InlineData("heap profile: 3: 300 [3: 300] @ heapprofile\n1: 100 [1: 100] @ 0x1001 0x2001\n2: 200 [2: 200] @ 0x1001\n", 1, false, new[] { "objects/count", "space/bytes" })]
    [InlineData("heap profile: 3: 300 [5: 500] @ heap_v2/524288\n1: 100 [1: 100] @ 0x1001 0x2001\n", 524288, true, new[] { "alloc_objects/count", "alloc_space/bytes", "inuse_objects/count", "inuse_space/bytes" })]
    public void OlderHeapHeaders(string text, long period, bool scaled, string[] types)
    {
        var p = ProfileFormats.Read(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text))).Profile;
        Assert.Equal(types, p.SampleTypes.Select(t => t.ToString()));
        Assert.Equal(period, p.Period);
        if (!scaled) Assert.Equal(300, p.Total(1));
        else Assert.Equal(GoLegacyTextReader.ScaleHeapSample(1, 100, 524288), (p.SampleValue(0, 0), p.SampleValue(0, 1)));
        Assert.Equal(0x1000UL, p.Locations[p.StackLocation(p.SampleStack(0)).Index].Address);
    }
}
