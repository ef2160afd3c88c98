using System.Text;
using System.Text.Json;
using FlameKit.Formats;
using FlameKit.Formats.ChromeTrace;
using FlameKit.Formats.Speedscope;
using FlameKit.Tests.Formats.Speedscope;

namespace FlameKit.Tests.Formats.ChromeTrace;

public class ChromeTraceTests
{
    [Fact]
    public void CpuProfileAgreesWithSpeedscope()
    {
        var p = ReferenceSummaries.Read("chrome/node-workload.cpuprofile");
        Assert.Equal("cpuprofile", Detect("chrome/node-workload.cpuprofile"));
        ReferenceSummaries.AssertAgrees("chrome/node-workload.cpuprofile", p);
    }

    [Theory]
    [InlineData("chrome/node-trace-events.array.json")]
    [InlineData("chrome/node-trace-events.array-truncated.json")]
    [InlineData("chrome/node-trace-events.object.json")]
    [InlineData("chrome/netapp-gc-verbose.chromium.json")]
    public void DurationEventTracesHaveSpeedscopesTotals(string fixture)
    {
        Assert.Equal("chrome", Detect(fixture));
        var p = ReferenceSummaries.Read(fixture);
        // speedscope names trace frames "name {args json}"; FlameKit names them by event name, so only totals compare.
        ReferenceSummaries.AssertAgrees(fixture, p, compareTopFrames: false);
    }

    [Fact]
    public void DotnetTraceChromiumFramesAgreeWithSpeedscope()
    {
        // dotnet-trace's events have no args, so speedscope's frame names are the event names.
        ReferenceSummaries.AssertAgrees("chrome/netapp-gc-verbose.chromium.json", ReferenceSummaries.Read("chrome/netapp-gc-verbose.chromium.json"));
    }

    [Fact]
    public void TruncatedArrayIsReadWithAWarningAndAgreesWithTheWholeArray()
    {
        var diags = new List<string>();
        var truncated = ReferenceSummaries.Read("chrome/node-trace-events.array-truncated.json", diagnostics: diags);
        Assert.Contains(diags, d => d.Contains("truncated"));
        var whole = ReferenceSummaries.Read("chrome/node-trace-events.array.json");
        Assert.Equal(SpeedscopeTests.Timeline(whole), SpeedscopeTests.Timeline(truncated));
    }

    [Fact]
    public void TraceCutInsideAnEventDropsOnlyThatEvent()
    {
        var bytes = File.ReadAllBytes(Fixtures.Path("chrome/node-trace-events.array.json"));
        var cut = bytes.AsSpan(0, bytes.Length * 2 / 3).ToArray();
        var diags = new List<string>();
        var p = ProfileFormats.Read(new MemoryStream(cut), new ReadOptions { Diagnostics = d => diags.Add(d.Message) }).Profile;
        Assert.True(p.SampleCount > 0);
        Assert.Contains(diags, d => d.Contains("incomplete last event"));
    }

    [Fact]
    public void ChromiumProfileChunksAreReadAsCpuSamples()
    {
        var diags = new List<string>();
        var p = ReferenceSummaries.Read("chrome/chromium-startup-trace.json.gz", diagnostics: diags);
        Assert.Contains(diags, d => d.Contains("CPU profile"));
        var mine = ReferenceSummaries.Summaries(p);
        // Two renderer processes each recorded a CPU profile (id 0x1). speedscope 1.25 restarts at every Profile
        // event and concatenates all later chunks of both processes into one profile (total 4744645 µs);
        // FlameKit keeps one thread per (pid, profile id): totals are each profile's sum of time deltas (negative deltas read as 0, as speedscope does).
        Assert.Equal([2_368_055_000L, 2_961_335_000L], mine.Values.Select(m => m.Total).Order());
        var names = mine.Values.SelectMany(m => m.Frames.Select(f => f.Name)).ToHashSet();
        foreach (var top in ReferenceSummaries.Entry("chrome/chromium-startup-trace.json.gz").GetProperty("profiles")[0].GetProperty("top").EnumerateArray())
            Assert.Contains(top.GetProperty("name").GetString()!.Replace("work.html:undefined", "work.html"), names);
    }

