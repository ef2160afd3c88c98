using System.Text.Json;
using FlameKit.Formats;
using FlameKit.Formats.ChromeTrace;
using FlameKit.Formats.Speedscope;

namespace FlameKit.Tests.Formats.SpeedscopeApp;

/// <summary>
/// Conformance with the real speedscope web app (npm package <c>speedscope</c>, pinned in
/// tests/speedscope-app): FlameKit's outputs are served from 127.0.0.1 and opened through
/// <c>#profileURL=</c> in headless chromium. Each must load without any error, show the expected profile
/// names and totals in the toolbar's profile selector, and export (speedscope's own Export button) the same
/// totals exactly. One browser for the class, one page per file.
/// </summary>
public class SpeedscopeAppTests(SpeedscopeAppHost host) : IClassFixture<SpeedscopeAppHost>
{
    private static byte[] Write(IProfileWriter writer, Profile p, List<string>? diagnostics = null)
    {
        var ms = new MemoryStream();
        writer.Write(p, ms, new WriteOptions { Diagnostics = d => diagnostics?.Add(d.Message) });
        return ms.ToArray();
    }

    private static Profile Read(byte[] bytes, string name, string? selector = null) =>
        ProfileFormats.Read(new MemoryStream(bytes), new ReadOptions { SourceName = name, ProfileSelector = selector }).Profile;

    private static Profile ReadFixture(string fixture, string? selector = null) =>
        Read(File.ReadAllBytes(Fixtures.Path(fixture)), fixture, selector);

    /// <summary>What a speedscope file says about its profiles: name, unit and the sum of weights (or end − start).</summary>
    private static List<(string Name, string Unit, double Total)> Declared(byte[] speedscope, out int active)
    {
        using var doc = JsonDocument.Parse(speedscope);
        active = doc.RootElement.TryGetProperty("activeProfileIndex", out var a) ? a.GetInt32() : 0;
        var list = new List<(string, string, double)>();
        foreach (var p in doc.RootElement.GetProperty("profiles").EnumerateArray())
        {
            double total = p.GetProperty("type").GetString() == "sampled"
                ? p.GetProperty("weights").EnumerateArray().Sum(w => w.GetDouble())
                : p.GetProperty("endValue").GetDouble() - p.GetProperty("startValue").GetDouble();
            list.Add((p.GetProperty("name").GetString()!, p.GetProperty("unit").GetString()!, total));
        }
        return list;
    }

    /// <summary>
    /// Opens a FlameKit speedscope file in the app and asserts that it loads cleanly, shows every profile's
    /// name and total as the file declares them, and holds exactly those totals. Returns the export.
    /// </summary>
    private async Task<IReadOnlyList<SpeedscopeView.ExportedProfile>> AssertLoads(string fileName, byte[] speedscope)
    {
        SpeedscopeSchema.AssertValid(speedscope, fileName);
        var declared = Declared(speedscope, out int active);
        await using var view = await host.OpenAsync(fileName, speedscope);
        await view.WaitLoadedAsync();

        var title = await view.TitleAsync();
        Assert.Equal(declared.Count == 1 ? declared[0].Name : $"{declared[active].Name} ({active + 1}/{declared.Count})", title);
        // With several profiles, the toolbar's profile selector lists each with its total weight.
        var shown = await view.ProfilesShownAsync();
        if (declared.Count > 1)
        {
            Assert.Equal(declared.Select(d => d.Name), shown.Select(s => s.Name));
            Assert.Equal(declared.Select(d => SpeedscopeView.Format(d.Total, d.Unit)), shown.Select(s => s.Total));
        }
        else Assert.Empty(shown);

        var exported = await view.ExportAsync();
        Assert.Equal(declared.Select(d => d.Name), exported.Select(e => e.Name));
        Assert.Equal(declared.Select(d => d.Unit), exported.Select(e => e.Unit));
        for (int i = 0; i < declared.Count; i++)
            Assert.True(Math.Abs(declared[i].Total - exported[i].Total) <= 1e-9 * Math.Abs(declared[i].Total),
                $"{declared[i].Name}: speedscope holds a total of {exported[i].Total}, the file declares {declared[i].Total}");
        Assert.True(view.Errors.Count == 0, string.Join("\n", view.Errors));
        return exported;
    }

