// Usage: nettrace-app SECONDS [THREADS]
// Each worker thread alternates CPU work at a thread-specific recursion depth with short sleeps, so a
// trace holds managed (CPU_TIME) and blocked (UNMANAGED_CODE_TIME) samples on named threads; the main
// thread waits for them. More threads make bigger traces (the sample profiler samples every thread).
using System.Diagnostics;
using System.Globalization;

double seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 2;
int threads = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
var stop = Stopwatch.StartNew();
var workers = new Thread[threads];
for (int i = 0; i < threads; i++)
{
    int depth = 3 + i % 7;
    workers[i] = new Thread(() => Workload.Run(depth, seconds, stop)) { Name = $"worker-{i}" };
    workers[i].Start();
}
foreach (var w in workers) w.Join();
Console.WriteLine(Workload.Sink);

static class Workload
{
    public static long Sink;

    public static void Run(int depth, double seconds, Stopwatch clock)
    {
        long local = 0;
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            local += Recurse(depth);
            Thread.Sleep(2);
        }
        Interlocked.Add(ref Sink, local);
    }

    private static long Recurse(int depth) => depth == 0 ? Spin() : Recurse(depth - 1) + 1;

    private static long Spin()
    {
        var sw = Stopwatch.StartNew();
        long x = 0;
        object? keep = null;
        // Some allocation, so allocation events (AllocationTick, sampled object allocations) carry stacks too.
        while (sw.ElapsedTicks < Stopwatch.Frequency / 500)
        {
            x = unchecked(x * 31 + 7);
            if ((x & 3) == 0) keep = new byte[64];
        }
        return x + (keep is null ? 0 : 1);
    }
}
