using System.Text.Json;
using FlameKit.Formats.Internal;

namespace FlameKit.Formats.ChromeTrace;

/// <summary>
/// A V8 CPU profile being assembled (from a <c>.cpuprofile</c> or from a trace's <c>Profile</c> and
/// <c>ProfileChunk</c> events): call tree nodes, sampled node ids and times, given in microseconds and
/// kept as exact nanoseconds (read from the numbers' text, not through double, see <see cref="DecimalText"/>).
/// </summary>
internal sealed class CpuProfileData
{
    private readonly Dictionary<long, Node> _nodes = [];
    private readonly List<long> _samples = [];
    private readonly List<long> _deltas = [];

    internal sealed class Node(long id, string name, string url, long line, long column)
    {
        public long Id { get; } = id;
        public string Name { get; } = name;
        public string Url { get; } = url;
        public long Line { get; } = line;     // 0-based, -1 when unknown
        public long Column { get; } = column; // 0-based, -1 when unknown
        public long Parent { get; set; } = -1;
        public StackId? Stack { get; set; }
    }

    /// <summary>Profile start in nanoseconds, or null (then 0).</summary>
    public long? StartTime { get; set; }

    /// <summary>Profile end in nanoseconds, or null (then the last sample's time).</summary>
    public long? EndTime { get; set; }

    /// <summary>Sets <see cref="StartTime"/> and <see cref="EndTime"/> from an object's <c>startTime</c> and <c>endTime</c> (microseconds), where they are numbers.</summary>
    public void SetTimes(JsonElement profile)
    {
        if (profile.TryGetProperty("startTime", out var st) && DecimalText.TryGetScaled(st, 3, out long start)) StartTime = start;
        if (profile.TryGetProperty("endTime", out var et) && DecimalText.TryGetScaled(et, 3, out long end)) EndTime = end;
    }

    /// <summary>Number of samples so far.</summary>
    public int SampleCount => _samples.Count;

    /// <summary>Adds call tree nodes (with <c>children</c> lists or <c>parent</c> ids).</summary>
    public void AddNodes(JsonElement nodes)
    {
        foreach (var n in nodes.EnumerateArray())
        {
            if (!n.TryGetProperty("id", out var idEl) || !idEl.TryGetInt64(out long id)) throw new ProfileFormatException("cpuprofile", "a node has no numeric \"id\"");
            string name = "", url = "";
            long line = -1, col = -1;
            if (n.TryGetProperty("callFrame", out var cf) && cf.ValueKind == JsonValueKind.Object)
            {
                name = Str(cf, "functionName");
                url = Str(cf, "url");
                if (cf.TryGetProperty("lineNumber", out var l) && l.ValueKind == JsonValueKind.Number) line = (long)l.GetDouble();
                if (cf.TryGetProperty("columnNumber", out var c) && c.ValueKind == JsonValueKind.Number) col = (long)c.GetDouble();
            }
            var node = _nodes.TryGetValue(id, out var existing) ? existing : new Node(id, name, url, line, col);
            if (existing is null) _nodes[id] = node;
            if (n.TryGetProperty("parent", out var p) && p.TryGetInt64(out long parent)) node.Parent = parent;
            if (n.TryGetProperty("children", out var ch) && ch.ValueKind == JsonValueKind.Array)
                foreach (var c in ch.EnumerateArray())
                {
                    long cid = c.GetInt64();
                    if (_nodes.TryGetValue(cid, out var child)) child.Parent = id;
                    else _pendingParents[cid] = id;
                }
            if (_pendingParents.Remove(id, out long pp)) node.Parent = pp;
        }
    }

    private readonly Dictionary<long, long> _pendingParents = [];

    /// <summary>Adds sampled node ids.</summary>
    public void AddSamples(JsonElement samples)
    {
        foreach (var s in samples.EnumerateArray()) _samples.Add(s.GetInt64());
    }

