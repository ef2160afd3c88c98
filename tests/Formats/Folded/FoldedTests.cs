using System.Text;
using FlameKit.Formats;
using FlameKit.Formats.Folded;

namespace FlameKit.Tests.Formats.Folded;

public class FoldedReaderTests
{
    internal static Profile ReadText(string text, List<string>? diagnostics = null)
    {
        var opts = new ReadOptions { Diagnostics = d => diagnostics?.Add(d.Message) };
        return ProfileFormats.Read(new MemoryStream(Encoding.UTF8.GetBytes(text)), opts).Profile;
    }

    internal static string WriteFolded(Profile p, WriteOptions? options = null)
    {
        var ms = new MemoryStream();
        new FoldedWriter().Write(p, ms, options ?? WriteOptions.Default);
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    [Fact]
    public void ReadsAndMergesIdenticalStacks()
    {
        var p = ReadText("a;b;c 3\na;b 2\na;b;c 4\n");
        Assert.Equal(3, p.SampleCount); // one sample per line, input order kept
        Assert.Equal(9, p.Total(0));
        Assert.Equal("a;b 2\na;b;c 7\n", WriteFolded(p));
    }

    [Fact]
    public void AcceptsCrlfBlankLinesAndBom()
    {
        var p = ReadText("\uFEFFmain;x 1\r\n\r\nmain;y 2\r\n");
        Assert.Equal(3, p.Total(0));
        Assert.Equal("main;x 1\nmain;y 2\n", WriteFolded(p));
    }

    [Fact]
    public void FractionalCountsAreKeptExactly()
    {
        var p = ProfileFormats.Read(File.OpenRead(Fixtures.Path("folded/edge-fractional.folded"))).Profile;
        Assert.Equal(3, p.SampleTypes[0].DecimalPlaces);
        Assert.Equal(17208, p.Total(0)); // 1.5 + 2.25 + 0.125 + 10.0 + 3.333 = 17.208
        Assert.Equal("main 10\nmain;a;b 1.5\nmain;a;c 2.25\nmain;d 0.125\nother;x 3.333\n", WriteFolded(p));
    }

    [Fact]
    public void InvalidLinesAreSkippedAndReported()
    {
        var diags = new List<string>();
        var p = ProfileFormats.Read(File.OpenRead(Fixtures.Path("folded/edge-unsorted.folded")), new ReadOptions { Diagnostics = d => diags.Add(d.Message) }).Profile;
        // flamegraph.pl says "Ignored 3 lines" for this file because it counts the blank line; blank lines are fine here.
        Assert.Single(diags);
        Assert.StartsWith("ignored 2 lines with invalid format", diags[0]);
        Assert.Contains("main;run;io;read ", WriteFolded(p));
    }

    [Fact]
    public void DifferentialLinesGiveBeforeAndAfter()
    {
        var p = ProfileFormats.Read(File.OpenRead(Fixtures.Path("folded/edge.diff.folded"))).Profile;
        Assert.Equal(["before", "after"], p.SampleTypes.Select(t => t.Type));
        Assert.Equal(165, p.Total(0));
        Assert.Equal(192, p.Total(1));
        Assert.Equal(1, p.DefaultSampleTypeIndex); // widths come from the second count, as in flamegraph.pl
        string round = WriteFolded(p);
        Assert.Contains("main;run;parse;tokenize 50 20\n", round);
        Assert.Contains("main;run;new_path 0 12\n", round);
        Assert.Equal("main;gc 25\nmain;run;eval;alloc 60\nmain;run;eval;lookup 40\nmain;run;new_path 12\nmain;run;parse;build_ast 35\nmain;run;parse;tokenize 20\n",
            WriteFolded(p, new WriteOptions { SampleType = "after" }));
    }

    [Fact]
    public void NamesWithSpacesAndUnicodeSurvive()
    {
        var p = ProfileFormats.Read(File.OpenRead(Fixtures.Path("folded/edge-xml-escape.folded"))).Profile;
        string text = WriteFolded(p);
        Assert.Contains("main;name with spaces;and  double  spaces 7\n", text);
        Assert.Contains("main;Ünïcødé_函数;λ→x 25\n", text);
        Assert.Contains("main;parse<T>(std::vector<int>&);a&b 't' 12\n", text);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n")]
    public void EmptyInputIsAnError(string text)
    {
        var e = Assert.Throws<ProfileFormatException>(() => ReadText(text));
        Assert.Contains("empty", e.Message);
    }

    [Fact]
    public void ForcedFoldedWithNoValidLineNamesTheLine()
    {
        var e = Assert.Throws<ProfileFormatException>(() =>
            ProfileFormats.Read(new MemoryStream("\nnot a stack\nneither\n"u8.ToArray()), null, "folded"));
        Assert.Equal(2, e.LineNumber);
        Assert.Contains("expected", e.Message);
    }

    [Fact]
    public void GarbageIsNotDetectedAsFolded()
    {
        Assert.Throws<ProfileFormatException>(() => ReadText("hello world\nthis is prose, not a profile.\n"));
        Assert.Equal(Detection.No, new FoldedReader().Detect("{\"traceEvents\": []}"u8, true));
        Assert.Equal(Detection.Maybe, new FoldedReader().Detect("a;b 1\n"u8, true));
    }

    [Fact]
    public void LargeRealFileRoundTripsExactly()
    {
        // stackcollapse-perf.pl output is already sorted and merged, so a round trip is the identity.
        string original = File.ReadAllText(Fixtures.Path("folded/node-workload.collapsed-all.folded"));
        var p = ReadText(original);
        Assert.Equal(original, WriteFolded(p));
    }

    [Fact]
    public void SortIsBytewiseLikeStackcollapse()
    {
        var p = ReadText("b 1\na;b 1\na 1\nA 1\na-b 1\n");
        Assert.Equal("A 1\na 1\na-b 1\na;b 1\nb 1\n", WriteFolded(p));
    }
}

public class FoldedReaderPipelineTests
{
    [Fact]
    public void ManyDistinctStacksGoThroughTheSecondStageUnchanged()
    {
        // More distinct stacks than one hand-off batch, so the stack-insertion thread really runs.
        var rng = new Random(7);
        var expected = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < 30000; i++)
        {
            int depth = 1 + rng.Next(12);
            var frames = new string[depth];
            for (int d = 0; d < depth; d++) frames[d] = "f" + rng.Next(40) + (d == 0 ? "" : "_" + rng.Next(3));
            string stack = string.Join(";", frames);
            long count = 1 + rng.Next(5);
            expected[stack] = expected.GetValueOrDefault(stack) + count;
            sb.Append(stack).Append(' ').Append(count).Append('\n');
        }
        var p = FoldedReaderTests.ReadText(sb.ToString());
        Assert.Equal(30000, p.SampleCount);
        var want = string.Concat(expected.Select(kv => kv.Key + " " + kv.Value + "\n"));
        Assert.Equal(want, FoldedReaderTests.WriteFolded(p));
    }
}

public class FoldedWriterOrderTests
{
    [Fact]
    public void DepthFirstOrderEqualsSortingWholeLines()
    {
        // Names that are prefixes of each other with separators on both sides of ';' and ' ' in byte order.
        string[] names = ["b", "b-x", "b.y", "bz", "b0", "B", "a", "a:b", "é", "b~"];
        var rng = new Random(11);
        var lines = new Dictionary<string, long>(StringComparer.Ordinal);
        for (int i = 0; i < 3000; i++)
        {
            int depth = 1 + rng.Next(4);
            string stack = string.Join(";", Enumerable.Range(0, depth).Select(_ => names[rng.Next(names.Length)]));
            lines[stack] = lines.GetValueOrDefault(stack) + 1 + rng.Next(3);
        }
        string input = string.Concat(lines.Select(kv => kv.Key + " " + kv.Value + "\n"));
        var expected = lines.Select(kv => System.Text.Encoding.UTF8.GetBytes(kv.Key + " " + kv.Value))
            .OrderBy(b => b, Comparer<byte[]>.Create((x, y) => x.AsSpan().SequenceCompareTo(y)))
            .Select(b => System.Text.Encoding.UTF8.GetString(b) + "\n");
        Assert.Equal(string.Concat(expected), FoldedReaderTests.WriteFolded(FoldedReaderTests.ReadText(input)));
    }
}

/// <summary>
/// The folded writer merges by display name while it walks the location-keyed stack trie; these tests check
/// it against the plain definition on every real fixture: each sample's display path (from
/// <see cref="FrameTrie"/>, which merges through a hash table), summed per path, zero lines dropped, lines
/// ordered by the bytes of their stack followed by a space.
/// </summary>
public class FoldedWriterOracleTests
{
    public static TheoryData<string> FixtureFiles()
    {
        var data = new TheoryData<string>();
        foreach (var folder in new[] { "pprof", "gotext", "speedscope", "chrome", "perf", "folded", "nettrace" })
            foreach (var f in Fixtures.All(folder, "*"))
                // The one fixture that holds no profile (an empty speedscope file; its error is tested elsewhere).
                if (!f.EndsWith(".md", StringComparison.Ordinal) && f != "speedscope/netapp-clrevents-gc.speedscope.json") data.Add(f);
        return data;
    }

