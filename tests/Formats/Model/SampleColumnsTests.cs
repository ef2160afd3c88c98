namespace FlameKit.Tests.Model;

/// <summary>The compact per-sample columns give back exactly what was added, in every storage mode.</summary>
public class SampleColumnsTests
{
    [Fact]
    public void TimestampsRoundTripAcrossBlocksExceptionsAndWidening()
    {
        var rng = new Random(7);
        var expected = new List<long>();
        long t = 1_700_000_000_000_000_000;
        // Close timestamps (offsets), jumps of more than 2^31 ns inside a block (exceptions), back in time,
        // int.MinValue offsets, and finally so many jumps that the column turns into plain longs.
        for (int i = 0; i < 3000; i++) { t += rng.Next(0, 5000); expected.Add(t); }
        for (int i = 0; i < 300; i++) { t += i % 7 == 0 ? 3_000_000_000L : -rng.Next(0, 1000); expected.Add(t); }
        expected.Add(expected[^1] + int.MinValue);
        var c = new SampleTimestamps();
        foreach (var x in expected) c.Add(x);
        Assert.Equal(expected, Enumerable.Range(0, c.Count).Select(i => c[i]));
        for (int i = 0; i < 200_000; i++) { t += (i & 1) == 0 ? 5_000_000_000L : -4_000_000_000L; expected.Add(t); c.Add(t); }
        Assert.Equal(expected, Enumerable.Range(0, c.Count).Select(i => c[i]));
    }

    [Fact]
    public void ThreadsRoundTripAsRunsAndAsPlainIndices()
    {
        var runs = new SampleThreads();
        var expected = new List<int>();
        foreach (var (thread, n) in new[] { (0, 1000), (3, 1), (-1, 5), (2, 70_000), (0, 3) })
            for (int i = 0; i < n; i++) { runs.Add(thread); expected.Add(thread); }
        Assert.Equal(expected, Enumerable.Range(0, runs.Count).Select(i => runs[i]));
        // Random access out of order finds the right run too.
        Assert.Equal(expected[71_005], runs[71_005]);
        Assert.Equal(expected[1000], runs[1000]);
        Assert.Equal(expected[0], runs[0]);

        var interleaved = new SampleThreads();
        var exp2 = Enumerable.Range(0, 10_000).Select(i => i * 7919 % 13).ToList();
        foreach (var x in exp2) interleaved.Add(x);
        interleaved.PadTo(10_010, -1);
        exp2.AddRange(Enumerable.Repeat(-1, 10));
        Assert.Equal(exp2, Enumerable.Range(0, interleaved.Count).Select(i => interleaved[i]));
    }

    [Fact]
    public void ProfileKeepsTimestampsAndThreadsOfTimelineSamples()
    {
        var b = new ProfileBuilder([new SampleType("wall", "nanoseconds")]);
        var t1 = b.AddThread(new ThreadInfo(1, "a"));
        var t2 = b.AddThread(new ThreadInfo(2, "b"));
        var s = b.Push(StackId.Empty, b.AddFrame("f"));
        b.EnsureSampleCapacity(600, timestamps: true);
        for (int i = 0; i < 300; i++) b.AddSample(s, [10], 5_000_000_000L + i * 10, t1);
        for (int i = 0; i < 300; i++) b.AddSample(s, [10], i * 10, t2);
        var p = b.Build();
        Assert.Equal(600, p.SampleCount);
        for (int i = 0; i < 600; i++)
        {
            Assert.Equal(i < 300 ? 5_000_000_000L + i * 10 : (i - 300) * 10, p.SampleTimestamp(i));
            Assert.Equal(i < 300 ? t1 : t2, p.SampleThread(i));
        }
    }

    /// <summary>
    /// Values derived from timestamps give back exactly the values added: chained intervals, the last
    /// sample of each thread, gaps and overlaps (exceptions), and a profile that falls back to storing
    /// values (too many exceptions, or a sample without a timestamp).
    /// </summary>
    [Theory]
    [InlineData("chained")]
    [InlineData("mostly-exceptions")]
    [InlineData("untimed-sample")]
    public void DerivedValuesMatchTheValuesAdded(string kind)
    {
        var rng = new Random(11);
        var b = new ProfileBuilder([new SampleType("wall", "nanoseconds")]) { DeriveValuesFromTimestamps = true };
        var threads = new[] { b.AddThread(new ThreadInfo(1, "a")), b.AddThread(new ThreadInfo(2, "b")) };
        var s = b.Push(StackId.Empty, b.AddFrame("f"));
        var expected = new List<long>();
        var times = new List<long>();
        for (int th = 0; th < 2; th++)
        {
            long t = th == 0 ? 1_700_000_000_000_000_000 : 1_699_999_999_000_000_000; // the second thread starts earlier
            for (int i = 0; i < 20_000; i++)
            {
                long v = rng.Next(1, 100_000);
                // Chained: the next sample starts where this one ends, except now and then a gap or an overlap.
                long next = kind == "mostly-exceptions" || i % 997 == 0 ? t + v + rng.Next(-50, 50) : t + v;
                if (kind == "untimed-sample" && th == 1 && i == 500)
                {
                    b.AddSample(s, [v], thread: threads[th]);
                    expected.Add(v);
                    times.Add(long.MinValue);
                }
                else
                {
                    b.AddSample(s, [v], t, threads[th]);
                    expected.Add(v);
                    times.Add(t);
                }
                t = next;
            }
        }
        long lastTime = times[^1] + 3;
        b.AddSample(s, [0], lastTime, threads[1]); // a zero value at the very end
        expected.Add(0);
        times.Add(lastTime);
        if (kind == "chained") Assert.True(b.DeriveValuesFromTimestamps);
        else Assert.False(b.DeriveValuesFromTimestamps);
        if (kind == "untimed-sample")
        {
            Assert.Throws<InvalidOperationException>(() => b.Build()); // mixing timed and untimed samples is still refused
            return;
        }
        var p = b.Build();
        Assert.Equal(expected.Count, p.SampleCount);
        var copied = new long[1];
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i], p.SampleValue(i, 0));
            p.CopySampleValues(i, copied);
            Assert.Equal(expected[i], copied[0]);
            Assert.Equal(times[i], p.SampleTimestamp(i));
        }
        Assert.Equal(expected.Sum(), p.Total(0));
        if (kind == "chained")
        {
            // Derived values have no second column and no sample past the end.
            Assert.Throws<ArgumentOutOfRangeException>(() => p.SampleValue(0, 1));
            Assert.Throws<ArgumentOutOfRangeException>(() => p.SampleValue(expected.Count, 0));
        }
        // The span API writes the derived values out once and agrees with them.
        for (int i = 0; i < expected.Count; i += 101) Assert.Equal(expected[i], p.SampleValues(i)[0]);
    }

    [Fact]
    public void DerivedValuesNeedASingleSampleTypeAndNoSamplesYet()
    {
        var two = new ProfileBuilder([new SampleType("wall", "nanoseconds"), new SampleType("samples", "count")]);
        Assert.Throws<InvalidOperationException>(() => two.DeriveValuesFromTimestamps = true);
        var one = new ProfileBuilder([new SampleType("wall", "nanoseconds")]);
        one.AddSample(StackId.Empty, [1], 0, ThreadIndex.None);
        Assert.Throws<InvalidOperationException>(() => one.DeriveValuesFromTimestamps = true);
    }
}
