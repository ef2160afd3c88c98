using System.Text.Json;
using FlameKit.Formats.Internal;
using FlameKit.Formats.Speedscope;

namespace FlameKit.Formats.ChromeTrace;

/// <summary>
/// Writes the Chrome Trace Event Format (object form) as a flame chart: per thread, consecutive samples
/// that share a stack prefix become one complete (<c>X</c>) event per frame, correctly nested, with
/// <c>process_name</c>/<c>thread_name</c> metadata events. Opens in chrome://tracing, Perfetto UI and speedscope.
/// </summary>
/// <remarks>
/// <para>One sample type is written (<see cref="WriteOptions.SampleType"/>, default the profile's default).
/// With timestamps, sample <c>i</c> of a thread covers <c>[timestamp, timestamp + value]</c> (cut at the next
/// sample's timestamp) when the type is a time; gaps close every frame. Without timestamps, samples are laid
/// end to end from 0 in profile order, each lasting its value (read as nanoseconds, or as one microsecond per
/// unit when the type is not a time). Frames are display frames (inlined lines expanded), named as in flame
/// graphs.</para>
/// <para>The trace cannot hold other sample types, labels, file/line, addresses or comments, nor idle time
/// (the empty stack) before a thread's first frame and after its last one (a trace thread spans its first
/// to last event); what is present is reported in one line through <see cref="WriteOptions.Diagnostics"/>.</para>
/// </remarks>
public sealed class ChromeTraceWriter : IProfileWriter
{
    /// <inheritdoc/>
    public ProfileFormat Format => ChromeTraceReader.ChromeTraceFormat;

    /// <inheritdoc/>
    public void Write(Profile profile, Stream output, WriteOptions options)
    {
        int type = profile.ResolveSampleType(options.SampleType);
        var st = profile.SampleTypes[type];
        bool isTime = Units.IsTime(st.Unit);
        double nsPerUnit = isTime ? NanosPerUnit(st.Unit) / Math.Pow(10, st.DecimalPlaces) : 1000.0 / Math.Pow(10, st.DecimalPlaces);
        bool timestamps = profile.HasTimestamps && isTime;
        var lost = Losses(profile, type, isTime);
        long idleEdges = 0;

        var trie = FrameTrie.Build(profile, new FrameTrieOptions { Granularity = options.Granularity });
        int threadCount = profile.HasThreads ? profile.Threads.Count + 1 : 1;
        var byThread = new List<int>[threadCount];
        for (int i = 0; i < profile.SampleCount; i++)
        {
            var t = profile.SampleThread(i);
            int slot = !profile.HasThreads ? 0 : t.IsNone ? profile.Threads.Count : t.Index;
            (byThread[slot] ??= []).Add(i);
        }

        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { SkipValidation = true });
        w.WriteStartObject();
        w.WriteString("displayTimeUnit", "ms");
        w.WriteStartObject("otherData");
        w.WriteString("exporter", SpeedscopeWriter.Exporter);
        if (profile.Name.Length > 0) w.WriteString("name", profile.Name);
        w.WriteString("sampleType", st.ToString());
        w.WriteEndObject();
        w.WriteStartArray("traceEvents");

