using FlameKit.Formats;

namespace FlameKit.Tests.Formats.GoText;

/// <summary>Each bad input gives a correct profile or a one-line error naming the line.</summary>
public class GoTextBadInputTests
{
    private static (Profile Profile, List<string> Diagnostics) Read(string fixture, string? format = null)
    {
        var diags = new List<string>();
        using var f = File.OpenRead(Fixtures.Path(fixture));
        var p = ProfileFormats.Read(f, new ReadOptions { Diagnostics = d => diags.Add(d.Message) }, format).Profile;
        return (p, diags);
    }

    private static ProfileFormatException Fails(string fixture, string? format = null)
    {
        var e = Assert.Throws<ProfileFormatException>(() => Read(fixture, format));
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    [Fact]
    public void TruncatedInSymbolLinesKeepsTheWholeRecords()
    {
        var (p, _) = Read("gotext/bad/truncated.heap.debug1.txt");
        Assert.Equal(2, p.SampleCount);
        Assert.Equal(4, p.SampleTypes.Count);
    }

    [Fact]
    public void TruncatedRecordIsAnErrorWithItsLine()
    {
        var e = Fails("gotext/bad/truncated-record.heap.debug1.txt");
        Assert.Equal(8, e.LineNumber);
        Assert.StartsWith("gotext: line 8: ", e.Message);
    }

    [Fact]
    public void TruncatedGoroutineDumpKeepsTheFramesReadSoFar()
    {
        var (p, _) = Read("gotext/bad/truncated.goroutine.debug2.txt");
        Assert.Equal(2, p.Total(0)); // two goroutine headers before the cut
        var names = GoroutineDumpTests.CountsByNameStack(p).Keys;
        Assert.Contains(names, n => n.StartsWith("main.zoo.func1;net.(*TCPListener).Accept", StringComparison.Ordinal));
    }

    [Fact]
    public void HeaderWithNoRecordsIsAnEmptyProfile()
    {
        var (p, _) = Read("gotext/bad/header-only.heap.debug1.txt");
        Assert.Equal(0, p.SampleCount);
        Assert.Equal(["objects/count", "space/bytes"], p.SampleTypes.Select(t => t.ToString())); // pprof: alloc == inuse → two types
        Assert.Equal(["runtime.MemStats", "Alloc = 1"], p.Comments);
        var empty = Read("gotext/empty.block.debug1.txt").Profile;
        Assert.Equal(0, empty.SampleCount);
    }

    [Fact]
    public void RecordWithoutHashLinesHasAddressOnlyFramesUnlessSymbolisedElsewhere()
    {
        var (p, _) = Read("gotext/bad/missing-hash-lines.goroutine.debug1.txt");
        Assert.Equal(3, p.Total(0));
        var byAddr = p.Locations.ToArray().ToDictionary(l => l.Address);
        Assert.Empty(byAddr[0x4fa8bb].Lines.ToArray());
        Assert.Equal("main.zoo.func3", p.Functions[byAddr[0x4fa894].Lines[0].Function.Index].Name);
        Assert.Empty(byAddr[0x43a6b5].Lines.ToArray());
    }

    [Fact]
    public void AddressesWithNoSymbolsStayAddresses()
    {
        var (p, _) = Read("gotext/bad/unsymbolized.goroutine.debug1.txt");
        Assert.Equal(2, p.Total(0));
        Assert.All(p.Locations.ToArray(), l => Assert.True(l.Lines.IsEmpty));
        var trie = FrameTrie.Build(p);
        Assert.Equal("0x4fa8bb", trie.Name(trie.Parent(trie.NodeOf(p.SampleStack(0)))));
    }

    [Fact]
    public void WindowsPathsAndCrlfInDebug1()
    {
        var (p, _) = Read("gotext/bad/windows-crlf.heap.debug1.txt");
        var loc = p.Locations.ToArray().Single(l => l.Address == 0x4e254e);
        var fn = p.Functions[loc.Lines[0].Function.Index];
        Assert.Equal("G:/Go/src/compress/flate/deflate.go", fn.File);
        Assert.Equal(666, loc.Lines[0].Number);
        Assert.Equal(["runtime.MemStats", "Alloc = 3783880"], p.Comments);
    }

    [Fact]
    public void WindowsPathsAndCrlfInDebug2()
    {
        var (p, _) = Read("gotext/bad/windows-crlf.goroutine.debug2.txt");
        Assert.Equal(2, p.Total(0));
        var files = p.Functions.ToArray().Select(f => f.File).ToHashSet();
        Assert.Contains("G:/work/app/worker.go", files);
        Assert.DoesNotContain(files, f => f.EndsWith('\r'));
        Assert.Contains(Enumerable.Range(0, p.SampleCount), i => p.Labels(p.SampleLabels(i)).ToArray().Contains(new Label("wait", "2 minutes")));
    }

    [Theory]
    [InlineData("gotext/bad/garbage-record.heap.debug1.txt", 3)]
    [InlineData("gotext/bad/garbage-address.mutex.debug1.txt", 4)]
    [InlineData("gotext/bad/zero-count.heap.debug1.txt", 2)]
    public void MalformedRecordsAreOneLineErrorsWithTheLine(string fixture, long line)
    {
        var e = Fails(fixture);
        Assert.Equal(line, e.LineNumber);
    }

    [Fact]
    public void GarbageIsNotDetectedAndFailsWithALineWhenForced()
    {
        var e = Fails("gotext/bad/garbage.txt");
        Assert.Contains("unrecognized profile format", e.Message);
        Assert.Equal(1, Fails("gotext/bad/garbage.txt", "gotext").LineNumber);
        Assert.Equal(1, Fails("gotext/bad/garbage.txt", "gostack").LineNumber);
    }

    [Fact]
    public void DetectNeverThrowsOnPrefixes()
    {
        foreach (var f in Fixtures.All("gotext", "*.txt").Concat(Fixtures.All("gotext/bad", "*.txt")))
        {
            var bytes = File.ReadAllBytes(Fixtures.Path(f));
            foreach (var r in ProfileFormats.Readers)
                for (int n = 0; n < Math.Min(bytes.Length, 400); n += 7)
                {
                    r.Detect(bytes.AsSpan(0, n), false);
                    r.Detect(bytes.AsSpan(0, n), true);
                }
        }
    }
}