    internal static Profile Read(string fixture)
    {
        using var input = File.OpenRead(Fixtures.Path(fixture));
        return ProfileFormats.Read(input, ReadOptions.Default).Profile;
    }

    [Theory]
    [MemberData(nameof(FixtureFiles))]
    public void WriterEqualsSortedMergedPaths(string fixture)
    {
        var p = Read(fixture);
        foreach (var granularity in new[] { FrameGranularity.Functions, FrameGranularity.Lines })
        {
            var options = new WriteOptions { Granularity = granularity };
            Assert.Equal(Oracle(p, granularity), FoldedReaderTests.WriteFolded(p, options));
        }
    }

    private static string Oracle(Profile p, FrameGranularity granularity)
    {
        var trie = FrameTrie.Build(p, new FrameTrieOptions { Granularity = granularity });
        bool diff = FoldedWriter.IsDifferential(p);
        int[] columns = diff ? [0, 1] : [p.DefaultSampleTypeIndex];
        var sums = new Dictionary<string, long[]>(StringComparer.Ordinal);
        var path = new List<string>();
        for (int i = 0; i < p.SampleCount; i++)
        {
            trie.PathRootFirst(trie.NodeOf(p.SampleStack(i)), path);
            string stack = string.Join(";", path.Select(n => n.Replace(';', ':').Replace('\n', ' ').Replace('\r', ' ')));
            if (!sums.TryGetValue(stack, out var v)) sums[stack] = v = new long[columns.Length];
            for (int c = 0; c < columns.Length; c++) v[c] += p.SampleValue(i, columns[c]);
        }
        var byteOrder = Comparer<byte[]>.Create((x, y) => x.AsSpan().SequenceCompareTo(y));
        var sb = new StringBuilder();
        foreach (var kv in sums.Where(kv => kv.Value.Any(v => v != 0)).OrderBy(kv => Encoding.UTF8.GetBytes(kv.Key + " "), byteOrder))
        {
            sb.Append(kv.Key);
            for (int c = 0; c < columns.Length; c++) sb.Append(' ').Append(FoldedWriter.FormatValue(kv.Value[c], p.SampleTypes[columns[c]].DecimalPlaces));
            sb.Append('\n');
        }
        return sb.ToString();
    }
}

/// <summary>
/// Big tries are written by two threads in pieces (<c>FoldedWriter.ParallelWalk</c>); with the thresholds
/// lowered, every fixture goes through that path and must give the same bytes as the one-thread walk.
/// </summary>
[Collection(nameof(FoldedWriterThresholds))]
public class FoldedWriterParallelTests
{
    [Theory]
    [MemberData(nameof(FoldedWriterOracleTests.FixtureFiles), MemberType = typeof(FoldedWriterOracleTests))]
    public void PiecesGiveTheSameBytes(string fixture)
    {
        var p = FoldedWriterOracleTests.Read(fixture);
        var options = new WriteOptions { Granularity = FrameGranularity.Lines };
        string serial = FoldedReaderTests.WriteFolded(p, options);
        int minimum = FoldedWriter.ParallelMinimumNodes, pieceNodes = FoldedWriter.ParallelSubtreeNodes;
        try
        {
            FoldedWriter.ParallelMinimumNodes = 0;
            foreach (int nodes in new[] { 1, 3, 50 })
            {
                FoldedWriter.ParallelSubtreeNodes = nodes;
                Assert.Equal(serial, FoldedReaderTests.WriteFolded(p, options));
            }
        }
        finally
        {
            FoldedWriter.ParallelMinimumNodes = minimum;
            FoldedWriter.ParallelSubtreeNodes = pieceNodes;
        }
    }
}

/// <summary>Tests that change the folded writer's static thresholds run one at a time.</summary>
[CollectionDefinition(nameof(FoldedWriterThresholds), DisableParallelization = true)]
public class FoldedWriterThresholds;
