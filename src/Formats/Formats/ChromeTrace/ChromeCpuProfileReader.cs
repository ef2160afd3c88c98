using System.Text.Json;
using FlameKit.Formats.Internal;

namespace FlameKit.Formats.ChromeTrace;

/// <summary>
/// Reads V8 CPU profiles (<c>.cpuprofile</c>, as <c>node --cpu-prof</c> and Chrome DevTools write them):
/// <c>nodes</c> with <c>callFrame</c> and <c>children</c>, <c>samples</c>, <c>timeDeltas</c>,
/// <c>startTime</c>, <c>endTime</c> (microseconds).
/// </summary>
/// <remarks>
/// The result has one sample type, <c>wall/nanoseconds</c>, with timestamps, one sample per V8 sample
/// weighted as speedscope weighs them (the time to the next sample; time before the first and after the
/// last sample is idle, with the empty stack; <c>(idle)</c> samples are idle; <c>(root)</c> is not a frame),
/// so the total is <c>endTime - startTime</c>. Frames keep url, 1-based line and column; anonymous
/// functions are named <c>(anonymous file:line)</c>. See docs/formats/chrome-trace.md.
/// </remarks>
public sealed class ChromeCpuProfileReader : IProfileReader
{
    /// <summary>The V8 CPU profile format description.</summary>
    public static ProfileFormat CpuProfileFormat { get; } = new("cpuprofile", "V8 CPU profile JSON (.cpuprofile)", [".cpuprofile"]);

    /// <inheritdoc/>
    public ProfileFormat Format => CpuProfileFormat;

    /// <inheritdoc/>
    public Detection Detect(ReadOnlySpan<byte> head, bool isComplete)
    {
        var h = JsonSniff.SkipBomAndSpace(head);
        if (h.IsEmpty || h[0] != (byte)'{') return Detection.No;
        if (h.IndexOf("\"traceEvents\""u8) >= 0 || h.IndexOf("\"ph\""u8) >= 0) return Detection.No;
        return h.IndexOf("\"nodes\""u8) >= 0 && h.IndexOf("\"callFrame\""u8) >= 0 ? Detection.Yes : Detection.No;
    }

    /// <inheritdoc/>
    public Profile Read(Stream input, ReadOptions options)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(input, new JsonDocumentOptions { MaxDepth = 256 }); }
        catch (JsonException e) { throw new ProfileFormatException("cpuprofile", "invalid JSON: " + e.Message, (e.LineNumber ?? 0) + 1, inner: e); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("nodes", out var nodes) || nodes.ValueKind != JsonValueKind.Array)
                throw new ProfileFormatException("cpuprofile", "missing \"nodes\" array");
            var data = new CpuProfileData();
            try
            {
                data.AddNodes(nodes);
                if (root.TryGetProperty("samples", out var s) && s.ValueKind == JsonValueKind.Array) data.AddSamples(s);
                if (root.TryGetProperty("timeDeltas", out var d) && d.ValueKind == JsonValueKind.Array) data.AddTimeDeltas(d);
                data.SetTimes(root);
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException)
            {
                throw new ProfileFormatException("cpuprofile", "invalid samples or time deltas: " + e.Message, inner: e);
            }
            var b = new ProfileBuilder([new SampleType("wall", "nanoseconds")]) { Name = options.SourceName is { } n ? Path.GetFileName(n) : "" };
            var thread = b.AddThread(new ThreadInfo(0, b.Name.Length > 0 ? b.Name : "main"));
            int negative = data.Emit(b, thread);
            if (negative > 0) options.Diagnostics?.Invoke(new Diagnostic($"cpuprofile: {negative} negative time deltas read as 0"));
            b.TimeNanos = 0;
            return b.Build();
        }
    }
}