    /// <summary>A pprof-shaped profile (as the pprof reader builds one): two sample types, mappings, addresses and an inlined call.</summary>
    internal static Profile PprofWithInlining()
    {
        var b = new ProfileBuilder([new SampleType("alloc_space", "bytes"), new SampleType("cpu", "nanoseconds")]) { DefaultSampleType = "cpu" };
        var main = b.AddFunction("main", file: "main.go");
        var work = b.AddFunction("work", file: "work.go");
        var inlined = b.AddFunction("hash", file: "hash.go");
        var alloc = b.AddFunction("runtime.mallocgc", file: "malloc.go");
        var m = b.AddMapping(new Mapping(0x400000, 0x500000, 0, "/bin/app", "abc"));
        var lMain = b.AddLocation(0x401000, m, [new Line(main, 10)]);
        var lWork = b.AddLocation(0x402000, m, [new Line(inlined, 7), new Line(work, 22)]); // hash inlined into work
        var lAlloc = b.AddLocation(0x403000, m, [new Line(alloc, 900)]);
        var sMain = b.StackFromRootFirst([lMain]);
        var sWork = b.StackFromRootFirst([lMain, lWork]);
        var sAlloc = b.StackFromRootFirst([lMain, lWork, lAlloc]);
        b.AddSample(sWork, [0, 30_000_000]);
        b.AddSample(sAlloc, [4096 * 300, 10_000_000]);
        b.AddSample(sMain, [512, 1_234_567]);
        b.AddSample(sAlloc, [1 << 20, 0]);
        return b.Build();
    }

    [Fact]
    public async Task PprofWithTwoSampleTypesAndInlining()
    {
        var p = PprofWithInlining();
        var ss = Write(new SpeedscopeWriter(), p);
        var exported = await AssertLoads("inlined.speedscope.json", ss);
        Assert.Equal(["alloc_space", "cpu"], exported.Select(e => e.Name));
        Assert.Equal(p.Total(0), exported[0].Total);
        Assert.Equal(p.Total(1), exported[1].Total);
        // The inlined function is its own frame, called by work.
        var cpuFrames = exported[1].Events.Where(e => e.Type == 'O').Select(e => e.Frame).Distinct().ToList();
        Assert.Equal(["main", "work", "hash", "runtime.mallocgc"], cpuFrames);
    }

    [Theory]
    [InlineData("folded/node-workload.collapsed-all.folded")]
    [InlineData("folded/edge-fractional.folded")]
    [InlineData("folded/edge-xml-escape.folded")]
    [InlineData("chrome/node-workload.cpuprofile")]
    [InlineData("chrome/node-trace-events.object.json")]
    public async Task FlameKitSpeedscopeOutputLoads(string fixture)
    {
        var p = ReadFixture(fixture);
        var ss = Write(new SpeedscopeWriter(), p);
        var exported = await AssertLoads(Path.GetFileName(fixture) + ".speedscope.json", ss);
        // Totals in the model's unit: speedscope's units are the model's for time (and bytes), "none" for counts.
        int t = p.DefaultSampleTypeIndex;
        double scale = Math.Pow(10, p.SampleTypes[t].DecimalPlaces);
        Assert.Equal(p.Total(t) / scale, exported.Sum(e => e.Name.EndsWith($"[{p.SampleTypes[t].Type}]", StringComparison.Ordinal) || p.SampleTypes.Count == 1 ? e.Total : 0), 6);
    }

    [Theory]
    [InlineData("speedscope/node-workload.cpuprofile.speedscope.json")]
    [InlineData("speedscope/netapp-gc-verbose.speedscope.json")]
    public async Task RoundTripKeepsTotalsFramesAndOrder(string fixture)
    {
        var original = File.ReadAllBytes(Fixtures.Path(fixture));
        var p = ReadFixture(fixture, "all");
        var ss = Write(new SpeedscopeWriter(), p);
        var ours = await AssertLoads("roundtrip-" + Path.GetFileName(fixture), ss);

        await using var view = await host.OpenAsync("original-" + Path.GetFileName(fixture), original);
        await view.WaitLoadedAsync();
        var theirs = await view.ExportAsync();

        Assert.Equal(theirs.Select(e => e.Name), ours.Select(e => e.Name));
        // FlameKit keeps time in nanoseconds: the unit may change, the values (and what speedscope shows) do not.
        Assert.All(ours, e => Assert.Equal("nanoseconds", e.Unit));
        for (int i = 0; i < theirs.Count; i++)
        {
            double perUnit = NanosPerUnit(theirs[i].Unit);
            Assert.Equal(theirs[i].Total * perUnit, ours[i].Total, 0);
            Assert.Equal(SpeedscopeView.Format(theirs[i].Total, theirs[i].Unit), SpeedscopeView.Format(ours[i].Total, ours[i].Unit));
            // Same calls in the same order: speedscope's own export walks its call tree in time order.
            Assert.Equal(theirs[i].Events.Count, ours[i].Events.Count);
            for (int e = 0; e < theirs[i].Events.Count; e++)
            {
                Assert.Equal((theirs[i].Events[e].Type, theirs[i].Events[e].Frame), (ours[i].Events[e].Type, ours[i].Events[e].Frame));
                Assert.Equal(theirs[i].Events[e].At * perUnit, ours[i].Events[e].At, 0);
            }
        }
    }