        var pidsNamed = new HashSet<long>();
        var open = new List<(int Node, long Start)>();
        var path = new List<int>();
        long lastEnd = long.MinValue;
        for (int slot = 0; slot < threadCount; slot++)
        {
            var samples = byThread[slot];
            if (samples is null) continue;
            ThreadInfo info = profile.HasThreads && slot < profile.Threads.Count ? profile.Threads[slot] : new ThreadInfo(slot < profile.Threads.Count ? 0 : slot, "");
            long pid = info.ProcessId, tid = info.Id;
            if (info.ProcessName.Length > 0 && pidsNamed.Add(pid)) Meta(w, "process_name", pid, tid, info.ProcessName);
            string tname = info.Name.Length > 0 ? info.Name : profile.Name.Length > 0 && threadCount == 1 ? profile.Name : "";
            if (tname.Length > 0) Meta(w, "thread_name", pid, tid, tname);
            if (timestamps) samples.Sort((a, b) => profile.SampleTimestamp(a).CompareTo(profile.SampleTimestamp(b)) is int c && c != 0 ? c : a.CompareTo(b));

            open.Clear();
            long clock = 0;
            bool anyFrame = false;
            long trailingIdle = 0;
            for (int k = 0; k < samples.Count; k++)
            {
                int s = samples[k];
                long dur = (long)Math.Round(profile.SampleValue(s, type) * nsPerUnit);
                long start = timestamps ? profile.SampleTimestamp(s) : clock;
                if (timestamps && k + 1 < samples.Count) dur = Math.Min(dur, Math.Max(0, profile.SampleTimestamp(samples[k + 1]) - start));
                long end = start + dur;
                clock = end;
                if (dur <= 0) continue;
                if (profile.SampleStack(s) == StackId.Empty)
                {
                    // Idle time between frames is a gap; before the first frame and after the last one,
                    // a trace thread has no events to span it.
                    if (!anyFrame) idleEdges += dur; else trailingIdle += dur;
                    continue;
                }
                anyFrame = true;
                trailingIdle = 0;
                // Close frames beyond the common prefix (and everything when there is a gap).
                path.Clear();
                for (int n = trie.NodeOf(profile.SampleStack(s)); n != 0; n = trie.Parent(n)) path.Add(n);
                path.Reverse();
                int common = 0;
                if (open.Count > 0 && lastEnd == start)
                    while (common < open.Count && common < path.Count && open[common].Node == path[common]) common++;
                CloseTo(w, trie, open, common, lastEnd, pid, tid);
                SpeedscopeWriter.FlushSome(w);
                for (int d = common; d < path.Count; d++) open.Add((path[d], start));
                lastEnd = end;
                // Utf8JsonWriter keeps everything until flushed: flush as we go, or the whole trace is held in memory.
                if (w.BytesPending > 1 << 20) w.Flush();
            }
            CloseTo(w, trie, open, 0, lastEnd, pid, tid);
            lastEnd = long.MinValue;
            idleEdges += trailingIdle;
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
        if (idleEdges > 0 && isTime) lost.Add($"idle time before the first and after the last frame of a thread ({idleEdges / 1e6:0.###} ms)");
        if (lost.Count > 0) options.Diagnostics?.Invoke(new Diagnostic($"chrome trace cannot hold {string.Join(", ", lost)}; dropped"));
    }

    private static void CloseTo(Utf8JsonWriter w, FrameTrie trie, List<(int Node, long Start)> open, int keep, long at, long pid, long tid)
    {
        for (int i = open.Count - 1; i >= keep; i--)
        {
            var (node, start) = open[i];
            w.WriteStartObject();
            w.WriteString("name", trie.Name(node));
            w.WriteString("ph", "X");
            // Exact µs text, not a double: absolute (epoch) times would lose their sub-µs digits (issue #4).
            DecimalText.WriteScaled(w, "ts"u8, start, 3);
            DecimalText.WriteScaled(w, "dur"u8, at - start, 3);
            w.WriteNumber("pid", pid);
            w.WriteNumber("tid", tid);
            w.WriteEndObject();
        }
        open.RemoveRange(keep, open.Count - keep);
    }

    private static void Meta(Utf8JsonWriter w, string kind, long pid, long tid, string name)
    {
        w.WriteStartObject();
        w.WriteString("name", kind);
        w.WriteString("ph", "M");
        w.WriteNumber("pid", pid);
        w.WriteNumber("tid", tid);
        w.WriteStartObject("args");
        w.WriteString("name", name);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static double NanosPerUnit(string unit) => unit.ToLowerInvariant() switch
    {
        "us" or "µs" or "microsecond" or "microseconds" => 1e3,
        "ms" or "millisecond" or "milliseconds" => 1e6,
        "s" or "sec" or "second" or "seconds" => 1e9,
        _ => 1,
    };

    private static List<string> Losses(Profile profile, int type, bool isTime)
    {
        var lost = new List<string>();
        if (profile.SampleTypes.Count > 1) lost.Add($"sample types other than {profile.SampleTypes[type].Type}");
        if (!isTime) lost.Add($"the unit {profile.SampleTypes[type].Unit} (written as 1 µs per unit)");
        if (profile.HasLabels) lost.Add("labels");
        bool lines = false;
        foreach (var f in profile.Functions) lines |= f.File.Length > 0;
        if (lines) lost.Add("file and line");
        if (profile.Mappings.Length > 1) lost.Add("addresses and mappings");
        if (profile.Comments.Count > 0) lost.Add("comments");
        return lost;
    }
}
