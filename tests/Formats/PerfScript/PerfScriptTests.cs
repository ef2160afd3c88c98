using System.Text;
using FlameKit.Formats;
using FlameKit.Formats.Folded;
using FlameKit.Formats.PerfScript;

namespace FlameKit.Tests.Formats.PerfScript;

/// <summary>
/// perf script text collapses to exactly what stackcollapse-perf.pl (FlameGraph 41fee1f) prints, for each of
/// its option sets; detection; the script's quirks; bad input.
/// </summary>
public class PerfScriptTests
{
    private static PerfScriptOptions OptionsFor(string name) => name switch
    {
        "default" => PerfScriptOptions.Default,
        "all" => new() { All = true },
        "pid" => new() { IncludePid = true },
        "tid" => new() { IncludeTid = true },
        "kernel" => new() { AnnotateKernel = true },
        "jit" => new() { AnnotateJit = true },
        "addrs" => new() { Addrs = true },
        _ => throw new ArgumentException(name),
    };

    private static string Folded(Profile p)
    {
        var ms = new MemoryStream();
        new FoldedWriter().Write(p, ms, WriteOptions.Default);
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private static Profile Read(byte[] bytes, PerfScriptOptions? perf = null, List<string>? diags = null, string? format = null)
    {
        var opts = new ReadOptions { Perf = perf ?? PerfScriptOptions.Default, Diagnostics = d => diags?.Add(d.Message) };
        var (p, f) = ProfileFormats.Read(new MemoryStream(bytes), opts, format);
        Assert.Equal("perf", f.Name);
        return p;
    }

    private static string Collapse(string text, PerfScriptOptions? perf = null, List<string>? diags = null) =>
        Folded(Read(Encoding.UTF8.GetBytes(text), perf, diags));

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var b in new[] { "node-workload", "dotnet-netapp" })
            foreach (var o in new[] { "default", "all", "pid", "tid" })
                data.Add(b, o);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FoldedOutputEqualsStackcollapsePerf(string fixture, string option)
    {
        var input = File.ReadAllBytes(Fixtures.Path($"perf/{fixture}.perf-script.txt"));
        string expected = File.ReadAllText(Fixtures.Path($"perf/{fixture}.collapsed-{option}.txt"));
        Assert.Equal(expected, Folded(Read(input, OptionsFor(option))));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void OneAndTwoThreadsGiveTheSameProfile(string fixture, string option)
    {
        var input = File.ReadAllBytes(Fixtures.Path($"perf/{fixture}.perf-script.txt"));
        var opts = new ReadOptions { Perf = OptionsFor(option) };
        // Small blocks so the two threads really share the work.
        var one = PerfScriptReader.Read(new MemoryStream(input), opts, threads: 1, blockSize: 8192);
        var two = PerfScriptReader.Read(new MemoryStream(input), opts, threads: 2, blockSize: 8192);
        var big = PerfScriptReader.Read(new MemoryStream(input), opts, threads: 2, blockSize: 1 << 22);
        Assert.Equal(Dump(one), Dump(two));
        foreach (int n in new[] { 3, 4 })
            Assert.Equal(Dump(one), Dump(PerfScriptReader.Read(new MemoryStream(input), opts, threads: n, blockSize: 4096)));
        Assert.Equal(Folded(one), Folded(big));
        Assert.Equal(File.ReadAllText(Fixtures.Path($"perf/{fixture}.collapsed-{option}.txt")), Folded(two));
    }

    /// <summary>Samples in model order, each as its location ids and value (frames are interned in first-use order).</summary>
    private static string Dump(Profile p)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < p.SampleCount; i++)
        {
            var names = new List<int>();
            for (var s = p.SampleStack(i); !s.IsEmpty; s = p.StackParent(s)) names.Add(p.StackLocation(s).Index);
            names.Reverse();
            sb.Append(string.Join(';', names)).Append(' ').Append(p.SampleValue(i, 0)).Append('\n');
        }
        return sb.ToString();
    }

    [Fact]
    public void DetectsPerfScriptByContent()
    {
        var reader = new PerfScriptReader();
        foreach (var f in new[] { "node-workload", "dotnet-netapp" })
        {
            var bytes = File.ReadAllBytes(Fixtures.Path($"perf/{f}.perf-script.txt"));
            Assert.Equal(Detection.Yes, reader.Detect(bytes.AsSpan(0, ProfileFormats.DetectionWindow), isComplete: false));
            Assert.Equal("perf", ProfileFormats.Detect(bytes.AsSpan(0, 1000), isComplete: false)!.Format.Name);
        }
        var folded = File.ReadAllBytes(Fixtures.Path("perf/node-workload.collapsed-all.txt"));
        Assert.Equal(Detection.No, reader.Detect(folded, isComplete: true));
        Assert.Equal("folded", ProfileFormats.Detect(folded, isComplete: true)!.Format.Name);
        Assert.Equal(Detection.No, reader.Detect("hello world\n"u8, isComplete: true));
        Assert.Equal(Detection.No, reader.Detect([0x1f, 0x8b, 0, 0, 1, 2], isComplete: true));
        Assert.Equal(Detection.No, reader.Detect(""u8, isComplete: true));
        // Comments (perf script --header) come first.
        Assert.Equal(Detection.Yes, reader.Detect("# ========\n# cmdline : perf record -g ./a\n#\nx 1 1.0: 1 cycles:\n\t1 f (/a)\n\n"u8, isComplete: true));
    }

    private const string Mixed = """
        java 123/456 [000] 1.000001: 10 cycles:
        	ffffffff81000001 native_safe_halt+0x5 ([kernel.kallsyms])
        	7f0000000001 Lorg/mozilla/Foo;.call(Lorg/X;)V+0x1 (/tmp/perf-123.map)
        	7f0000000002 [unknown] (/usr/lib/libc.so.6)
        	7f0000000003 [unknown] ([unknown])

        java 123/456 [000] 1.000002: 5 instructions:
        	7f0000000004 foo+0x10 (/bin/x)

        java 123/456 [000] 1.000003: 10 cycles:
        	ffffffff81000009 native_safe_halt+0x9 ([kernel.kallsyms])
        	7f0000000001 Lorg/mozilla/Foo;.call(Lorg/X;)V+0x7 (/tmp/perf-123.map)
        	7f0000000002 [unknown] (/usr/lib/libc.so.6)
        	7f0000000003 [unknown] ([unknown])


        """;

    [Fact]
    public void OptionsNameFramesAsTheScriptFlags()
    {
        var diags = new List<string>();
        Assert.Equal("java;[unknown];[libc.so.6];org/mozilla/Foo:.call;native_safe_halt 20\n", Collapse(Mixed, diags: diags));
        Assert.Contains(diags, d => d.Contains("cycles", StringComparison.Ordinal));
        Assert.Equal("java;[unknown];[libc.so.6];org/mozilla/Foo:.call_[j];native_safe_halt_[k] 20\n", Collapse(Mixed, new() { All = true }));
        Assert.Equal("java;[unknown];[libc.so.6];org/mozilla/Foo:.call;native_safe_halt_[k] 20\n", Collapse(Mixed, new() { AnnotateKernel = true }));
        Assert.Equal("java;[unknown];[libc.so.6];org/mozilla/Foo:.call_[j];native_safe_halt 20\n", Collapse(Mixed, new() { AnnotateJit = true }));
        Assert.Equal("java;[unknown <7f0000000003>];[libc.so.6 <7f0000000002>];org/mozilla/Foo:.call;native_safe_halt 20\n", Collapse(Mixed, new() { Addrs = true }));
        Assert.Equal("java-123;[unknown];[libc.so.6];org/mozilla/Foo:.call;native_safe_halt 20\n", Collapse(Mixed, new() { IncludePid = true }));
        Assert.Equal("java-123/456;[unknown];[libc.so.6];org/mozilla/Foo:.call;native_safe_halt 20\n", Collapse(Mixed, new() { IncludeTid = true }));
        Assert.Equal("java;foo 5\n", Collapse(Mixed, new() { EventFilter = "instructions" }));
    }

    [Fact]
    public void ToleratesTheScriptsQuirks()
    {
        const string text = """
            # comment lines are skipped
            swapper 0/0 [000] 2.0: cpu-clock:
            	1 (deleted) (/x)
            	2 net/http.(*Client).Do+0x1 (/bin/go)
            	3 ns::(anonymous namespace)::f(int)+0x2 (/bin/cc)
            	4 std::vector<int>::push_back(int const&) (/bin/cc)
            	5 a->b (/bin/y)

            my thread 7 1.0: 0 cpu-clock:
            	1 it's"quoted";x (/bin/z)
            other 8 1.5: 3 cpu-clock:
            	2 more (/bin/z)

            bad line here
            tail 9 9.0: 4 cpu-clock:
            	1 lost (/bin/z)
            """;
        var diags = new List<string>();
        Assert.Equal(
            "other;more;itsquoted:x 3\n" +
            "swapper;a;b_[i];std::vector<int>::push_back;ns::(anonymous namespace)::f;net/http.(*Client).Do 1\n",
            Collapse(text, diags: diags));
        Assert.Contains(diags, d => d.Contains("1 unrecognized line (first at line 14)", StringComparison.Ordinal));
        Assert.Contains(diags, d => d.Contains("last sample (line 15)", StringComparison.Ordinal));
        Assert.Equal("swapper-?/0;a;b_[i];std::vector<int>::push_back;ns::(anonymous namespace)::f;net/http.(*Client).Do 1\n",
            Collapse(text, new() { IncludeTid = true }).Split('\n')[1] + "\n");
    }

    [Fact]
    public void CrlfInputEndsSamplesAtEmptyLines()
    {
        Assert.Equal("a_b;g;f 2\n", Collapse("a b 1 1.0: 1 ev:\r\n\t1 f (/x)\r\n\t2 g (/x)\r\n\r\na b 1 1.1: 1 ev:\r\n\t1 f+0x2 (/x)\r\n\t2 g (/x)\r\n\r\n"));
    }

    [Fact]
    public void GarbageIsAOneLineErrorWithItsLine()
    {
        var e = Assert.Throws<ProfileFormatException>(() => Read("garbage\nmore garbage\n"u8.ToArray(), format: "perf"));
        Assert.Equal(1, e.LineNumber);
        Assert.StartsWith("perf: line 1: ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void TruncatedOnlySampleIsAnErrorWithItsLine()
    {
        var e = Assert.Throws<ProfileFormatException>(() => Read("# c\nnode 1 1.0: 5 cycles:\n\t1 f (/x)\n\t2 g (/"u8.ToArray()));
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal(4, e.LineNumber); // the cut frame line is the first line the script cannot read
    }

    [Fact]
    public void UnknownEventFilterIsAnError()
    {
        var e = Assert.Throws<ProfileFormatException>(() => Read(Encoding.UTF8.GetBytes(Mixed), new() { EventFilter = "faults" }));
        Assert.Contains("faults", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LongSamplesGrowTheBlock()
    {
        var sb = new StringBuilder("p 1 1.0: 2 ev:\n");
        for (int i = 0; i < 500; i++) sb.Append($"\t{i:x} f{i % 7}+0x{i:x} (/bin/x)\n");
        sb.Append('\n');
        var bytes = Encoding.UTF8.GetBytes(sb.ToString() + sb.ToString());
        var p = PerfScriptReader.Read(new MemoryStream(bytes), ReadOptions.Default, threads: 2, blockSize: 1024);
        Assert.Equal(1, p.SampleCount);
        Assert.Equal(4, p.Total(0));
        Assert.Equal(Folded(Read(bytes)), Folded(p));
    }

    [Fact]
    public void RepeatedSamplesKeepLineNumbersAndWarningsExact()
    {
        // Repeated clean samples take the hashed fast path (leaf offsets differ); samples with odd lines never do.
        var sb = new StringBuilder();
        for (int i = 0; i < 5; i++) sb.Append($"app 10/11 [000] 1.{i}: 7 cycles:\n\t7f0{i} leaf+0x{i + 1:x} (/bin/app)\n\t7e00 mid+0x10 (/bin/app)\n\t7d00 main+0x20 (/bin/app)\n\n");
        for (int i = 0; i < 3; i++) sb.Append("app 10/11 [000] 2.0: 1 cycles:\n\t7f00 leaf (/bin/app)\n   \n\t7d00 main (/bin/app)\n\n");
        sb.Append("app 10/11 [000] 3.0: 1 cycles:\n# a comment\n\t7f00 leaf (/bin/app)\n\n");
        var diags = new List<string>();
        var text = sb.ToString();
        Assert.Equal("app;leaf 1\napp;main;leaf 3\napp;main;mid;leaf 35\n", Collapse(text, diags: diags));
        // 5 samples × 5 lines, then the first odd sample's third line is line 28.
        Assert.Equal(["ignored 3 unrecognized lines (first at line 28)"], diags);
        var bytes = Encoding.UTF8.GetBytes(text);
        foreach (int block in new[] { 64, 100, 4096 })
        {
            var p = PerfScriptReader.Read(new MemoryStream(bytes), ReadOptions.Default, threads: 2, blockSize: block);
            Assert.Equal(Dump(Read(bytes)), Dump(p));
        }
    }

    [Fact]
    public void NoOtherFixtureLooksLikePerfScript()
    {
        var reader = new PerfScriptReader();
        var root = Path.GetDirectoryName(Fixtures.Path("perf/node-workload.perf-script.txt"))!;
        root = Path.GetDirectoryName(root)!;
        int n = 0;
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            if (file.Contains($"{Path.DirectorySeparatorChar}perf{Path.DirectorySeparatorChar}", StringComparison.Ordinal)) continue;
            using var fs = File.OpenRead(file);
            var (stream, head, complete) = ProfileFormats.Peek(fs);
            stream.Dispose();
            Assert.True(reader.Detect(head, complete) == Detection.No, file);
            n++;
        }
        Assert.True(n > 50);
        // perf script -F comm,tid,time,ip,sym,dso: no event on the header, still unmistakable with its frames.
        Assert.Equal(Detection.Yes, reader.Detect("node 20841 1031.067059: \n\t 167adf __strlen_evex+0x1f (/usr/lib/libc.so.6)\n\n"u8, isComplete: true));
        // Old perf: no indentation, no time (FlameGraph's perf-java-stacks-02 looks like this).
        Assert.Equal("java;main;write 1\n", Collapse("java 19983 cycles:\nffffffff8103d0ca write ([kernel.kallsyms])\n7f722d12e1d4 main (/x)\n\n"));
        Assert.Equal("node;__strlen_evex 1\n", Collapse("node 20841 1031.067059: \n\t 167adf __strlen_evex+0x1f (/usr/lib/libc.so.6)\n\n"));
    }

    [Fact]
    public void InputEndingExactlyAtABlockEndOrEmpty()
    {
        const string head = "app 1 1.0: 3 cycles:\n\t1 ";
        const string tail = " (/bin/app)\n\n";
        var text = head + new string('f', 1024 - head.Length - tail.Length) + tail;
        var bytes = Encoding.UTF8.GetBytes(text);
        Assert.Equal(1024, bytes.Length);
        foreach (int threads in new[] { 1, 2 })
        {
            var p = PerfScriptReader.Read(new MemoryStream(bytes), ReadOptions.Default, threads, blockSize: 1024);
            Assert.Equal(3, p.Total(0));
        }
        var e = Assert.Throws<ProfileFormatException>(() => PerfScriptReader.Read(new MemoryStream([]), ReadOptions.Default, 2, 1024));
        Assert.StartsWith("perf: line 1: no samples found", e.Message);
    }

    [Theory]
    [InlineData("node-workload")]
    [InlineData("dotnet-netapp")]
    public void TimelineKeepsEverySampleWithTimeAndThreadInInputOrder(string fixture)
    {
        var input = File.ReadAllBytes(Fixtures.Path($"perf/{fixture}.perf-script.txt"));
        // An independent reading of the headers: comm, pid or tid, seconds with a fraction, period.
        var header = new System.Text.RegularExpressions.Regex(@"^(\S.*?)\s+(\d+)(?:/(\d+))?\s+(?:\[\d+\]\s+)?(\d+)\.(\d+):\s+(\d+)\s+\S+:\s*$");
        var expected = new List<(string Comm, long Tid, long Nanos, long Period)>();
        foreach (var line in File.ReadLines(Fixtures.Path($"perf/{fixture}.perf-script.txt")))
        {
            var m = header.Match(line);
            if (!m.Success) continue;
            long tid = long.Parse(m.Groups[3].Success ? m.Groups[3].Value : m.Groups[2].Value);
            long nanos = long.Parse(m.Groups[4].Value) * 1_000_000_000 + long.Parse(m.Groups[5].Value.PadRight(9, '0'));
            expected.Add((m.Groups[1].Value, tid, nanos, long.Parse(m.Groups[6].Value)));
        }
        Assert.True(expected.Count > 100);
        var timeline = new PerfScriptOptions { KeepTimeline = true };
        var p = Read(input, timeline);
        Assert.True(p.HasTimestamps);
        Assert.True(p.HasThreads);
        Assert.Equal(expected.Count, p.SampleCount);
        for (int i = 0; i < expected.Count; i++)
        {
            var thread = p.Threads[p.SampleThread(i).Index];
            Assert.Equal((expected[i].Comm, expected[i].Tid, expected[i].Nanos, expected[i].Period),
                (thread.Name, thread.Id, p.SampleTimestamp(i), p.SampleValue(i, 0)));
        }
        // The same stacks and totals as without the timeline: folded output is identical.
        Assert.Equal(File.ReadAllText(Fixtures.Path($"perf/{fixture}.collapsed-default.txt")), Folded(p));
        // And the work split over threads and blocks does not change the order or the threads.
        var opts = new ReadOptions { Perf = timeline };
        string one = TimelineDump(PerfScriptReader.Read(new MemoryStream(input), opts, threads: 1, blockSize: 8192));
        foreach (int n in new[] { 2, 3 })
            Assert.Equal(one, TimelineDump(PerfScriptReader.Read(new MemoryStream(input), opts, threads: n, blockSize: 4096)));
        Assert.Equal(TimelineDump(p), one);
    }

    private static string TimelineDump(Profile p)
    {
        var sb = new StringBuilder(Dump(p));
        for (int i = 0; i < p.SampleCount; i++)
        {
            var t = p.Threads[p.SampleThread(i).Index];
            sb.Append(p.SampleTimestamp(i)).Append(' ').Append(t.Id).Append(' ').Append(t.ProcessId).Append(' ').Append(t.Name).Append('\n');
        }
        return sb.ToString();
    }

    [Fact]
    public void TimelineReadsPidTidAndNanosecondTimes()
    {
        const string text = "app x 12/34 [001] 5.123456789: 7 cycles:\n\t1 f (/bin/app)\n\napp x 12/35 [000] 6.5: 3 cycles:\n\t1 g (/bin/app)\n\n";
        var p = Read(Encoding.UTF8.GetBytes(text), new PerfScriptOptions { KeepTimeline = true });
        Assert.Equal(2, p.SampleCount);
        Assert.Equal(5_123_456_789L, p.SampleTimestamp(0));
        Assert.Equal(6_500_000_000L, p.SampleTimestamp(1));
        Assert.Equal(new ThreadInfo(34, "app x", 12), p.Threads[p.SampleThread(0).Index]);
        Assert.Equal(new ThreadInfo(35, "app x", 12), p.Threads[p.SampleThread(1).Index]);
        Assert.Equal("app_x;f 7\napp_x;g 3\n", Folded(p));
        // Without the timeline: one sample per stack, no times or threads.
        var plain = Read(Encoding.UTF8.GetBytes(text));
        Assert.False(plain.HasTimestamps);
        Assert.False(plain.HasThreads);
    }
}
