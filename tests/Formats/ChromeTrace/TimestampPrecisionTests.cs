using System.Text;
using FlameKit.Formats;
using FlameKit.Formats.Internal;

namespace FlameKit.Tests.Formats.ChromeTrace;

/// <summary>Issue #4: Chrome trace, .cpuprofile and speedscope times are read exactly as integer nanoseconds, not through double.</summary>
public class TimestampPrecisionTests
{
    /// <summary>1732250000123456.789 µs (2024-11-22, epoch microseconds) in ns: past 2^60, where a double steps by 256 ns.</summary>
    private const long T0 = 1732250000123456789;

    [Fact]
    public void ADoubleCannotTellTheseTimesApart()
    {
        // What the old readers did: the 1 ns steps below collapse, so the profiles below mis-nested.
        Assert.Equal((long)Math.Round(1732250000123456.789 * 1000), (long)Math.Round(1732250000123456.790 * 1000));
        Assert.Equal((long)Math.Round(1732250000123457.788 * 1000), (long)Math.Round(1732250000123457.789 * 1000));
    }

    [Fact]
    public void EpochMicrosecondEventsOneNanosecondApartNestExactly()
    {
        // X p spans [T0, T0+1000); B c opens 1 ns after p opens and closes 1 ns before p closes (in exponent
        // notation); B q (ts a string) opens when p closes; r opens at q's E (same time, after it in the
        // file) and holds X s, 1 ns inside it at both ends; r's E has 7 decimals (rounds to T0+3000).
        var p = Read("""
            [
            {"name":"p","ph":"X","ts":1732250000123456.789,"dur":1,"pid":1,"tid":1},
            {"name":"c","ph":"B","ts":1732250000123456.790,"pid":1,"tid":1},
            {"ph":"E","ts":1.732250000123457788e15,"pid":1,"tid":1},
            {"name":"q","ph":"B","ts":"1732250000123457.789","pid":1,"tid":1},
            {"ph":"E","ts":1732250000123458.789,"pid":1,"tid":1},
            {"name":"r","ph":"B","ts":1732250000123458.789,"pid":1,"tid":1},
            {"name":"s","ph":"X","ts":1732250000123458.790,"dur":0.998,"pid":1,"tid":1},
            {"ph":"E","ts":1732250000123459.7890004,"pid":1,"tid":1}
            ]
            """, out var diags);
        Assert.Empty(diags);
        Assert.Equal(["0 p 1", "1 p;c 998", "999 p 1", "1000 q 1000", "2000 r 1", "2001 r;s 998", "2999 r 1"], Timeline(p));
        Assert.Equal(T0, p.SampleTimestamp(0));
        Assert.Equal(3000, Enumerable.Range(0, p.SampleCount).Sum(i => p.SampleValue(i, 0)));
        Assert.Equal(new Dictionary<string, long> { ["p"] = 2, ["c"] = 998, ["q"] = 1000, ["r"] = 2, ["s"] = 998 }, Self(p));
    }

    [Fact]
    public void EqualTimesKeepTheirOrderAndFractionsRound()
    {
        // An E and a B at the same epoch µs: file order. dur 0.0005 µs rounds (half away from zero) to 1 ns,
        // 0.0004999 to 0 (the event is dropped as empty); a negative ts is a time like any other.
        var p = Read("""
            {"traceEvents":[
            {"name":"a","ph":"B","ts":1732250000123456.789,"pid":2,"tid":3},
            {"ph":"E","ts":1732250000123457.789,"pid":2,"tid":3},
            {"name":"b","ph":"B","ts":1732250000123457.789,"pid":2,"tid":3},
            {"name":"x","ph":"X","ts":1732250000123457.7890004,"dur":0.0005,"pid":2,"tid":3},
            {"name":"y","ph":"X","ts":1732250000123457.7895,"dur":0.0004999,"pid":2,"tid":3},
            {"ph":"E","ts":17322500001234578e-1,"pid":2,"tid":3},
            {"name":"n","ph":"X","ts":-1.5e-3,"dur":1.5e-3,"pid":2,"tid":4}
            ]}
            """, out _);
        Assert.Equal(["0 a 1000", "1000 b;x 1", "1001 b 10", "0 n 2"], Timeline(p));
        Assert.Equal(-2, Enumerable.Range(0, p.SampleCount).Min(p.SampleTimestamp));
    }

    [Fact]
    public void CpuProfileTimesAreExact()
    {
        var p = ProfileFormats.Read(new MemoryStream(Encoding.UTF8.GetBytes("""
            {"nodes":[{"id":1,"callFrame":{"functionName":"(root)"},"children":[2]},
                      {"id":2,"callFrame":{"functionName":"a"},"children":[3]},
                      {"id":3,"callFrame":{"functionName":"b"}}],
             "startTime":1732250000123456.789,"endTime":1732250000123459.790,
             "samples":[2,3,2],"timeDeltas":[1,0.001,0.999]}
            """))).Profile;
        Assert.Equal(["0 - 1000", "1000 a 1", "1001 a;b 999", "2000 - 1001"], Timeline(p));
    }

    [Fact]
    public void SpeedscopeEventedTimesAreExact()
    {
        var p = ProfileFormats.Read(new MemoryStream(Encoding.UTF8.GetBytes("""
            {"$schema":"https://www.speedscope.app/file-format-schema.json","shared":{"frames":[{"name":"a"},{"name":"b"}]},
             "profiles":[{"type":"evented","name":"t","unit":"microseconds","startValue":1732250000123456.789,"endValue":1732250000123458.789,
               "events":[{"type":"O","frame":0,"at":1732250000123456.789},{"type":"O","frame":1,"at":1732250000123456.790},
                         {"type":"C","frame":1,"at":1732250000123457.788},{"type":"C","frame":0,"at":1732250000123457.789}]}]}
            """))).Profile;
        Assert.Equal(["0 a 1", "1 a;b 998", "999 a 1", "1000 - 1000"], Timeline(p));
    }

