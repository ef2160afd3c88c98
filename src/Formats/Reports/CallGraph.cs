namespace FlameKit.Reports;

/// <summary>
/// pprof's function-level call graph (<c>internal/graph</c> at "functions" granularity): one node per function
/// name, flat and cumulative values, and caller→callee edges that remember whether they are inline calls.
/// Built from the samples of one sample type; optionally restricted to a set of kept nodes, in which case
/// values flow through the dropped nodes as pprof's "residual" edges.
/// </summary>
internal sealed class CallGraph
{
    public required string[] Names;          // per node id
    public required long[] Flat, Cum;        // per node id
    public required int[] Nodes;             // node ids present in the graph (non-zero), in graph order
    public required Dictionary<long, (long Weight, bool Inline)> Edges; // key: (caller << 32) | callee

    /// <summary>Per-profile data shared by every rebuild: node names and each location's nodes.</summary>
    internal sealed class Source
    {
        public required Profile Profile;
        public required string[] Names;
        public required int[][] LocationNodes;          // innermost line first
        public required int[] Stacks;                   // distinct stacks with a non-zero value
        public required long[] StackValues;

        public static Source Create(Profile p, int sampleType)
        {
            var nameIndex = new Dictionary<string, int>(StringComparer.Ordinal);
            var names = new List<string>();
            int Node(string name)
            {
                if (!nameIndex.TryGetValue(name, out int id)) { id = names.Count; nameIndex.Add(name, id); names.Add(name); }
                return id;
            }
            var fnNode = new int[p.Functions.Length];
            for (int i = 0; i < fnNode.Length; i++)
            {
                string n = p.Functions[i].Name;
                fnNode[i] = Node(n.Length == 0 ? "<unknown>" : n);
            }
            var locNodes = new int[p.Locations.Length][];
            for (int i = 0; i < locNodes.Length; i++)
            {
                var loc = p.Locations[i];
                var lines = loc.Lines;
                if (lines.Length == 0)
                {
                    locNodes[i] = [Node(loc.Address != 0 ? loc.Address.ToString("x16", System.Globalization.CultureInfo.InvariantCulture) : "<unknown>")];
                    continue;
                }
                var arr = new int[lines.Length];
                for (int j = 0; j < arr.Length; j++) arr[j] = fnNode[lines[j].Function.Index];
                locNodes[i] = arr;
            }
            var perStack = new long[p.StackCount];
            for (int i = 0; i < p.SampleCount; i++) perStack[p.SampleStack(i).Index] += p.SampleValue(i, sampleType);
            var stacks = new List<int>();
            for (int s = 0; s < perStack.Length; s++) if (perStack[s] != 0) stacks.Add(s);
            var st = stacks.ToArray();
            var vals = new long[st.Length];
            for (int i = 0; i < st.Length; i++) vals[i] = perStack[st[i]];
            return new Source { Profile = p, Names = names.ToArray(), LocationNodes = locNodes, Stacks = st, StackValues = vals };
        }
    }

    /// <summary>Builds the graph, keeping only the nodes in <paramref name="kept"/> when it is not null.</summary>
    public static CallGraph Build(Source src, bool[]? kept)
    {
        var p = src.Profile;
        int n = src.Names.Length;
        var flat = new long[n];
        var cum = new long[n];
        var seen = new int[n];
        var edges = new Dictionary<long, (long, bool)>();
        var seenEdges = new HashSet<long>();
        int stamp = 0;
        var buf = new LocationId[64];
        for (int si = 0; si < src.Stacks.Length; si++)
        {
            var stack = new StackId(src.Stacks[si]);
            long w = src.StackValues[si];
            int depth = p.StackDepth(stack);
            if (buf.Length < depth) buf = new LocationId[depth * 2];
            p.CopyStackLeafFirst(stack, buf);
            stamp++;
            seenEdges.Clear();
            int parent = -1;
            bool residual = false;
            for (int i = depth - 1; i >= 0; i--)
            {
                var nodes = src.LocationNodes[buf[i].Index];
                for (int ni = nodes.Length - 1; ni >= 0; ni--)
                {
                    int node = nodes[ni];
                    if (kept is not null && !kept[node]) { residual = true; continue; }
                    if (seen[node] != stamp) { seen[node] = stamp; cum[node] += w; }
                    if (parent >= 0 && node != parent)
                    {
                        long key = ((long)parent << 32) | (uint)node;
                        if (seenEdges.Add(key))
                        {
                            bool inline = ni != nodes.Length - 1;
                            if (edges.TryGetValue(key, out var e)) edges[key] = (e.Item1 + w, e.Item2 && inline);
                            else edges[key] = (w, inline);
                        }
                    }
                    parent = node;
                    residual = false;
                }
            }
            if (parent >= 0 && !residual) flat[parent] += w;
        }
        var present = new List<int>();
        for (int i = 0; i < n; i++)
            if ((kept is null || kept[i]) && (flat[i] != 0 || cum[i] != 0)) present.Add(i);
        return new CallGraph { Names = src.Names, Flat = flat, Cum = cum, Nodes = present.ToArray(), Edges = edges };
    }

    /// <summary>Sorts <see cref="Nodes"/> as pprof's FlatNameOrder, or CumNameOrder when <paramref name="cum"/>.</summary>
    public void Sort(bool cum)
    {
        var flat = Flat;
        var cumv = Cum;
        var names = Names;
        Array.Sort(Nodes, (l, r) =>
        {
            int c;
            if (cum)
            {
                c = Math.Abs(cumv[r]).CompareTo(Math.Abs(cumv[l]));
                if (c != 0) return c;
                c = string.CompareOrdinal(names[l], names[r]);
                if (c != 0) return c;
                return Math.Abs(flat[r]).CompareTo(Math.Abs(flat[l]));
            }
            c = Math.Abs(flat[r]).CompareTo(Math.Abs(flat[l]));
            if (c != 0) return c;
            c = string.CompareOrdinal(names[l], names[r]);
            if (c != 0) return c;
            return Math.Abs(cumv[r]).CompareTo(Math.Abs(cumv[l]));
        });
    }

    /// <summary>Drops edges lighter than <paramref name="cutoff"/> (pprof's TrimLowFrequencyEdges).</summary>
    public void TrimEdges(long cutoff)
    {
        if (cutoff <= 0) return;
        foreach (var (k, e) in Edges.ToList())
            if (Math.Abs(e.Weight) < cutoff) Edges.Remove(k);
    }

    /// <summary>pprof's inline label for a node: "(inline)" when all its incoming edges are inline, "(partial-inline)" when some are.</summary>
    public string[] InlineLabels()
    {
        var inl = new bool[Names.Length];
        var notInl = new bool[Names.Length];
        foreach (var (k, e) in Edges)
        {
            int callee = (int)(k & 0xffffffff);
            if (e.Inline) inl[callee] = true; else notInl[callee] = true;
        }
        var labels = new string[Names.Length];
        for (int i = 0; i < labels.Length; i++)
            labels[i] = inl[i] ? (notInl[i] ? "(partial-inline)" : "(inline)") : "";
        return labels;
    }
}