    [Theory]
    [InlineData("chrome/node-workload.cpuprofile")]
    [InlineData("chrome/netapp-gc-verbose.chromium.json")]
    [InlineData("chrome/node-trace-events.object.json")]
    public void ChromeTraceRoundTripKeepsEveryThreadsFlameChart(string fixture)
    {
        var p = ReferenceSummaries.Read(fixture);
        var bytes = SpeedscopeTests.Write(new ChromeTraceWriter(), p);
        var q = ProfileFormats.Read(new MemoryStream(bytes)).Profile;
        var (bp, bq) = (Busy(p), Busy(q));
        var diff = bp.Keys.Union(bq.Keys).Where(k => bp.GetValueOrDefault(k) != bq.GetValueOrDefault(k)).Take(5).Select(k => $"{k}: {bp.GetValueOrDefault(k)} vs {bq.GetValueOrDefault(k)}");
        Assert.True(bp.Count == bq.Count && !diff.Any(), string.Join("\n", diff));
        Assert.Equal(bytes, SpeedscopeTests.Write(new ChromeTraceWriter(), p));
    }

    [Fact]
    public void WriterNestsXEventsAndNamesThreads()
    {
        var b = new ProfileBuilder([new SampleType("wall", "nanoseconds")]);
        var t = b.AddThread(new ThreadInfo(7, "worker", 3, "app"));
        var a = b.AddFrame("a"); var c = b.AddFrame("c"); var d = b.AddFrame("d");
        var sa = b.Push(StackId.Empty, a);
        b.AddSample(b.Push(sa, c), [1000], 0, t);
        b.AddSample(b.Push(sa, c), [1000], 1000, t);
        b.AddSample(b.Push(sa, d), [2000], 2000, t);
        b.AddSample(StackId.Empty, [1000], 4000, t);
        b.AddSample(sa, [500], 5000, t);
        var json = Encoding.UTF8.GetString(SpeedscopeTests.Write(new ChromeTraceWriter(), b.Build()));
        using var doc = JsonDocument.Parse(json);
        var ev = doc.RootElement.GetProperty("traceEvents").EnumerateArray()
            .Select(e => e.GetProperty("ph").GetString() == "M"
                ? $"M {e.GetProperty("name").GetString()}={e.GetProperty("args").GetProperty("name").GetString()}"
                : $"X {e.GetProperty("name").GetString()} {e.GetProperty("ts").GetDouble()}+{e.GetProperty("dur").GetDouble()} {e.GetProperty("pid").GetInt64()}/{e.GetProperty("tid").GetInt64()}").ToList();
        Assert.Equal(["M process_name=app", "M thread_name=worker", "X c 0+2 3/7", "X d 2+2 3/7", "X a 0+4 3/7", "X a 5+0.5 3/7"], ev);
    }

    [Fact]
    public void DetectionTellsTheJsonFormatsApart()
    {
        Assert.Equal("chrome", Detect("chrome/chromium-startup-trace.json.gz"));
        Assert.Equal("speedscope", Detect("speedscope/node-workload.cpuprofile.speedscope.json"));
        Assert.Equal(Detection.No, new ChromeTraceReader().Detect("{\"nodes\":[{\"callFrame\":{}}]}"u8, true));
        Assert.Equal(Detection.No, new ChromeCpuProfileReader().Detect("[{\"ph\":\"X\"}]"u8, true));
    }

    [Fact]
    public void ObjectFormSamplesAreTimestampedSamplesPerThread()
    {
        // stackFrames comes after samples; ids are numbers and strings; weights count, time runs to the next sample.
        var diags = new List<string>();
        var p = ReferenceSummaries.Read("chrome/trace-samples.json", diagnostics: diags);
        Assert.Equal(["wall/nanoseconds", "samples/count"], p.SampleTypes.Select(t => $"{t.Type}/{t.Unit}"));
        Assert.Equal("wall", p.SampleTypes[p.DefaultSampleTypeIndex].Type);
        Assert.Contains(diags, d => d.Contains("read those and ignored 2 duration events"));
        Assert.Equal(new Dictionary<string, List<string>>
        {
            ["app (pid 1), main (tid 1)"] = ["1000000 main;run;parse 100000 1", "1100000 main;run;parse 150000 1", "1250000 main;run;render 50000 1", "1300000 main;idle 200000 1", "1500000 main;run 0 1"],
            ["app (pid 1), worker (tid 2)"] = ["1000000 main;run;render 200000 2", "1200000 main;run;parse 200000 1", "1400000 main;run;render 0 1"],
        }, Samples(p));
    }

