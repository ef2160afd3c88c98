using System.Text;
using FlameKit.Formats;
using FlameKit.Formats.Folded;

namespace FlameKit.Tests.Formats.GoText;

/// <summary>Goroutine dumps (?debug=2): aggregation, labels, state as root, against ?debug=1 of the same moment.</summary>
public class GoroutineDumpTests
{
    internal static Profile ReadText(string text, ReadOptions? options = null, string? format = null) =>
        ProfileFormats.Read(new MemoryStream(Encoding.UTF8.GetBytes(text)), options, format).Profile;

    /// <summary>
    /// Function-name stacks (root first) with their goroutine counts. Go's two dumps hide different runtime
    /// frames (debug=1 hides leading runtime.* frames and runtime.goexit, debug=2 hides runtime.* frames
    /// everywhere), so runtime.* and unsymbolised frames are left out on both sides.
    /// </summary>
    private const int MaxCompared = 24;

    internal static Dictionary<string, long> CountsByNameStack(Profile p)
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        var buf = new LocationId[4096];
        for (int i = 0; i < p.SampleCount; i++)
        {
            int n = p.CopyStackRootFirst(p.SampleStack(i), buf);
            var names = new List<string>();
            for (int k = 0; k < n; k++)
            {
                var lines = p.Locations[buf[k].Index].Lines;
                for (int j = lines.Length - 1; j >= 0; j--) // outermost (caller) line first
                {
                    string name = p.Functions[lines[j].Function.Index].Name;
                    if (!name.StartsWith("runtime.", StringComparison.Ordinal)) names.Add(name);
                }
            }
            // debug=1 records keep the innermost 32 PCs (runtime.StackRecord), debug=2 up to 100 frames.
            if (names.Count > MaxCompared) names.RemoveRange(0, names.Count - MaxCompared);
            string key = string.Join(";", names);
            result[key] = result.GetValueOrDefault(key) + p.SampleValue(i, 0);
        }
        return result;
    }

    /// <summary>
    /// The zoo (every goroutine parked) and the leak program are quiet when dumped, so both dumps must agree
    /// stack for stack. The busy programs keep running between the two captures, so only the totals must
    /// agree and most goroutines (the parked ones) must have the same stacks.
    /// </summary>
    [Theory]
    [InlineData("blocking", 1.0)]
    [InlineData("leak", 1.0)]
    [InlineData("http", 0.75)]
    [InlineData("cpuwork", 0.6)]
    [InlineData("labels", 0.6)]
    public void CountsPerStackAgreeWithDebug1OfTheSameMoment(string prefix, double minAgreement)
    {
        var d2 = GoTextConformanceTests.Read($"gotext/{prefix}.goroutine.debug2.txt");
        var d1 = GoTextConformanceTests.Read($"gotext/{prefix}.goroutine.debug1.txt");
        Assert.Equal("goroutine/count", d2.SampleTypes.Single().ToString());
        Assert.Equal(d1.Total(0), d2.Total(0));
        // The goroutine writing the dumps is in different runtime/pprof functions in the two dumps.
        static bool Dumper(string stack) => stack.Contains("runtime/pprof.write", StringComparison.Ordinal) || stack.Contains("runtime/pprof.printCountProfile", StringComparison.Ordinal);
        var a = CountsByNameStack(d1).Where(kv => !Dumper(kv.Key)).ToDictionary();
        var b = CountsByNameStack(d2).Where(kv => !Dumper(kv.Key)).ToDictionary();
        long total = a.Values.Sum(), same = a.Sum(kv => Math.Min(kv.Value, b.GetValueOrDefault(kv.Key)));
        var diff = a.Except(b).Select(kv => $"debug1 only: {kv.Value} × {kv.Key}")
            .Concat(b.Except(a).Select(kv => $"debug2 only: {kv.Value} × {kv.Key}")).ToList();
        Assert.True(same >= minAgreement * total, $"{same} of {total} goroutines agree:\n" + string.Join("\n", diff));
    }

    [Fact]
    public void IdenticalStacksAggregateAndKeepStateWaitCreatorAsLabels()
    {
        const string dump = """
            goroutine 7 [chan receive, 3 minutes]:
            main.worker(0xc000010000)
            	/src/main.go:20 +0x45
            created by main.main in goroutine 1
            	/src/main.go:10 +0x30

            goroutine 8 [chan receive, 3 minutes]:
            main.worker(0xc000010008)
            	/src/main.go:20 +0x45
            created by main.main in goroutine 1
            	/src/main.go:10 +0x30

            goroutine 9 [chan receive, locked to thread]:
            main.worker(0xc000010010)
            	/src/main.go:20 +0x45
            created by main.main
            	/src/main.go:10 +0x30

            goroutine 1 [running]:
            	goroutine running on other thread; stack unavailable

            """;
        var p = ReadText(dump);
        Assert.Equal(3, p.SampleCount);
        Assert.Equal(4, p.Total(0));
        var first = p.Labels(p.SampleLabels(0)).ToArray();
        Assert.Equal([new Label("state", "chan receive"), new Label("wait", "3 minutes"), new Label("created_by", "main.main")], first);
        Assert.Equal(2, p.SampleValue(0, 0));
        Assert.Contains(new Label("locked_to_thread", "true"), p.Labels(p.SampleLabels(1)).ToArray());
        Assert.True(p.SampleStack(2).IsEmpty); // [running] with no stack
        var loc = p.Locations[p.StackLocation(p.SampleStack(0)).Index];
        Assert.Equal(20, loc.Lines[0].Number);
        Assert.Equal("/src/main.go", p.Functions[loc.Lines[0].Function.Index].File);
    }

    [Fact]
    public void StateAsRootFrameSplitsByState()
    {
        var p = GoTextConformanceTests.Read("gotext/blocking.goroutine.debug2.txt", new ReadOptions { GoroutineStateAsRootFrame = true });
        var folded = FoldedReaderTestsAccess.WriteFolded(p);
        var roots = folded.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l[..l.LastIndexOf(' ')].Split(';')[0]).ToHashSet();
        Assert.Contains("[chan receive]", roots);
        Assert.Contains("[select]", roots);
        Assert.All(roots, r => Assert.StartsWith("[", r));
        var plain = GoTextConformanceTests.Read("gotext/blocking.goroutine.debug2.txt");
        Assert.Equal(plain.Total(0), p.Total(0));
    }

    [Fact]
    public void InlinedFramesJoinTheirCallerLocation()
    {
        const string dump = """
            goroutine 43 [chan receive]:
            main.parkChanRecv(...)
            	/home/dev/main.go:204
            main.zoo.func3()
            	/home/dev/main.go:294 +0x3c
            main.Map[...]({0xc0000, 0x3, 0x3}, 0x4b2a10)
            	/home/dev/generic.go:12 +0x1d
            main.outer.func1.2()
            	G:/Go/src/main/closure.go:7 +0x25
            created by main.zoo.func2
            	/home/dev/main.go:291 +0x45
            """;
        var p = ReadText(dump.Replace("\n", "\r\n"));
        var buf = new LocationId[8];
        int n = p.CopyStackLeafFirst(p.SampleStack(0), buf);
        Assert.Equal(3, n);
        var leaf = p.Locations[buf[0].Index].Lines.ToArray();
        Assert.Equal(["main.parkChanRecv", "main.zoo.func3"], leaf.Select(l => p.Functions[l.Function.Index].Name));
        Assert.Equal("main.Map[...]", p.Functions[p.Locations[buf[1].Index].Lines[0].Function.Index].Name);
        var closure = p.Locations[buf[2].Index].Lines[0];
        Assert.Equal("main.outer.func1.2", p.Functions[closure.Function.Index].Name);
        Assert.Equal("G:/Go/src/main/closure.go", p.Functions[closure.Function.Index].File);
        Assert.Equal(7, closure.Number);
    }

    [Fact]
    public void PanicOutputKeepsTheMessageAsComment()
    {
        const string dump = """
            panic: runtime error: index out of range [5] with length 3

            goroutine 1 [running]:
            main.main()
            	/tmp/x/main.go:8 +0x1d
            exit status 2
            """;
        var p = ReadText(dump);
        Assert.Equal("panic: runtime error: index out of range [5] with length 3", p.Comments[0]);
        Assert.Equal(1, p.Total(0));
    }
}

internal static class FoldedReaderTestsAccess
{
    public static string WriteFolded(Profile p)
    {
        var ms = new MemoryStream();
        new FoldedWriter().Write(p, ms, WriteOptions.Default);
        return Encoding.UTF8.GetString(ms.ToArray());
    }
}
