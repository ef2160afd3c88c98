using System.Text;
using System.Text.Json;
using FlameKit.Formats;
using FlameKit.Formats.Speedscope;

namespace FlameKit.Tests.Formats.Speedscope;

public class SpeedscopeTests
{
    internal static byte[] Write(IProfileWriter writer, Profile p, List<string>? diagnostics = null)
    {
        var ms = new MemoryStream();
        writer.Write(p, ms, new WriteOptions { Diagnostics = d => diagnostics?.Add(d.Message) });
        // Every speedscope file the tests write must conform to speedscope's published schema.
        if (writer is SpeedscopeWriter) SpeedscopeSchema.AssertValid(ms.ToArray(), "speedscope output of " + (p.Name.Length > 0 ? p.Name : "a test profile"));
        return ms.ToArray();
    }

    public static TheoryData<string> AllFixtures()
    {
        var data = new TheoryData<string>();
        foreach (var folder in new[] { "folded", "chrome", "speedscope", "nettrace" })
            foreach (var f in Fixtures.All(folder, "*"))
                if (!f.Contains("netapp-clrevents-gc", StringComparison.Ordinal)) data.Add(f); // no stacks: nothing to write
        return data;
    }

    [Theory]
    [MemberData(nameof(AllFixtures))]
    public void EveryFixtureWritesSchemaValidSpeedscope(string fixture)
    {
        using var input = File.OpenRead(Fixtures.Path(fixture));
        var p = ProfileFormats.Read(input, new ReadOptions { SourceName = fixture, ProfileSelector = fixture.StartsWith("speedscope/", StringComparison.Ordinal) ? "all" : null }).Profile;
        var bytes = Write(new SpeedscopeWriter(), p); // validates
        for (int t = 0; t < p.SampleTypes.Count; t++)
        {
            if (p.SampleTypes.Count > 1 && p.HasThreads) break; // one profile per thread and type: totals checked elsewhere
            var back = ReadBytes(bytes, p.SampleTypes.Count == 1 ? "all" : p.SampleTypes[t].Type);
            Assert.Equal(p.SampleTypes[t].ToDouble(p.Total(t)), back.SampleTypes[0].ToDouble(back.Total(0)), 6);
        }
    }

    internal static Profile ReadBytes(byte[] bytes, string? selector = null) =>
        ProfileFormats.Read(new MemoryStream(bytes), new ReadOptions { ProfileSelector = selector }).Profile;

    /// <summary>Per thread, the samples in order as "root;…;leaf value" (empty stacks included).</summary>
    internal static Dictionary<string, List<string>> Timeline(Profile p)
    {
        var trie = FrameTrie.Build(p);
        var path = new List<string>();
        var d = new Dictionary<string, List<string>>();
        var order = Enumerable.Range(0, p.SampleCount).ToList();
        if (p.HasTimestamps) order = order.OrderBy(p.SampleTimestamp).ToList();
        foreach (int i in order)
        {
            var t = p.SampleThread(i);
            string label = t.IsNone ? "" : SpeedscopeWriter.ThreadLabel(p.Threads[t.Index]);
            if (!d.TryGetValue(label, out var list)) d[label] = list = [];
            trie.PathRootFirst(trie.NodeOf(p.SampleStack(i)), path);
            list.Add(string.Join(";", path) + " " + p.SampleValue(i, 0));
        }
        return d;
    }

    [Theory]
    [InlineData("speedscope/netapp-gc-verbose.speedscope.json")]
    [InlineData("speedscope/netapp-cpu.speedscope.json.gz")]
    public void EventedFilesAgreeWithSpeedscopeForEveryProfile(string fixture)
    {
        var p = ReferenceSummaries.Read(fixture, "all");
        Assert.True(p.HasTimestamps);
        ReferenceSummaries.AssertAgrees(fixture, p);
    }

    [Fact]
    public void SpeedscopeExportOfACpuProfileAgrees()
    {
        var p = ReferenceSummaries.Read("speedscope/node-workload.cpuprofile.speedscope.json");
        ReferenceSummaries.AssertAgrees("speedscope/node-workload.cpuprofile.speedscope.json", p);
    }

    [Fact]
    public void DefaultIsTheActiveProfileAndSelectorsPickOthers()
    {
        var all = ReferenceSummaries.Read("speedscope/netapp-gc-verbose.speedscope.json", "all");
        Assert.Equal(6, all.Threads.Count);
        var active = ReferenceSummaries.Read("speedscope/netapp-gc-verbose.speedscope.json");
        Assert.Equal("Thread (21806)", active.Name);
        var byIndex = ReferenceSummaries.Read("speedscope/netapp-gc-verbose.speedscope.json", "2");
        Assert.Equal("Thread (21821)", byIndex.Name);
        var byName = ReferenceSummaries.Read("speedscope/netapp-gc-verbose.speedscope.json", "Thread (21821)");
        Assert.Equal(byIndex.Total(0), byName.Total(0));
        var e = Assert.Throws<ArgumentException>(() => ReferenceSummaries.Read("speedscope/netapp-gc-verbose.speedscope.json", "nope"));
        Assert.Contains("Thread (21806)", e.Message);
    }