    /// <summary>
    /// The object form cut short inside <c>samples</c> or <c>stackFrames</c> (the fixture cut at the given
    /// text, or just before it): what is complete is read, with one diagnostic line.
    /// </summary>
    [Theory]
    // Inside the 5th sample: the first four are read; stackFrames (after samples) is lost, so their ids are unknown.
    [InlineData("samples", "\"ts\": 1200", 0, true)]
    // Right after the 4th sample's comma: nothing partial to drop.
    [InlineData("samples", "{\"cpu\": 1, \"pid\": 1, \"tid\": 2, \"ts\": 1200", 0, false)]
    // Inside stackFrames entry "4" (its object, its id, just after its id): entries 1 to 3 are read.
    [InlineData("stackFrames", "\"name\": \"render\"", 0, true)]
    [InlineData("stackFrames", "\"4\": {\"name\": \"render\"", 2, true)]
    [InlineData("stackFrames", "\"4\": {\"name\": \"render\"", 4, false)]
    public void ObjectFormCutInsideSamplesOrStackFramesReadsWhatIsComplete(string where, string cutAt, int keep, bool partial)
    {
        var bytes = File.ReadAllBytes(Fixtures.Path("chrome/trace-samples.json"));
        int at = System.Text.Encoding.UTF8.GetString(bytes).IndexOf(cutAt, StringComparison.Ordinal);
        Assert.True(at > 0, cutAt);
        var cut = bytes.AsSpan(0, at + keep).ToArray();
        var diags = new List<string>();
        var p = new ChromeTraceReader().Read(new MemoryStream(cut), new ReadOptions { Diagnostics = d => diags.Add(d.Message) });
        var truncated = diags.Where(d => d.Contains("truncated")).ToList();
        Assert.Single(truncated);
        Assert.Contains($"truncated inside \"{where}\"", truncated[0]);
        Assert.Equal(partial, truncated[0].Contains("incomplete last entry was dropped"));
        if (where == "samples")
        {
            Assert.Equal(new Dictionary<string, List<string>>
            {
                ["app (pid 1), main (tid 1)"] = ["1000000 (unknown stack frame) 100000 1", "1100000 (unknown stack frame) 150000 1", "1250000 (unknown stack frame) 0 1"],
                ["app (pid 1), worker (tid 2)"] = ["1000000 (unknown stack frame) 0 2"],
            }, Samples(p));
            Assert.Contains(diags, d => d.Contains("2 stack frame ids are not in stackFrames"));
        }
        else
        {
            // Entries 4 and 5 are missing: their samples get the unknown frame, the others their whole stack.
            Assert.Equal(new Dictionary<string, List<string>>
            {
                ["app (pid 1), main (tid 1)"] = ["1000000 main;run;parse 100000 1", "1100000 main;run;parse 150000 1", "1250000 (unknown stack frame) 50000 1", "1300000 (unknown stack frame) 200000 1", "1500000 main;run 0 1"],
                ["app (pid 1), worker (tid 2)"] = ["1000000 (unknown stack frame) 200000 2", "1200000 main;run;parse 200000 1", "1400000 (unknown stack frame) 0 1"],
            }, Samples(p));
        }
    }

    [Fact]
    public void ObjectFormCutOutsideTheListsIsStillAnError()
    {
        // Cut inside "metadata"-like top-level text (here: the name of the property after samples): not a list, an error.
        var bytes = File.ReadAllBytes(Fixtures.Path("chrome/trace-samples.json"));
        int at = System.Text.Encoding.UTF8.GetString(bytes).IndexOf("\"stackFrames\"", StringComparison.Ordinal) + 5;
        Assert.Throws<ProfileFormatException>(() => new ChromeTraceReader().Read(new MemoryStream(bytes.AsSpan(0, at).ToArray()), new ReadOptions()));
    }

