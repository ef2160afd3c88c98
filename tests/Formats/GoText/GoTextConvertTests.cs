using System.Text;
using FlameKit.Formats;

namespace FlameKit.Tests.Formats.GoText;

/// <summary>Every Go text fixture converts (folded, frame trie for rendering) and, with the pprof writer, round-trips through go tool pprof.</summary>
public class GoTextConvertTests
{
    public static TheoryData<string> AllGoText()
    {
        var d = new TheoryData<string>();
        foreach (var f in Fixtures.All("gotext", "*.txt")) d.Add(f);
        return d;
    }

    [Theory]
    [MemberData(nameof(AllGoText))]
    public void ConvertsToFoldedAndBuildsAFrameTrie(string fixture)
    {
        var p = GoTextConformanceTests.Read(fixture);
        var trie = FrameTrie.Build(p);
        Assert.True(trie.Count >= 1);
        var ms = new MemoryStream();
        ProfileFormats.FindWriter("folded")!.Write(p, ms, WriteOptions.Default);
        var folded = Encoding.UTF8.GetString(ms.ToArray());
        int di = p.DefaultSampleTypeIndex;
        bool anyNonEmpty = Enumerable.Range(0, p.SampleCount).Any(i => p.SampleValue(i, di) != 0);
        Assert.Equal(anyNonEmpty, folded.Length > 0);
        Assert.DoesNotContain("\r", folded);
    }

    /// <summary>
    /// go tool pprof -raw on FlameKit's pprof output must agree with go tool pprof -raw on the original text.
    /// Enable when the pprof writer (branch pprof) is merged.
    /// </summary>
    [Theory]
    [MemberData(nameof(GoTextConformanceTests.Accepted), MemberType = typeof(GoTextConformanceTests))]
    public void PprofOutputAgreesWithGoToolPprofOnTheText(string fixture)
    {
        var p = GoTextConformanceTests.Read(fixture);
        string tmp = Path.Combine(Path.GetTempPath(), $"fk-gotext-{Guid.NewGuid():N}.pb.gz");
        try
        {
            using (var f = File.Create(tmp)) ProfileFormats.FindWriter("pprof")!.Write(p, f, WriteOptions.Default);
            var expected = PprofRaw.Parse(GoTool.Raw(Fixtures.Path(fixture)));
            var actual = PprofRaw.Parse(GoTool.Raw(tmp));
            PprofRaw.AssertEqual(expected, actual, fixture);
        }
        finally { File.Delete(tmp); }
    }
}