    /// <summary>Adds time deltas (microseconds; the first is from the start time).</summary>
    public void AddTimeDeltas(JsonElement deltas)
    {
        foreach (var d in deltas.EnumerateArray())
            _deltas.Add(DecimalText.TryGetScaled(d, 3, out long ns) ? ns : throw new FormatException($"time delta {d} is not a number in range"));
    }

    /// <summary>
    /// Emits the samples as speedscope's Chrome importer weighs them: sample <c>k</c> lasts from its own
    /// time to the next sample's (the last one lasts nothing), time before the first sample and after the
    /// last one is idle (the empty stack), <c>(idle)</c> samples are idle, and the <c>(root)</c> node is
    /// not a frame. So the total is <c>endTime - startTime</c>. Values are nanoseconds.
    /// </summary>
    public int Emit(ProfileBuilder b, ThreadIndex thread)
    {
        int negative = 0;
        long startNs = StartTime ?? 0;
        int n = Math.Min(_samples.Count, _deltas.Count);
        var times = new long[n];
        long t = startNs;
        for (int k = 0; k < n; k++)
        {
            long d = _deltas[k];
            if (d < 0) { negative++; d = 0; }
            t += d;
            times[k] = t;
        }
        long last = n > 0 ? times[n - 1] : startNs;
        long endNs = EndTime is { } end ? Math.Max(end, last) : last;
        var value = new long[1];
        void Add(StackId stack, long at, long until)
        {
            if (until <= at) return;
            value[0] = until - at;
            b.AddSample(stack, value, at, thread);
        }
        Add(StackId.Empty, startNs, n > 0 ? times[0] : endNs);
        for (int k = 0; k < n; k++)
        {
            long until = k + 1 < n ? times[k + 1] : endNs;
            Add(k + 1 < n ? StackOf(b, _samples[k]) : StackId.Empty, times[k], until);
        }
        return negative;
    }

    private StackId StackOf(ProfileBuilder b, long nodeId)
    {
        if (!_nodes.TryGetValue(nodeId, out var node)) return StackId.Empty;
        if (node.Stack is { } s) return s;
        // Walk up to the first node with a known stack, then intern downwards (no recursion: stacks can be deep).
        var chain = new List<Node>();
        StackId baseStack = StackId.Empty;
        for (var cur = node; ;)
        {
            if (cur.Stack is { } known) { baseStack = known; break; }
            chain.Add(cur);
            if (cur.Parent < 0 || !_nodes.TryGetValue(cur.Parent, out var parent) || chain.Count > _nodes.Count) break;
            cur = parent;
        }
        for (int i = chain.Count - 1; i >= 0; i--)
        {
            var c = chain[i];
            if (c.Name is "(root)" || c.Name is "(idle)") c.Stack = c.Name == "(idle)" ? StackId.Empty : baseStack;
            else c.Stack = b.Push(baseStack, Location(b, c));
            baseStack = c.Stack.Value;
        }
        return node.Stack ?? StackId.Empty;
    }

    private static LocationId Location(ProfileBuilder b, Node n)
    {
        long line = n.Line >= 0 ? n.Line + 1 : 0, col = n.Column >= 0 ? n.Column + 1 : 0;
        var fn = b.AddFunction(DisplayName(n.Name, n.Url, line), "", n.Url);
        return b.AddLocation(0, MappingId.None, [new Line(fn, line, col)]);
    }

    /// <summary>speedscope's name for a frame: the function name, or <c>(anonymous file:line)</c>.</summary>
    internal static string DisplayName(string name, string url, long line)
    {
        if (name.Length > 0) return name;
        if (url.Length == 0) return "(anonymous)";
        string file = url[(url.LastIndexOf('/') + 1)..];
        return line > 0 ? $"(anonymous {file}:{line})" : $"(anonymous {file})";
    }

    private static string Str(JsonElement e, string key) =>
        e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
}