    [Fact]
    public void SampleEventsTakeTheirStackFromSfOrAStackArray()
    {
        var diags = new List<string>();
        var p = ReferenceSummaries.Read("chrome/trace-sample-events.json", diagnostics: diags);
        // In time order (the file is not); the P event without sf/stack is dropped and said so; sf 9 is not in stackFrames.
        Assert.Equal(new Dictionary<string, List<string>>
        {
            ["pid 7, sampler (tid 70)"] = ["10000 main;loop;work 10000 1", "20000 v8;gc 10000 1", "30000 main;loop;work 30000 3", "60000 (unknown stack frame) 0 1"],
        }, Samples(p));
        Assert.Contains(diags, d => d.Contains("ignored 1 sample events without a stack"));
        Assert.Contains(diags, d => d.Contains("1 stack frame ids are not in stackFrames"));
    }

    [Fact]
    public void DotnetTraceSfIdsAreNotStacksTheNestingIs()
    {
        // dotnet-trace writes one stackFrames entry per function name, parented where that name first occurred,
        // so a B event's sf chain is mostly not its stack. The B/E nesting is: read that way, every thread's
        // time per frame equals dotnet-trace's own speedscope conversion of the same trace (frames there are
        // "Module!name"; totals in ms with float noise).
        var diags = new List<string>();
        var chromium = ReferenceSummaries.Summaries(ReferenceSummaries.Read("chrome/netapp-cpu.chromium.json.gz", diagnostics: diags));
        Assert.Contains(diags, d => d.Contains("16388 duration events carry sf/stack"));
        Assert.DoesNotContain(diags, d => d.Contains("did not match"));
        var speedscope = ReferenceSummaries.Summaries(ReferenceSummaries.Read("speedscope/netapp-cpu.speedscope.json.gz", selector: "all"));
        Assert.Equal(13, chromium.Count);
        foreach (var (label, (total, frames)) in chromium)
        {
            string tid = label[(label.LastIndexOf("tid ", StringComparison.Ordinal) + 4)..].TrimEnd(')');
            var (refTotal, refFrames) = speedscope.Single(kv => kv.Key.StartsWith($"Thread ({tid})", StringComparison.Ordinal)).Value;
            Assert.True(Math.Abs(total - refTotal) < 1000, $"{label}: {total} vs {refTotal}");
            var mine = frames.GroupBy(f => f.Name).ToDictionary(g => g.Key, g => g.Sum(f => f.Self));
            var theirs = refFrames.GroupBy(f => f.Name[(f.Name.IndexOf('!') + 1)..]).ToDictionary(g => g.Key, g => g.Sum(f => f.Self));
            Assert.Equal(theirs.Keys.Order(), mine.Keys.Order());
            foreach (var (name, self) in theirs) Assert.True(Math.Abs(self - mine[name]) < 1000, $"{label} {name}: {mine[name]} vs {self}");
        }
    }

    /// <summary>Per thread label, in time order: "timestamp stack wall samples".</summary>
    private static Dictionary<string, List<string>> Samples(Profile p)
    {
        var trie = FrameTrie.Build(p);
        var path = new List<string>();
        var d = new Dictionary<string, List<string>>();
        foreach (int i in Enumerable.Range(0, p.SampleCount).OrderBy(p.SampleTimestamp))
        {
            string label = SpeedscopeWriter.ThreadLabel(p.Threads[p.SampleThread(i).Index]);
            if (!d.TryGetValue(label, out var list)) d[label] = list = [];
            trie.PathRootFirst(trie.NodeOf(p.SampleStack(i)), path);
            list.Add($"{p.SampleTimestamp(i)} {string.Join(";", path)} {p.SampleValue(i, 0)} {p.SampleValue(i, 1)}");
        }
        return d;
    }

