using System.Diagnostics;
using System.IO.Compression;
using BenchmarkDotNet.Running;
using FlameKit.Formats;
using FlameKit.Formats.Pprof;

namespace FlameKit.Benchmarks;

/// <summary>
/// Entry point. <c>detect FILE...</c> prints what the pprof reader's detection says; <c>read FILE</c>, <c>generated FILE</c> and <c>convert IN OUT</c> run one job once, <c>perf FILE [THREADS]</c> collapses perf script text with THREADS threads, and print
/// its wall time (for <c>/usr/bin/time -v</c> peak-memory measurements); anything else runs BenchmarkDotNet.
/// </summary>
public static class Program
{
    /// <summary>Runs a job or the benchmarks.</summary>
    /// <param name="args">Command line.</param>
    public static int Main(string[] args)
    {
        if (args.Length >= 2 && args[0] == "detect")
        {
            foreach (var f in args[1..])
            {
                using var fs = File.OpenRead(f);
                var (stream, head, complete) = ProfileFormats.Peek(fs);
                stream.Dispose();
                Console.WriteLine($"{new PprofReader().Detect(head, complete),-4} {f}");
            }
            return 0;
        }
        if (args.Length >= 2 && args[0] == "perf")
        {
            // perf FILE [THREADS]: collapse perf script text with a given number of threads (scaling check).
            int threads = args.Length >= 3 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 2;
            var sw = Stopwatch.StartNew();
            using var fs = new FileStream(args[1], FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            var p = Formats.PerfScript.PerfScriptReader.Read(fs, ReadOptions.Default, threads, Formats.PerfScript.PerfScriptReader.DefaultBlockSize);
            Console.WriteLine($"perf ({threads} thread{(threads == 1 ? "" : "s")}): {sw.Elapsed.TotalSeconds:F3} s, {p.SampleCount} distinct stacks, total {p.Total(0)}; allocated {GC.GetTotalAllocatedBytes() >> 20} MB");
            return 0;
        }
        if (args.Length >= 2 && args[0] == "filters") return Filters(args[1], args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 5);
        if (args.Length >= 2 && args[0] is "read" or "generated" or "convert")
        {
            var sw = Stopwatch.StartNew();
            Profile p;
            switch (args[0])
            {
                case "read":
                    using (var fs = File.OpenRead(args[1])) p = ProfileFormats.Read(fs).Profile;
                    break;
                case "generated":
                    using (var fs = File.OpenRead(args[1]))
                    using (var gz = new GZipStream(fs, CompressionMode.Decompress))
                    {
                        var ms = new MemoryStream();
                        gz.CopyTo(ms);
                        p = GeneratedPprof.Read(ms.ToArray());
                    }
                    break;
                default:
                    using (var fs = File.OpenRead(args[1])) p = ProfileFormats.Read(fs).Profile;
                    Console.Error.WriteLine($"read: {sw.Elapsed.TotalSeconds:F3} s");
                    if (Environment.GetEnvironmentVariable("FLAMEKIT_BENCH_UNCOMPRESSED") == "1")
                    {
                        var t = Stopwatch.StartNew();
                        PprofWriter.WriteUncompressed(p, Stream.Null, WriteOptions.Default);
                        Console.Error.WriteLine($"encode only (no gzip): {t.Elapsed.TotalSeconds:F3} s");
                    }
                    var w = Stopwatch.StartNew();
                    using (var o = File.Create(args[2])) new PprofWriter().Write(p, o, WriteOptions.Default);
                    Console.Error.WriteLine($"write: {w.Elapsed.TotalSeconds:F3} s");
                    break;
            }
            Console.WriteLine($"{args[0]}: {sw.Elapsed.TotalSeconds:F3} s, {p.SampleCount} samples, {p.Locations.Length} locations, {p.StackCount} stack nodes; GC pause {GC.GetTotalPauseDuration().TotalSeconds:F3} s, gen0/1/2 {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}, allocated {GC.GetTotalAllocatedBytes() >> 20} MB");
            return 0;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }

    /// <summary>
    /// <c>filters FILE [RUNS]</c>: reads FILE once, then times a pprof filter chain (focus, ignore, hide,
    /// show_from, prune_from in pprof's order, run fused as FilterChain does) with a top report of the last sample
    /// type over it, focus + ignore alone (<c>focus</c>), <c>--invert</c>, the top report and the traces report (to a
    /// null stream), RUNS times each. FLAMEKIT_BENCH_ONLY=chain,focus,invert,top,traces picks some of them.
    /// </summary>
    private static int Filters(string path, int runs)
    {
        var sw = Stopwatch.StartNew();
        Profile p;
        using (var fs = File.OpenRead(path)) p = ProfileFormats.Read(fs).Profile;
        Console.WriteLine($"read: {sw.Elapsed.TotalSeconds:F3} s; {p.SampleCount:N0} samples, {p.StackCount:N0} stack nodes, {p.Locations.Length:N0} locations, {p.Functions.Length:N0} functions");
        var chain = new FlameKit.Transforms.FilterChain
        {
            Focus = new System.Text.RegularExpressions.Regex("main|runtime", System.Text.RegularExpressions.RegexOptions.CultureInvariant | System.Text.RegularExpressions.RegexOptions.Compiled),
            Ignore = new System.Text.RegularExpressions.Regex(@"^runtime\.gcBgMarkWorker$", System.Text.RegularExpressions.RegexOptions.CultureInvariant | System.Text.RegularExpressions.RegexOptions.Compiled),
            Hide = new System.Text.RegularExpressions.Regex(@"^runtime\.(goexit|main)$", System.Text.RegularExpressions.RegexOptions.CultureInvariant | System.Text.RegularExpressions.RegexOptions.Compiled),
            ShowFrom = new System.Text.RegularExpressions.Regex("main", System.Text.RegularExpressions.RegexOptions.CultureInvariant | System.Text.RegularExpressions.RegexOptions.Compiled),
            PruneFrom = new System.Text.RegularExpressions.Regex(@"runtime\.mallocgc", System.Text.RegularExpressions.RegexOptions.CultureInvariant | System.Text.RegularExpressions.RegexOptions.Compiled),
        };
        string only = Environment.GetEnvironmentVariable("FLAMEKIT_BENCH_ONLY") ?? "";
        bool Run(string job) => only.Length == 0 || only.Split(',').Contains(job);
        var invert = new FlameKit.Transforms.FilterChain { Invert = true };
        var focusOnly = new FlameKit.Transforms.FilterChain { Focus = chain.Focus, Ignore = chain.Ignore };
        int lastType = p.SampleTypes.Count - 1;
        // User CPU next to wall time: the machine is shared, so wall times are noisy; the process's user CPU
        // (GC threads included) is the steadier figure.
        var proc = Process.GetCurrentProcess();
        TimeSpan cpu0 = default, sys0 = default, gc0 = default;
        int gen2 = 0;
        void StartCpu() { proc.Refresh(); cpu0 = proc.UserProcessorTime; sys0 = proc.PrivilegedProcessorTime; gc0 = GC.GetTotalPauseDuration(); gen2 = GC.CollectionCount(2); }
        string Cpu()
        {
            proc.Refresh();
            return $"user {(proc.UserProcessorTime - cpu0).TotalSeconds:F3} s sys {(proc.PrivilegedProcessorTime - sys0).TotalSeconds:F3} s"
                + $" GC pause {(GC.GetTotalPauseDuration() - gc0).TotalSeconds:F3} s ({GC.CollectionCount(2) - gen2} gen2)";
        }
        for (int r = 0; r < runs; r++)
        {
            var line = new System.Text.StringBuilder($"run {r + 1}:");
            StartCpu();
            var t = Stopwatch.StartNew();
            if (Run("chain"))
            {
                var q = chain.Apply(p);
                line.Append($" chain {t.Elapsed.TotalSeconds:F3} s, {Cpu()} ({q.SampleCount:N0} samples left, {q.StackCount:N0} stack nodes{Digest(q)});");
                StartCpu();
                t.Restart();
                var top = FlameKit.Reports.TopReport.Create(q, new FlameKit.Reports.TopOptions { NodeCount = 10, SampleType = lastType });
                line.Append($" top of chain (sample index {lastType}) {t.Elapsed.TotalSeconds:F3} s, {Cpu()} ({top.Rows.Count} rows);");
            }
            if (Run("focus"))
            {
                // Filters that only drop samples (focus, ignore; tag filters take the same path): the kept trie is
                // a sub-trie of the source.
                StartCpu();
                t.Restart();
                var q = focusOnly.Apply(p);
                line.Append($" focus+ignore {t.Elapsed.TotalSeconds:F3} s, {Cpu()} ({q.SampleCount:N0} samples left, {q.StackCount:N0} stack nodes{Digest(q)});");
            }
            if (Run("invert"))
            {
                StartCpu();
                t.Restart();
                var inv = invert.Apply(p);
                line.Append($" invert {t.Elapsed.TotalSeconds:F3} s, {Cpu()} ({inv.StackCount:N0} stack nodes{Digest(inv)});");
            }
            if (Run("top"))
            {
                StartCpu();
                t.Restart();
                var top = FlameKit.Reports.TopReport.Create(p, new FlameKit.Reports.TopOptions());
                line.Append($" top {t.Elapsed.TotalSeconds:F3} s, {Cpu()} ({top.Rows.Count} rows);");
            }
            if (Run("traces"))
            {
                StartCpu();
                t.Restart();
                using (var w = new StreamWriter(Stream.Null, new System.Text.UTF8Encoding(false), 1 << 16))
                    FlameKit.Reports.TracesReport.WriteText(p, p.DefaultSampleTypeIndex, w);
                line.Append($" traces {t.Elapsed.TotalSeconds:F3} s, {Cpu()};");
            }
            Console.WriteLine(line.ToString());
        }
        return 0;
    }

    /// <summary>
    /// With FLAMEKIT_BENCH_DIGEST=1 (untimed in effect: it runs after the clock is read), a hash of every
    /// sample's stack as location addresses and function names root first, its values and labels, in sample
    /// order, so that two versions of a transform can be checked to give the same profile on the big input.
    /// Node and location numbering do not enter it.
    /// </summary>
    private static string Digest(Profile p)
    {
        if (Environment.GetEnvironmentVariable("FLAMEKIT_BENCH_DIGEST") != "1") return "";
        ulong h = 1469598103934665603UL;
        var buf = new LocationId[1024];
        void Add(long v) { h = (h ^ (ulong)v) * 0x100000001B3UL; h ^= h >> 29; }
        void AddString(string s) { foreach (char c in s) Add(c); Add(-1); }
        for (int i = 0; i < p.SampleCount; i++)
        {
            var s = p.SampleStack(i);
            int d = p.StackDepth(s);
            if (buf.Length < d) buf = new LocationId[d * 2];
            p.CopyStackRootFirst(s, buf);
            Add(d);
            for (int j = 0; j < d; j++)
            {
                var loc = p.Locations[buf[j].Index];
                Add((long)loc.Address);
                foreach (var ln in loc.Lines) { AddString(p.Functions[ln.Function.Index].Name); Add(ln.Number); }
            }
            foreach (long v in p.SampleValues(i)) Add(v);
            foreach (var l in p.Labels(p.SampleLabels(i))) { AddString(l.Key); AddString(l.Str ?? ""); Add(l.Num); }
        }
        return $", digest {h:x16}";
    }
}
