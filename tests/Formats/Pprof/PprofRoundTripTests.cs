using FlameKit.Formats;
using FlameKit.Formats.Pprof;

namespace FlameKit.Tests.Pprof;

public class PprofRoundTripTests
{
    public static TheoryData<string> AllFixtures() => PprofReaderTests.AllFixtures();

    private static byte[] WriteBytes(Profile p, WriteOptions? options = null)
    {
        var ms = new MemoryStream();
        new PprofWriter().Write(p, ms, options ?? WriteOptions.Default);
        return ms.ToArray();
    }

    /// <summary>Our read + write must be invisible to the real pprof: same samples, locations, mappings, header.</summary>
    [Theory]
    [MemberData(nameof(AllFixtures))]
    public void GoToolPprofSeesTheSameProfile(string fixture)
    {
        var original = Fixtures.Path(fixture);
        var p = PprofReaderTests.ReadFixture(fixture);
        var ours = Path.Combine(Path.GetTempPath(), $"flamekit-rt-{Guid.NewGuid():N}.pb.gz");
        try
        {
            File.WriteAllBytes(ours, WriteBytes(p));
            var expectedRaw = GoPprof.Raw(original);
            var expected = GoPprof.Normalize(expectedRaw);
            var actual = GoPprof.Normalize(GoPprof.Raw(ours));
            Assert.Equal(expected, actual);
            // The normalisation must have resolved every id and kept every sample.
            var lines = expected.Split('\n');
            int samples = Array.IndexOf(lines, "Locations:") - Array.IndexOf(lines, "Samples:") - 1;
            Assert.Equal(RawSummary.Parse(expectedRaw).SampleCount, samples);
            Assert.DoesNotContain("?", expected.Split("Samples:")[1]);
            if (samples > 0) Assert.Contains(" M=[0x", expected);
        }
        finally
        {
            File.Delete(ours);
        }
    }

    [Theory]
    [InlineData("pprof/labels.cpu.pb.gz")]
    [InlineData("pprof/leak.allocs.pb.gz")]
    public void WritingIsDeterministic(string fixture)
    {
        var p = PprofReaderTests.ReadFixture(fixture);
        var a = WriteBytes(p);
        var b = WriteBytes(PprofReaderTests.ReadFixture(fixture));
        Assert.Equal(a, b);
        Assert.Equal(0x1f, a[0]);
        Assert.Equal(0x8b, a[1]);
        Assert.Equal([0, 0, 0, 0], a[4..8]); // gzip MTIME is zero: no timestamp in the output
    }

    [Fact]
    public void OurOutputReadsBackToTheSameModel()
    {
        var p = PprofReaderTests.ReadFixture("pprof/leak.allocs.pb.gz");
        var q = new PprofReader().Read(new MemoryStream(WriteBytes(p)), ReadOptions.Default);
        Assert.Equal(p.SampleCount, q.SampleCount);
        Assert.Equal(p.DefaultSampleTypeIndex, q.DefaultSampleTypeIndex);
        Assert.Equal(1, q.DefaultSampleTypeIndex); // alloc_space
        for (int t = 0; t < p.SampleTypes.Count; t++) Assert.Equal(p.Total(t), q.Total(t));
        Assert.Equal(p.Comments, q.Comments);
        Assert.Equal(p.Period, q.Period);
        Assert.Equal(p.TimeNanos, q.TimeNanos);
    }