    [Theory]
    [InlineData("1234567.891", 3, 1234567891L)]
    [InlineData("1732250000123456.789", 3, T0)]
    [InlineData("1.0004", 3, 1000L)]
    [InlineData("1.0005", 3, 1001L)]
    [InlineData("1.00049999", 3, 1000L)]
    [InlineData("-1.0005", 3, -1001L)]
    [InlineData("-0.0004", 3, 0L)]
    [InlineData("0.0005", 3, 1L)]
    [InlineData("1.5e3", 3, 1500000L)]
    [InlineData("15E-1", 3, 1500L)]
    [InlineData("1e-4", 3, 0L)]
    [InlineData("5E-4", 3, 1L)]
    [InlineData("0e400", 3, 0L)]
    [InlineData("00012.5", 0, 13L)]
    [InlineData("+2.5", 9, 2500000000L)]
    [InlineData("9223372036854775.807", 3, long.MaxValue)]
    [InlineData("-9223372036854775.808", 3, long.MinValue)]
    public void DecimalTextScalesExactly(string text, int scale, long expected)
    {
        Assert.True(DecimalText.TryParseScaled(Encoding.ASCII.GetBytes(text), scale, out long v));
        Assert.Equal(expected, v);
    }

    [Theory]
    [InlineData("9223372036854775.808")]
    [InlineData("1e400")]
    [InlineData("99999999999999999999")]
    [InlineData("")]
    [InlineData("-")]
    [InlineData(".")]
    [InlineData("1e")]
    [InlineData("1x")]
    [InlineData(" 1")]
    public void DecimalTextRejectsWhatItCannotRepresent(string text) =>
        Assert.False(DecimalText.TryParseScaled(Encoding.ASCII.GetBytes(text), 3, out _));

    [Theory]
    [InlineData(1234567891L, 3, "1234567.891")]
    [InlineData(T0, 3, "1732250000123456.789")]
    [InlineData(1234500L, 3, "1234.5")]
    [InlineData(1234000L, 3, "1234")]
    [InlineData(5L, 3, "0.005")]
    [InlineData(-1500L, 3, "-1.5")]
    [InlineData(0L, 3, "0")]
    [InlineData(long.MinValue, 3, "-9223372036854775.808")]
    [InlineData(42L, 0, "42")]
    public void DecimalTextFormatsExactly(long value, int scale, string expected)
    {
        var buf = new byte[48];
        Assert.Equal(expected, Encoding.ASCII.GetString(buf, 0, DecimalText.Format(value, scale, buf)));
        Assert.True(DecimalText.TryParseScaled(Encoding.ASCII.GetBytes(expected), scale, out long back));
        Assert.Equal(value, back);
    }

    [Fact]
    public void ChromeRoundTripKeepsEpochNanoseconds()
    {
        var p = Read("""
            [
            {"name":"p","ph":"X","ts":1732250000123456.789,"dur":1,"pid":1,"tid":1},
            {"name":"c","ph":"B","ts":1732250000123456.790,"pid":1,"tid":1},
            {"ph":"E","ts":1732250000123457.788,"pid":1,"tid":1}
            ]
            """, out _);
        var json = FlameKit.Tests.Formats.Speedscope.SpeedscopeTests.Write(new FlameKit.Formats.ChromeTrace.ChromeTraceWriter(), p);
        Assert.Contains("\"ts\":1732250000123456.79,", Encoding.UTF8.GetString(json).Replace(" ", ""));
        var q = ProfileFormats.Read(new MemoryStream(json)).Profile;
        Assert.Equal(["0 p 1", "1 p;c 998", "999 p 1"], Timeline(q));
        Assert.Equal(T0, q.SampleTimestamp(0));
    }

    private static Profile Read(string json, out List<string> diags)
    {
        var list = new List<string>();
        diags = list;
        return ProfileFormats.Read(new MemoryStream(Encoding.UTF8.GetBytes(json)), new ReadOptions { Diagnostics = d => list.Add(d.Message) }).Profile;
    }

    /// <summary>Samples per thread in time order: "ns since the thread's first sample, stack, value" (stack "-" when empty).</summary>
    private static List<string> Timeline(Profile p)
    {
        var trie = FrameTrie.Build(p);
        var path = new List<string>();
        var rows = new List<string>();
        foreach (var thread in Enumerable.Range(0, p.SampleCount).GroupBy(i => p.SampleThread(i).IsNone ? -1 : p.SampleThread(i).Index).OrderBy(g => g.Key))
        {
            long origin = thread.Min(p.SampleTimestamp);
            foreach (int i in thread.OrderBy(p.SampleTimestamp))
            {
                trie.PathRootFirst(trie.NodeOf(p.SampleStack(i)), path);
                rows.Add($"{p.SampleTimestamp(i) - origin} {(path.Count == 0 ? "-" : string.Join(";", path))} {p.SampleValue(i, 0)}");
            }
        }
        return rows;
    }

    private static Dictionary<string, long> Self(Profile p)
    {
        var trie = FrameTrie.Build(p);
        var path = new List<string>();
        var d = new Dictionary<string, long>();
        for (int i = 0; i < p.SampleCount; i++)
        {
            trie.PathRootFirst(trie.NodeOf(p.SampleStack(i)), path);
            if (path.Count > 0) d[path[^1]] = d.GetValueOrDefault(path[^1]) + p.SampleValue(i, 0);
        }
        return d;
    }
}