    private static double NanosPerUnit(string unit) => unit switch
    {
        "microseconds" => 1e3,
        "milliseconds" => 1e6,
        "seconds" => 1e9,
        _ => 1,
    };

    [Fact]
    public async Task TraceSamplesImportAsSpeedscopeImportsThem()
    {
        // speedscope's trace importer reads a trace with stackFrames and samples as samples per pid/tid, each
        // lasting until the thread's next sample. FlameKit's wall time per thread and per leaf frame must
        // match what the app shows (frames are distinct per name here, so leaf names identify them).
        var bytes = File.ReadAllBytes(Fixtures.Path("chrome/trace-samples.json"));
        await using var view = await host.OpenAsync("trace-samples.json", bytes);
        await view.WaitLoadedAsync();
        var exported = await view.ExportAsync();
        Assert.True(view.Errors.Count == 0, string.Join("\n", view.Errors));
        var p = ReadFixture("chrome/trace-samples.json");
        var mine = Enumerable.Range(0, p.SampleCount).GroupBy(i => SpeedscopeWriter.ThreadLabel(p.Threads[p.SampleThread(i).Index]))
            .ToDictionary(g => g.Key, g => g.Where(i => p.SampleValue(i, 0) > 0)
                .GroupBy(i => p.Functions[p.Locations[p.StackLocation(p.SampleStack(i)).Index].Lines[0].Function.Index].Name)
                .ToDictionary(f => f.Key, f => f.Sum(i => p.SampleValue(i, 0)) / 1000.0));
        Assert.Equal(mine.Keys.Order(), exported.Select(e => e.Name).Order());
        foreach (var e in exported)
        {
            Assert.Equal("microseconds", e.Unit);
            Assert.Equal(mine[e.Name].Values.Sum(), e.Total, 6);
            // Self time per frame from speedscope's open/close events.
            var self = new Dictionary<string, double>();
            var open = new Stack<string>();
            double last = 0;
            foreach (var (type, frame, at) in e.Events)
            {
                if (open.Count > 0) self[open.Peek()] = self.GetValueOrDefault(open.Peek()) + at - last;
                last = at;
                if (type == 'O') open.Push(frame); else open.Pop();
            }
            Assert.Equal(mine[e.Name].OrderBy(kv => kv.Key), self.Where(kv => kv.Value > 0).OrderBy(kv => kv.Key));
        }
    }

    [Fact]
    public async Task ChromeTraceOutputImportsWithTheSameTotal()
    {
        var p = ReadFixture("chrome/node-workload.cpuprofile");
        var diagnostics = new List<string>();
        var trace = Write(new ChromeTraceWriter(), p, diagnostics);
        await using var view = await host.OpenAsync("node-workload.trace.json", trace);
        await view.WaitLoadedAsync();
        var exported = await view.ExportAsync();
        var profile = Assert.Single(exported);
        Assert.Equal("microseconds", profile.Unit);

        // A trace thread spans its first to last event: the idle time (empty stack) before the first frame
        // and after the last one cannot be written, and the writer says so. Everything else is kept.
        var order = Enumerable.Range(0, p.SampleCount).OrderBy(p.SampleTimestamp).ToList();
        long edges = order.TakeWhile(i => p.SampleStack(i) == StackId.Empty).Sum(i => p.SampleValue(i, 0))
                   + Enumerable.Reverse(order).TakeWhile(i => p.SampleStack(i) == StackId.Empty).Sum(i => p.SampleValue(i, 0));
        Assert.True(edges > 0);
        Assert.Contains(diagnostics, d => d.Contains("idle time before the first and after the last frame", StringComparison.Ordinal));
        Assert.Equal((p.Total(0) - edges) / 1000.0, profile.Total, 3);
        // FlameKit reads its own trace back with the total speedscope shows.
        Assert.Equal(profile.Total, Read(trace, "node-workload.trace.json").Total(0) / 1000.0, 3);
        Assert.Empty(await view.ProfilesShownAsync());
        Assert.Equal(profile.Name, await view.TitleAsync());
    }
}