    /// <summary>
    /// Events at equal times are ordered by the documented rules: X closes, then B/E in file order, then X
    /// opens; of X events starting together the longer is outer, of equal X spans the later in the file;
    /// closes at one time go inner (later start) first. Listed out of order in the file, on purpose.
    /// </summary>
    [Fact]
    public void EventsAtEqualTimesNestByTheTieRules()
    {
        string json = """
            [
            {"name":"e","ph":"X","ts":2,"dur":3,"pid":1,"tid":1},
            {"name":"a","ph":"X","ts":0,"dur":10,"pid":1,"tid":1},
            {"name":"d","ph":"X","ts":5,"dur":5,"pid":1,"tid":1},
            {"name":"b","ph":"X","ts":0,"dur":10,"pid":1,"tid":1},
            {"name":"c","ph":"X","ts":0,"dur":5,"pid":1,"tid":1},
            {"name":"h","ph":"X","ts":4,"dur":2,"pid":1,"tid":2},
            {"name":"g","ph":"X","ts":0,"dur":4,"pid":1,"tid":2},
            {"name":"f","ph":"B","ts":0,"pid":1,"tid":2},
            {"name":"i","ph":"B","ts":4,"pid":1,"tid":2},
            {"ph":"E","ts":4,"pid":1,"tid":2},
            {"ph":"E","ts":4,"pid":1,"tid":2}
            ]
            """;
        var diags = new List<string>();
        var p = new ChromeTraceReader().Read(new MemoryStream(Encoding.UTF8.GetBytes(json)), new ReadOptions { Diagnostics = d => diags.Add(d.Message) });
        var trie = FrameTrie.Build(p);
        var path = new List<string>();
        var got = new List<string>();
        for (int i = 0; i < p.SampleCount; i++)
        {
            trie.PathRootFirst(trie.NodeOf(p.SampleStack(i)), path);
            got.Add($"{p.Threads[p.SampleThread(i).Index].Id} {p.SampleTimestamp(i)} {string.Join(";", path)} {p.SampleValue(i, 0)}");
        }
        // Thread 1: b (later of two equal spans) outside a; c (shorter) inside; at 5, e closes before c, then d opens.
        // Thread 2: at 0, B f before the X open g; at 4, the X close of g, then B i, then the two E events
        // (file order: the first closes i, the second f), then the X open h.
        Assert.Equal(
        [
            "1 0 b;a;c 2000", "1 2000 b;a;c;e 3000", "1 5000 b;a;d 5000",
            "2 0 f;g 4000", "2 4000 h 2000",
        ], got);
        Assert.DoesNotContain(diags, d => d.Contains("did not match"));
    }

    [Fact]
    public void MalformedTraceIsAFormatErrorWithAByteOffset()
    {
        var e = Assert.Throws<ProfileFormatException>(() => ProfileFormats.Read(new MemoryStream("{\"traceEvents\":[{\"ph\":\"B\",}x]}"u8.ToArray())));
        Assert.Equal("chrome", e.FormatName);
        Assert.NotNull(e.ByteOffset);
    }

    /// <summary>Per thread, self time per stack, without idle time (a Chrome trace holds no idle samples).</summary>
    private static Dictionary<string, long> Busy(Profile p)
    {
        var trie = FrameTrie.Build(p);
        var path = new List<string>();
        var d = new Dictionary<string, long>();
        for (int i = 0; i < p.SampleCount; i++)
        {
            if (p.SampleStack(i).IsEmpty) continue;
            trie.PathRootFirst(trie.NodeOf(p.SampleStack(i)), path);
            var t = p.SampleThread(i);
            string key = (t.IsNone ? "" : p.Threads[t.Index].Id.ToString(System.Globalization.CultureInfo.InvariantCulture)) + "|" + string.Join(";", path);
            d[key] = d.GetValueOrDefault(key) + p.SampleValue(i, 0);
        }
        return d;
    }

    private static string? Detect(string fixture)
    {
        var (_, head, complete) = ProfileFormats.Peek(File.OpenRead(Fixtures.Path(fixture)));
        return ProfileFormats.Detect(head, complete)?.Format.Name;
    }
}