    [Fact]
    public void ListProfilesNamesThemAndMarksTheActiveOne()
    {
        using var f = File.OpenRead(Fixtures.Path("speedscope/netapp-gc-verbose.speedscope.json"));
        var list = new SpeedscopeReader().ListProfiles(f);
        Assert.Equal(6, list.Count);
        Assert.Equal(new ProfileEntry(0, "Thread (21806)", "evented", "milliseconds", true), list[0]);
        Assert.False(list[1].IsActive);
    }

    [Fact]
    public void AFileWithoutProfilesIsAnError()
    {
        var e = Assert.Throws<ProfileFormatException>(() => ReferenceSummaries.Read("speedscope/netapp-clrevents-gc.speedscope.json"));
        Assert.Contains("no profiles", e.Message);
    }

    [Theory]
    [InlineData("speedscope/netapp-gc-verbose.speedscope.json")]
    [InlineData("speedscope/netapp-cpu.speedscope.json.gz")]
    [InlineData("speedscope/node-workload.cpuprofile.speedscope.json")]
    public void RoundTripKeepsTotalsFramesAndOrder(string fixture)
    {
        var p = ReferenceSummaries.Read(fixture, "all");
        var bytes = Write(new SpeedscopeWriter(), p);
        var q = ReadBytes(bytes, "all");
        Assert.Equal(Timeline(p), Timeline(q));
        // Written twice, the bytes are identical (determinism), and re-reading the output reproduces it.
        Assert.Equal(bytes, Write(new SpeedscopeWriter(), p));
        Assert.Equal(Encoding.UTF8.GetString(bytes), Encoding.UTF8.GetString(Write(new SpeedscopeWriter(), q)));
    }

    [Fact]
    public void EveryPprofSampleTypeBecomesAProfileAndInlinedFramesAndLinesAreKept()
    {
        var b = new ProfileBuilder([new SampleType("alloc_objects", "count"), new SampleType("alloc_space", "bytes"), new SampleType("cpu", "nanoseconds")]);
        var main = b.AddFunction("main", "", "main.go");
        var inl = b.AddFunction("inlined", "", "util.go");
        var work = b.AddFunction("work", "", "work.go");
        var l1 = b.AddLocation(0x1000, MappingId.None, [new Line(main, 10)]);
        var l2 = b.AddLocation(0x2000, MappingId.None, [new Line(work, 7, 3), new Line(inl, 42)]); // work inlined into "inlined"
        var s = b.Push(b.Push(StackId.Empty, l1), l2);
        b.AddSample(s, [3, 4096, 1_500_000]);
        b.AddSample(b.Push(StackId.Empty, l1), [1, 512, 500_000]);
        var p = b.Build();
        var diags = new List<string>();
        var bytes = Write(new SpeedscopeWriter(), p, diags);
        using var doc = JsonDocument.Parse(bytes);
        var root = doc.RootElement;
        Assert.Equal(SpeedscopeReader.SchemaUrl, root.GetProperty("$schema").GetString());
        Assert.StartsWith("flamekit@", root.GetProperty("exporter").GetString());
        var profiles = root.GetProperty("profiles").EnumerateArray().ToList();
        Assert.Equal(["alloc_objects", "alloc_space", "cpu"], profiles.Select(x => x.GetProperty("name").GetString()));
        Assert.Equal(["none", "bytes", "nanoseconds"], profiles.Select(x => x.GetProperty("unit").GetString()));
        Assert.Equal(2, root.GetProperty("activeProfileIndex").GetInt32()); // pprof's default: the last type
        var frames = root.GetProperty("shared").GetProperty("frames").EnumerateArray()
            .Select(f => $"{f.GetProperty("name").GetString()} {f.GetProperty("file").GetString()}:{f.GetProperty("line").GetInt32()}").ToList();
        Assert.Equal(["main main.go:10", "inlined util.go:42", "work work.go:7"], frames);
        Assert.Equal("[[0,1,2],[0]]", profiles[0].GetProperty("samples").GetRawText());
        Assert.Single(diags); // addresses are dropped, said once
        Assert.Contains("addresses", diags[0]);

        var q = ReadBytes(bytes, "alloc_space");
        Assert.Equal(4608, q.Total(0));
        Assert.Equal("bytes", q.SampleTypes[0].Unit);
        var cpu = ReadBytes(bytes);
        Assert.Equal(2_000_000, cpu.Total(0));
        Assert.Equal(3, cpu.Locations[cpu.StackLocation(cpu.SampleStack(0)).Index].Lines[0].Column);
    }

