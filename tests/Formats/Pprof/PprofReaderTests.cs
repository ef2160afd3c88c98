using FlameKit.Formats;
using FlameKit.Formats.Pprof;

namespace FlameKit.Tests.Pprof;

public class PprofReaderTests
{
    public static TheoryData<string> AllFixtures()
    {
        var data = new TheoryData<string>();
        foreach (var f in Fixtures.All("pprof", "*.pb*")) data.Add(f);
        return data;
    }

    internal static Profile ReadFixture(string fixture)
    {
        using var fs = File.OpenRead(Fixtures.Path(fixture));
        var (profile, format) = ProfileFormats.Read(fs, new ReadOptions { SourceName = fixture });
        Assert.Equal("pprof", format.Name);
        return profile;
    }

    [Fact]
    public void FixturesArePresent()
    {
        var all = Fixtures.All("pprof", "*.pb*").ToList();
        Assert.True(all.Count >= 40, $"expected the pprof fixtures, found {all.Count}");
        Assert.Contains("pprof/labels.cpu.pb", all);
    }

    [Theory]
    [MemberData(nameof(AllFixtures))]
    public void MatchesGoToolPprofReference(string fixture)
    {
        var expected = RawSummary.Load(fixture);
        var p = ReadFixture(fixture);
        Assert.Equal(expected.Types, p.SampleTypes.Select(t => t.ToString()).ToArray());
        Assert.Equal(expected.DefaultIndex, p.DefaultSampleTypeIndex);
        var (count, totals) = MergedLikePprof(p);
        Assert.Equal(expected.SampleCount, count);
        Assert.Equal(expected.Totals, totals);
        Assert.Equal(Path.GetFileName(fixture), p.Name);
    }

    /// <summary>
    /// What <c>go tool pprof -raw</c> lists: it merges samples with the same locations and labels (its
    /// profile merge runs on every load) and leaves out samples whose values are all zero or that have no
    /// locations. Files written by Go's runtime/pprof do repeat stacks (CPU profiles, one record per
    /// label set and per flush), so the model, which keeps samples as written, has more of them.
    /// </summary>
    internal static (int Count, long[] Totals) MergedLikePprof(Profile p)
    {
        var keys = new HashSet<(int, string)>();
        var totals = new long[p.SampleTypes.Count];
        for (int i = 0; i < p.SampleCount; i++)
        {
            var values = p.SampleValues(i);
            if (p.SampleStack(i).IsEmpty || !values.ContainsAnyExcept(0)) continue;
            var labels = string.Join(",", p.Labels(p.SampleLabels(i)).ToArray().Select(l => l.ToString()).Order(StringComparer.Ordinal));
            keys.Add((p.SampleStack(i).Index, labels));
            for (int t = 0; t < totals.Length; t++) totals[t] += values[t];
        }
        return (keys.Count, totals);
    }

    [Fact]
    public void ReadsMetadataLabelsAndInlinedLines()
    {
        var p = ReadFixture("pprof/labels.cpu.pb.gz");
        Assert.Equal(new SampleType("cpu", "nanoseconds"), p.PeriodType);
        Assert.Equal(10_000_000, p.Period);
        Assert.True(p.TimeNanos > 1_700_000_000_000_000_000);
        Assert.InRange(p.DurationNanos, 4_000_000_000, 4_500_000_000);
        Assert.True(p.HasLabels);
        var keys = Enumerable.Range(0, p.SampleCount).SelectMany(i => p.Labels(p.SampleLabels(i)).ToArray()).Select(l => l.Key).ToHashSet();
        Assert.Equal(["request", "stage", "tenant"], keys.Order());
        Assert.True(p.Mappings.Length >= 2); // placeholder + the binary (+ [vdso], [vsyscall])
        Assert.EndsWith("/bin/special", p.Mappings[1].File);
        Assert.True(p.Mappings[1].HasFunctions);
        bool anyInlined = false;
        foreach (var loc in p.Locations) anyInlined |= loc.Lines.Length > 1;
        Assert.True(anyInlined);
    }

    [Fact]
    public void ReadsNumericLabels()
    {
        var p = ReadFixture("pprof/http.heap.pb.gz");
        int withLabel = Enumerable.Range(0, p.SampleCount).First(i => p.SampleLabels(i) != LabelSetId.Empty);
        var l = p.Labels(p.SampleLabels(withLabel)).ToArray();
        Assert.Single(l);
        Assert.Equal("bytes", l[0].Key);
        Assert.True(l[0].IsNumeric);
        Assert.True(l[0].Num > 0);
        Assert.Null(l[0].Str);
    }

    [Fact]
    public void ReadsGzipHandedDirectlyToTheReader()
    {
        using var fs = File.OpenRead(Fixtures.Path("pprof/leak.heap.pb.gz"));
        var p = new PprofReader().Read(fs, ReadOptions.Default);
        Assert.Equal(RawSummary.Load("pprof/leak.heap.pb.gz").SampleCount, MergedLikePprof(p).Count);
    }

    [Fact]
    public void CompressedAndUncompressedAgree()
    {
        var a = ReadFixture("pprof/cpuwork.cpu.pb.gz");
        var b = ReadFixture("pprof/cpuwork.cpu.pb");
        Assert.Equal(a.SampleCount, b.SampleCount);
        Assert.Equal(a.Total(1), b.Total(1));
        Assert.Equal(a.Locations.Length, b.Locations.Length);
    }
}
