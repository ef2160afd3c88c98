using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;
using FlameKit.Formats;
using FlameKit.Formats.Nettrace;

namespace FlameKit.Tests.Cli;

/// <summary>
/// FlameKit's .nettrace reader against dotnet-trace's own Speedscope conversion: same threads, total time
/// per thread within 1%, same top-10 frames by self time. Checked against the conversions stored with the
/// fixtures, against the dotnet-trace tool run now, and on a trace recorded now from a small app of our own
/// (tests/NettraceApp), so the reader is checked against today's runtime too.
/// </summary>
public class NettraceConformanceTests
{
    public static TheoryData<string> Traces() => ["netapp-cpu", "netapp-gc-verbose", "netapp-clrevents-gc"];

    [Theory]
    [MemberData(nameof(Traces))]
    public void MatchesTheStoredDotnetTraceConversion(string name)
    {
        var ours = ReadNettrace(Fixtures.Path($"nettrace/{name}.nettrace.gz"));
        // dotnet-trace's conversions of these traces are the speedscope fixtures (one of them gzipped).
        string stored = $"speedscope/{name}.speedscope.json";
        using Stream reference = File.Exists(Path.Combine(Fixtures.RepoRoot, "fixtures", stored))
            ? File.OpenRead(Fixtures.Path(stored))
            : new GZipStream(File.OpenRead(Fixtures.Path(stored + ".gz")), CompressionMode.Decompress);
        AssertConforms(ours, reference, name);
    }

    [Theory]
    [MemberData(nameof(Traces))]
    public void MatchesDotnetTraceConvertRunNow(string name)
    {
        using var dir = new TempDir();
        string trace = Path.Combine(dir.Path, name + ".nettrace");
        using (var gz = new GZipStream(File.OpenRead(Fixtures.Path($"nettrace/{name}.nettrace.gz")), CompressionMode.Decompress))
        using (var f = File.Create(trace)) gz.CopyTo(f);
        string converted = DotnetTrace.Convert(trace, dir.Path);
        var ours = ReadNettrace(trace);
        using var reference = File.OpenRead(converted);
        AssertConforms(ours, reference, name);
        // The tool run now names the process exactly as FlameKit does (the stored files had paths shortened).
        if (ours.SampleCount > 0)
            Assert.Contains(ProcessFrame(ours), File.ReadAllText(converted), StringComparison.Ordinal);
    }

    [Fact]
    public void AFreshTraceOfOurOwnAppMatchesDotnetTrace()
    {
        using var dir = new TempDir();
        string app = NettraceApp.Build(dir.Path);
        string trace = Path.Combine(dir.Path, "fresh.nettrace");
        DotnetTrace.Run(dir.Path, "collect", "--output", trace, "--", "dotnet", app, "2", "3");
        string converted = DotnetTrace.Convert(trace, dir.Path);
        var ours = ReadNettrace(trace);
        using (var reference = File.OpenRead(converted)) AssertConforms(ours, reference, "fresh");

        // The workload's own frames, named Module!Type.Method(args), and its worker threads are there.
        var names = FrameNames(ours);
        Assert.Contains("nettrace-app!Workload.Spin()", names);
        Assert.Contains("nettrace-app!Workload.Recurse(int32)", names);
        Assert.True(ours.Threads.Count >= 4, $"expected the main thread and 3 workers, got {ours.Threads.Count}");
        Assert.All(ours.Threads, t => Assert.True(t.Id > 0 && t.ProcessId > 0 && t.ProcessName == "dotnet", t.ToString()));
    }

    [Fact]
    public void CpuOnlyKeepsTheManagedCodeTimeAndDropsThePseudoFrames()
    {
        string path = Fixtures.Path("nettrace/netapp-cpu.nettrace.gz");
        var all = ReadNettrace(path);
        var cpu = ReadNettrace(path, new NettraceOptions { CpuOnly = true });
        var allSelf = SelfTimes(all, stripPseudoLeaf: false);
        Assert.True(allSelf[NettraceReader.UnmanagedTimeFrame] > 0);
        Assert.Equal(allSelf[NettraceReader.CpuTimeFrame], cpu.Total(0));
        var cpuNames = FrameNames(cpu);
        Assert.DoesNotContain(NettraceReader.CpuTimeFrame, cpuNames);
        Assert.DoesNotContain(NettraceReader.UnmanagedTimeFrame, cpuNames);
        // Ackermann runs on CPU: all its time stays.
        Assert.Equal(SelfTimes(all, true)["netapp!FlameKitCorpus.RecursionWorker.Ackermann(int64,int64)"],
            SelfTimes(cpu, true)["netapp!FlameKitCorpus.RecursionWorker.Ackermann(int64,int64)"]);
    }