    [Fact]
    public void FractionalWeightsOfNoneAreKeptExactly()
    {
        string json = """{"$schema":"https://www.speedscope.app/file-format-schema.json","shared":{"frames":[{"name":"a"},{"name":"b"}]},"profiles":[{"type":"sampled","name":"p","unit":"none","startValue":0,"endValue":3.75,"samples":[[0],[0,1]],"weights":[1.5,2.25]}]}""";
        var p = ReadBytes(Encoding.UTF8.GetBytes(json));
        Assert.Equal(2, p.SampleTypes[0].DecimalPlaces);
        Assert.Equal(375, p.Total(0));
        var back = Encoding.UTF8.GetString(Write(new SpeedscopeWriter(), p));
        Assert.Contains("\"weights\":[1.5,2.25]", back);
    }

    [Fact]
    public void DetectsSpeedscopeWithoutAFileName()
    {
        foreach (var f in Fixtures.All("speedscope", "*.json*"))
        {
            var (_, head, complete) = ProfileFormats.Peek(File.OpenRead(Fixtures.Path(f)));
            Assert.Equal("speedscope", ProfileFormats.Detect(head, complete)?.Format.Name);
        }
    }

    [Fact]
    public void MalformedInputIsAFormatErrorWithAPosition()
    {
        var e = Assert.Throws<ProfileFormatException>(() => ReadBytes(Encoding.UTF8.GetBytes("{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",\n\"shared\": {")));
        Assert.Equal("speedscope", e.FormatName);
        Assert.NotNull(e.LineNumber);
    }

    /// <summary>
    /// The reader streams in two passes: the file's keys may come in any order (profiles before shared
    /// frames and activeProfileIndex, weights before samples, endValue last), large values of kinds not read
    /// are skipped, and a value larger than the read buffer (a 300 KB frame name) is read whole. Every variant
    /// of the fixture (rewritten from the real file, not written by hand) reads the same as the file, from a
    /// seekable stream and from one that is not (copied to a temporary file first).
    /// </summary>
    [Theory]
    [InlineData("speedscope/netapp-gc-verbose.speedscope.json", "all")] // evented, milliseconds
    [InlineData("speedscope/node-workload.cpuprofile.speedscope.json", null)] // sampled
    public void KeysInAnyOrderAndLargeValuesReadTheSame(string fixture, string? selector)
    {
        var bytes = File.ReadAllBytes(Fixtures.Path(fixture));
        var expected = Timeline(ReadBytes(bytes, selector));
        var root = System.Text.Json.Nodes.JsonNode.Parse(bytes)!.AsObject();
        var reordered = new System.Text.Json.Nodes.JsonObject();
        // Profiles first, each with its keys reversed; then a large array of a kind not read; then the rest.
        var profiles = new System.Text.Json.Nodes.JsonArray();
        foreach (var p in root["profiles"]!.AsArray())
        {
            var props = p!.AsObject().ToList();
            props.Reverse();
            var q = new System.Text.Json.Nodes.JsonObject();
            foreach (var (k, v) in props) q[k] = v?.DeepClone();
            q["unknownLargeValue"] = new System.Text.Json.Nodes.JsonArray(Enumerable.Range(0, 5_000).Select(i => (System.Text.Json.Nodes.JsonNode?)new System.Text.Json.Nodes.JsonArray(i, $"x{i}", new System.Text.Json.Nodes.JsonObject { ["k"] = i })).ToArray());
            profiles.Add(q);
        }
        reordered["profiles"] = profiles;
        foreach (var (k, v) in root.ToList()) if (k != "profiles") reordered[k] = v?.DeepClone();
        var text = reordered.ToJsonString();
        Assert.True(text.IndexOf("\"profiles\"", StringComparison.Ordinal) < text.IndexOf("\"shared\"", StringComparison.Ordinal));
        var variant = Encoding.UTF8.GetBytes(text);
        // Read directly: detection looks for the schema in the first bytes, here behind the profiles.
        var reader = new SpeedscopeReader();
        Assert.Equal(expected, Timeline(reader.Read(new MemoryStream(variant), new ReadOptions { ProfileSelector = selector })));
        Assert.Equal(expected, Timeline(reader.Read(new NonSeekable(variant), new ReadOptions { ProfileSelector = selector })));
        Assert.Equal(reader.ListProfiles(new MemoryStream(bytes)), reader.ListProfiles(new NonSeekable(variant)));

        // A frame name larger than the read buffer, in shared.frames and as the profile's name.
        string huge = new string('f', 300_000);
        reordered["shared"]!["frames"]![0]!["name"] = huge;
        var big = Encoding.UTF8.GetBytes(reordered.ToJsonString());
        var p2 = reader.Read(new MemoryStream(big), new ReadOptions { ProfileSelector = selector });
        Assert.Contains(p2.Functions.ToArray(), f => f.Name == huge);
    }

    /// <summary>A stream that cannot seek (as gzip or a pipe).</summary>
    private sealed class NonSeekable(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
        public override long Position { get => base.Position; set => throw new NotSupportedException(); }
        public override long Seek(long offset, SeekOrigin loc) => throw new NotSupportedException();
    }
}