    [Fact]
    public void InlinedFramesSurvive()
    {
        var b = new ProfileBuilder([new SampleType("samples", "count")]);
        var map = b.AddMapping(new Mapping(0x1000, 0x2000, 0, "/bin/app", "abc") { HasFunctions = true, HasInlineFrames = true });
        var inner = b.AddFunction("pkg.inner", "pkg.inner", "inner.go", 3);
        var outer = b.AddFunction("pkg.outer", "", "outer.go", 10);
        var root = b.AddFunction("main.main", "", "main.go", 1);
        var loc = b.AddLocation(0x1234, map, [new Line(inner, 5, 7), new Line(outer, 12)]);
        var rootLoc = b.AddLocation(0x1100, map, [new Line(root, 2)], isFolded: true);
        b.AddSample(b.StackFromRootFirst([rootLoc, loc]), [3]);
        b.DropFrames = "runtime\\..*";
        b.KeepFrames = "runtime\\.keep";
        b.Comments.Add("hello");
        var p = b.Build();

        var q = new PprofReader().Read(new MemoryStream(WriteBytes(p)), ReadOptions.Default);
        Assert.Equal(2, q.Locations.Length);
        var ql = q.Locations[q.StackLocation(q.SampleStack(0)).Index];
        Assert.Equal(0x1234ul, ql.Address);
        Assert.Equal(2, ql.Lines.Length);
        Assert.Equal(new Function("pkg.inner", "pkg.inner", "inner.go", 3), q.Functions[ql.Lines[0].Function.Index]);
        Assert.Equal(5, ql.Lines[0].Number);
        Assert.Equal(7, ql.Lines[0].Column);
        Assert.Equal("pkg.outer", q.Functions[ql.Lines[1].Function.Index].Name);
        Assert.Equal(12, ql.Lines[1].Number);
        var rl = q.Locations[q.StackLocation(q.StackParent(q.SampleStack(0))).Index];
        Assert.True(rl.IsFolded);
        Assert.Equal("/bin/app", q.Mappings[ql.Mapping.Index].File);
        Assert.Equal("abc", q.Mappings[ql.Mapping.Index].BuildId);
        Assert.True(q.Mappings[ql.Mapping.Index].HasInlineFrames);
        Assert.Equal("runtime\\..*", q.DropFrames);
        Assert.Equal("runtime\\.keep", q.KeepFrames);
        Assert.Equal(["hello"], q.Comments);
    }

    [Fact]
    public void FractionalValuesAreRoundedWithADiagnostic()
    {
        var b = new ProfileBuilder([new SampleType("samples", "count") { DecimalPlaces = 2 }]);
        b.AddSample(b.StackFromRootFirst([b.AddFrame("a")]), [150]); // 1.50
        b.AddSample(b.StackFromRootFirst([b.AddFrame("b")]), [249]); // 2.49
        var diags = new List<string>();
        var bytes = WriteBytes(b.Build(), new WriteOptions { Diagnostics = d => diags.Add(d.Message) });
        var q = new PprofReader().Read(new MemoryStream(bytes), ReadOptions.Default);
        Assert.Equal([2, 2], Enumerable.Range(0, q.SampleCount).Select(i => q.SampleValue(i, 0)));
        Assert.Single(diags);
        Assert.Contains("rounded", diags[0]);
    }

    [Fact]
    public void ThreadsBecomeLabelsAndTimestampLossIsReported()
    {
        var b = new ProfileBuilder([new SampleType("samples", "count")]);
        var t1 = b.AddThread(new ThreadInfo(7, "worker"));
        var t2 = b.AddThread(new ThreadInfo(9, ""));
        var s = b.StackFromRootFirst([b.AddFrame("main")]);
        b.AddSample(s, [1], 100, t1);
        b.AddSample(s, [1], 200, t2);
        b.AddSample(s, [1], 300, t1, b.AddLabelSet([new Label("thread", "custom")]));
        var diags = new List<string>();
        var q = new PprofReader().Read(new MemoryStream(WriteBytes(b.Build(), new WriteOptions { Diagnostics = d => diags.Add(d.Message) })), ReadOptions.Default);
        Assert.Equal("thread=worker", string.Join(",", q.Labels(q.SampleLabels(0)).ToArray()));
        Assert.Equal("thread=9", string.Join(",", q.Labels(q.SampleLabels(1)).ToArray()));
        Assert.Equal("thread=custom", string.Join(",", q.Labels(q.SampleLabels(2)).ToArray()));
        Assert.Contains(diags, d => d.Contains("timestamps"));
    }
}