    [Fact]
    public void ThreadRootDropsTheProcessFrames()
    {
        var p = ReadNettrace(Fixtures.Path("nettrace/netapp-cpu.nettrace.gz"), new NettraceOptions { ProcessFrames = false });
        var roots = new HashSet<string>();
        var buf = new LocationId[4096];
        for (int i = 0; i < p.SampleCount; i++)
        {
            int n = p.CopyStackRootFirst(p.SampleStack(i), buf);
            roots.Add(Name(p, buf[0]));
        }
        Assert.All(roots, r => Assert.StartsWith("Thread (", r, StringComparison.Ordinal));
        Assert.Equal(13, roots.Count);
    }

    [Fact]
    public void ThreadsTimestampsAndEventCounts()
    {
        var p = ReadNettrace(Fixtures.Path("nettrace/netapp-cpu.nettrace.gz"));
        Assert.True(p.HasThreads && p.HasTimestamps);
        Assert.Contains(p.Threads, t => t.Id == 16079 && t.Name == ".NET ThreadPool" && t.ProcessId == 16058);
        Assert.Contains(p.Threads, t => t.Id == 16067 && t.Name == ".NET Finalizer Thread");
        for (int i = 0; i < p.SampleCount; i++)
        {
            long ts = p.SampleTimestamp(i);
            Assert.InRange(ts, 0, p.DurationNanos); // from the session start, which TimeNanos holds
        }
        Assert.Contains("events: Microsoft-DotNETCore-SampleProfiler/Thread/Sample 6257", p.Comments);
        Assert.Contains("events: Microsoft-Windows-DotNETRuntime/GC/Start 145", p.Comments);

        var info = CliRunner.Run("", "info", Fixtures.Path("nettrace/netapp-cpu.nettrace.gz"));
        Assert.Equal(0, info.ExitCode);
        Assert.Contains("Format:       nettrace", info.StdOut, StringComparison.Ordinal);
        Assert.Contains("Microsoft-Windows-DotNETRuntimeRundown/Method/DCStopVerbose 3552", info.StdOut, StringComparison.Ordinal);
        Assert.Contains(".NET ThreadPool (16079)", info.StdOut, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("speedscope")]
    [InlineData("chrome")]
    [InlineData("pprof")]
    [InlineData("folded")]
    public void ConvertsToEveryTarget(string target)
    {
        string path = Fixtures.Path("nettrace/netapp-cpu.nettrace.gz");
        var r = CliRunner.Run("", "convert", path, "--to", target);
        Assert.True(r.ExitCode == 0, r.StdErr);
        var back = ProfileFormats.Read(new MemoryStream(r.StdOutBytes), new ReadOptions { ProfileSelector = "all" }).Profile;
        var ours = ReadNettrace(path);
        // Every target holds the stacks and their time (folded and pprof as whole nanoseconds).
        Assert.Equal(ours.Total(0), back.Total(back.DefaultSampleTypeIndex), (double)ours.Total(0) * 1e-6);
        if (target is "speedscope" or "chrome") Assert.Equal(ours.Threads.Count, back.Threads.Count); // folded and pprof hold no threads
        Assert.DoesNotContain("did not match", r.StdErr + CliRunner.Run(r.StdOutBytes, "info", "-").StdErr, StringComparison.Ordinal);
        Assert.Equal(SelfTimes(ours, true).OrderByDescending(kv => kv.Value).First().Key,
                SelfTimes(back, true).OrderByDescending(kv => kv.Value).First().Key);
    }

    [Fact]
    public void SvgOfATraceAndFromStdin()
    {
        byte[] gz = File.ReadAllBytes(Fixtures.Path("nettrace/netapp-cpu.nettrace.gz"));
        var r = CliRunner.Run(gz, "svg", "-");
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains("netapp!FlameKitCorpus.RecursionWorker.Ackermann", r.StdOut, StringComparison.Ordinal);
        Assert.Contains("UNMANAGED_CODE_TIME", r.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void BadAndTruncatedTracesFailWithOneLine()
    {
        using var dir = new TempDir();
        byte[] whole;
        using (var gz = new GZipStream(File.OpenRead(Fixtures.Path("nettrace/netapp-cpu.nettrace.gz")), CompressionMode.Decompress))
        using (var m = new MemoryStream()) { gz.CopyTo(m); whole = m.ToArray(); }
        string outFile = Path.Combine(dir.Path, "out.pb.gz");
        foreach (var (bytes, expect) in new[]
        {
            (whole[..300_000], "nettrace: the trace ends early (truncated file?) near byte 300000"),
            ("Nettrace"u8.ToArray(), "nettrace:"),
            ([.. "Nettrace"u8.ToArray(), .. new byte[5000].Select((_, i) => (byte)(i * 7))], "nettrace: malformed trace data near byte"),
        })
        {
            string input = Path.Combine(dir.Path, "bad.nettrace");
            File.WriteAllBytes(input, bytes);
            var r = CliRunner.Run("", "convert", input, "--to", "pprof", "-o", outFile);
            Assert.NotEqual(0, r.ExitCode);
            Assert.Contains(expect, r.StdErr, StringComparison.Ordinal);
            Assert.StartsWith($"flamekit: {input}: ", r.StdErr, StringComparison.Ordinal);
            Assert.Single(r.StdErr.TrimEnd('\n').Split('\n'));
            Assert.DoesNotContain("   at ", r.StdErr, StringComparison.Ordinal);
            Assert.False(File.Exists(outFile));
        }
    }

    // ---- comparison -------------------------------------------------------------------------------

    private static Profile ReadNettrace(string path, NettraceOptions? options = null)
    {
        using var f = File.OpenRead(path);
        var (profile, format) = ProfileFormats.Read(f, new ReadOptions { SourceName = path, Nettrace = options ?? NettraceOptions.Default });
        Assert.Equal("nettrace", format.Name);
        return profile;
    }

    /// <summary>The conformance rule of issue #5, against dotnet-trace's Speedscope output.</summary>
    private static void AssertConforms(Profile ours, Stream referenceJson, string what)
    {
        byte[] json;
        using (var m = new MemoryStream()) { referenceJson.CopyTo(m); json = m.ToArray(); }
        using (var doc = JsonDocument.Parse(json))
        {
            if (doc.RootElement.GetProperty("profiles").GetArrayLength() == 0)
            {
                // No stack-bearing events: dotnet-trace writes no profiles, and FlameKit has no samples.
                Assert.Equal(0, ours.SampleCount);
                return;
            }
        }
        var reference = ProfileFormats.Read(new MemoryStream(json), new ReadOptions { ProfileSelector = "all" }).Profile;

        var ourThreads = ThreadTotals(ours);
        var refThreads = ThreadTotals(reference);
        Assert.Equal(refThreads.Keys.Order(StringComparer.Ordinal), ourThreads.Keys.Order(StringComparer.Ordinal));
        foreach (var (thread, total) in refThreads)
            Assert.True(Math.Abs(ourThreads[thread] - total) <= 0.01 * total,
                $"{what}: {thread}: FlameKit {ourThreads[thread]} ns, dotnet-trace {total} ns");

        // Self time lands on the CPU_TIME/UNMANAGED_CODE_TIME leaves; the method under them is what a
        // reader looks for, so compare both views.
        foreach (bool strip in new[] { false, true })
        {
            var ourSelf = SelfTimes(ours, strip);
            var refSelf = SelfTimes(reference, strip);
            long floor = Math.Max(1000, reference.Total(reference.DefaultSampleTypeIndex) / 100_000);
            var ourTop = Top10(ourSelf, floor);
            var refTop = Top10(refSelf, floor);
            Assert.True(refTop.Count == ourTop.Count, $"{what}: top frames: FlameKit [{string.Join(", ", ourTop)}], dotnet-trace [{string.Join(", ", refTop)}]");
            for (int i = 0; i < refTop.Count; i++)
            {
                string frame = refTop[i];
                Assert.True(ourSelf.TryGetValue(frame, out long mine), $"{what}: top frame {frame} missing");
                Assert.True(Math.Abs(mine - refSelf[frame]) <= 0.01 * refSelf[frame] + floor,
                    $"{what}: {frame}: self {mine} vs {refSelf[frame]}");
                // Same rank, unless two frames tie (within 1%), when either order is right.
                if (ourTop[i] != frame)
                    Assert.True(Math.Abs(refSelf.GetValueOrDefault(ourTop[i]) - refSelf[frame]) <= 0.01 * refSelf[frame],
                        $"{what}: rank {i + 1}: FlameKit {ourTop[i]}, dotnet-trace {frame}");
            }
        }
    }

    /// <summary>The ten frames with the most self time; frames whose self time is below
    /// <paramref name="floor"/> do not count (speedscope's evented format leaves sub-microsecond slivers of
    /// self time on inner frames, where a sample's end and the next one's start do not quite meet).</summary>
    private static List<string> Top10(Dictionary<string, long> self, long floor) =>
        [.. self.Where(kv => kv.Value >= floor).OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(10).Select(kv => kv.Key)];

    private static Dictionary<string, long> ThreadTotals(Profile p)
    {
        var totals = new Dictionary<string, long>();
        var buf = new LocationId[4096];
        for (int i = 0; i < p.SampleCount; i++)
        {
            int n = p.CopyStackRootFirst(p.SampleStack(i), buf);
            string? thread = null;
            for (int k = 0; k < n && thread is null; k++)
            {
                string name = Name(p, buf[k]);
                if (name.StartsWith("Thread (", StringComparison.Ordinal)) thread = name;
            }
            if (thread is null) continue; // speedscope's gaps between a thread's events
            totals[thread] = totals.GetValueOrDefault(thread) + p.SampleValue(i, p.DefaultSampleTypeIndex);
        }
        return totals;
    }

    private static Dictionary<string, long> SelfTimes(Profile p, bool stripPseudoLeaf)
    {
        var self = new Dictionary<string, long>();
        for (int i = 0; i < p.SampleCount; i++)
        {
            var s = p.SampleStack(i);
            if (s.IsEmpty) continue;
            string leaf = Name(p, p.StackLocation(s));
            if (stripPseudoLeaf && leaf is NettraceReader.CpuTimeFrame or NettraceReader.UnmanagedTimeFrame)
            {
                s = p.StackParent(s);
                if (s.IsEmpty) continue;
                leaf = Name(p, p.StackLocation(s));
            }
            self[leaf] = self.GetValueOrDefault(leaf) + p.SampleValue(i, p.DefaultSampleTypeIndex);
        }
        return self;
    }

    private static HashSet<string> FrameNames(Profile p)
    {
        var names = new HashSet<string>();
        foreach (var loc in p.Locations)
            foreach (var line in loc.Lines) names.Add(p.Functions[line.Function.Index].Name);
        return names;
    }

    private static string ProcessFrame(Profile p)
    {
        var buf = new LocationId[4096];
        p.CopyStackRootFirst(p.SampleStack(0), buf);
        return Name(p, buf[0]);
    }

    private static string Name(Profile p, LocationId loc) => p.Functions[p.Locations[loc.Index].Lines[0].Function.Index].Name;

    // ---- peers --------------------------------------------------------------------------------------

    /// <summary>dotnet-trace: <c>$FLAMEKIT_DOTNET_TRACE</c>, else <c>tests/.tools/dotnet-trace</c> (test.sh installs it there), else PATH.</summary>
    private static class DotnetTrace
    {
        public static string Executable
        {
            get
            {
                string? env = Environment.GetEnvironmentVariable("FLAMEKIT_DOTNET_TRACE");
                if (!string.IsNullOrEmpty(env)) return env;
                string local = Path.Combine(Fixtures.RepoRoot, "tests", ".tools", "dotnet-trace");
                if (File.Exists(local)) return local;
                foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
                    if (File.Exists(Path.Combine(dir, "dotnet-trace"))) return Path.Combine(dir, "dotnet-trace");
                Assert.Fail("dotnet-trace is missing: run ./test.sh, or `dotnet tool install --tool-path tests/.tools dotnet-trace --version 10.0.750501`");
                return "";
            }
        }

        public static void Run(string workDir, params string[] args)
        {
            var (code, output) = Exec(Executable, workDir, args);
            Assert.True(code == 0, $"dotnet-trace {string.Join(' ', args)} failed ({code}): {output}");
        }

        /// <summary>Runs <c>dotnet-trace convert --format Speedscope</c>; returns the file it wrote.</summary>
        public static string Convert(string trace, string outDir)
        {
            // The tool replaces the extension of -o with .speedscope.json.
            string stem = Path.Combine(outDir, Path.GetFileNameWithoutExtension(trace) + "-dotnet-trace");
            Run(outDir, "convert", "--format", "Speedscope", "-o", stem, trace);
            string written = stem + ".speedscope.json";
            Assert.True(File.Exists(written), $"dotnet-trace convert wrote no {written}");
            return written;
        }
    }

    private static class NettraceApp
    {
        /// <summary>Builds tests/NettraceApp into <paramref name="outDir"/>; returns the app's dll.</summary>
        public static string Build(string outDir)
        {
            string project = Path.Combine(Fixtures.RepoRoot, "tests", "NettraceApp", "NettraceApp.csproj");
            string bin = Path.Combine(outDir, "app");
            var (code, output) = Exec("dotnet", outDir, "build", project, "-c", "Release", "-o", bin, "-nologo", "-v", "q");
            Assert.True(code == 0, $"building tests/NettraceApp failed: {output}");
            return Path.Combine(bin, "nettrace-app.dll");
        }
    }

    private static (int Code, string Output) Exec(string file, string workDir, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"{file} {string.Join(' ', args)} did not finish in 5 minutes");
        }
        return (p.ExitCode, stdout + stderr.Result);
    }

    private sealed class TempDir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("flamekit-nettrace-").FullName;
        public void Dispose()
        {
            try { Directory.Delete(Path, recursive: true); } catch (IOException) { } // a dying child may still hold a file
        }
    }
}
