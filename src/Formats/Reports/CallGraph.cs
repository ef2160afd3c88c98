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
    /// <summary>
    /// With pprof's <c>-mean</c>: per node id, the sums of the first sample type's values (the counts) over the
    /// same samples as <see cref="Flat"/> and <see cref="Cum"/>; null otherwise. pprof divides only when showing
    /// a value, so trimming and ordering still use the raw sums.
    /// </summary>
    public long[]? FlatDiv, CumDiv;
    public required int[] Nodes;             // node ids present in the graph (non-zero), in graph order
    public required List<Edge> Edges;

    /// <summary>A caller→callee edge: its weight (counted once per stack) and whether every such call was inlined.</summary>
    public readonly record struct Edge(int Caller, int Callee, long Weight, bool Inline);

    /// <summary>
    /// Per-profile data shared by every rebuild: node names, each location's nodes, and every distinct stack
    /// with a non-zero value flattened once into node ids (root first), so rebuilds scan one array in order
    /// instead of chasing the stack trie again.
    /// </summary>
    internal sealed class Source
    {
        public required Profile Profile;
        public required string[] Names;
        public required int[][] LocationNodes;          // innermost line first
        /// <summary>Node ids of every stack, root first; <see cref="InlineBit"/> marks a call made inline.</summary>
        public required int[] Paths;
        /// <summary>Stack <c>i</c> is <c>Paths[PathStart[i]..PathStart[i + 1]]</c>.</summary>
        public required int[] PathStart;
        public required long[] StackValues;
        /// <summary>With <c>-mean</c>: each stack's sum of the first sample type's values; null otherwise.</summary>
        public long[]? StackDivisors;

        public const int InlineBit = int.MinValue;

        /// <summary>Builds the source with one node per function name (pprof's "functions" granularity).</summary>
        /// <param name="p">The profile.</param>
        /// <param name="sampleType">The sample type.</param>
        /// <param name="mean">Also sum the first sample type per stack, for pprof's <c>-mean</c>.</param>
        public static Source Create(Profile p, int sampleType, bool mean = false) => Create(p, sampleType, null, mean);

        /// <summary>
        /// Builds the source; with <paramref name="lineKey"/>, one node per distinct key of a location's line (e.g.
        /// function, file and line for <c>-list</c>), created in location order as pprof creates its nodes.
        /// </summary>
        public static Source Create(Profile p, int sampleType, Func<Location, Line, string>? lineKey, bool mean = false)
        {
            var nameIndex = new Dictionary<string, int>(StringComparer.Ordinal);
            var names = new List<string>();
            int Node(string name)
            {
                if (!nameIndex.TryGetValue(name, out int id)) { id = names.Count; nameIndex.Add(name, id); names.Add(name); }
                return id;
            }
            var fnNode = new int[lineKey is null ? p.Functions.Length : 0];
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
                    // pprof aggregates to functions before its graph reports, which clears addresses: what is left
                    // of a location without lines is its binary's name, or nothing.
                    string file = loc.Mapping.IsNone ? "" : p.Mappings[loc.Mapping.Index].FileBaseName;
                    locNodes[i] = [Node(file.Length > 0 ? "[" + file + "]" : "<unknown>")];
                    continue;
                }
                var arr = new int[lines.Length];
                for (int j = 0; j < arr.Length; j++) arr[j] = lineKey is null ? fnNode[lines[j].Function.Index] : Node(lineKey(loc, lines[j]));
                locNodes[i] = arr;
            }
            var perStack = new long[p.StackCount];
            var perStackDiv = mean ? new long[p.StackCount] : null;
            int count = p.SampleCount;
            for (int i = 0; i < count; i++) perStack[p.SampleStack(i).Index] += p.SampleValue(i, sampleType);
            if (perStackDiv is not null)
                for (int i = 0; i < count; i++) perStackDiv[p.SampleStack(i).Index] += p.SampleValue(i, 0);
            // pprof skips a sample only when both its value and its divisor are zero.
            bool Used(int s) => perStack[s] != 0 || (perStackDiv is not null && perStackDiv[s] != 0);
            int stacks = 0;
            long pathLength = 0;
            for (int s = 0; s < perStack.Length; s++)
                if (Used(s)) { stacks++; pathLength += p.StackDepth(new StackId(s)); }
            var vals = new long[stacks];
            var divs = perStackDiv is null ? null : new long[stacks];
            var starts = new int[stacks + 1];
            var paths = new int[Math.Max(16, pathLength + pathLength / 8)];
            var buf = new LocationId[64];
            int at = 0, si = 0;
            for (int s = 0; s < perStack.Length; s++)
            {
                if (!Used(s)) continue;
                var stack = new StackId(s);
                int depth = p.StackDepth(stack);
                if (buf.Length < depth) buf = new LocationId[depth * 2];
                p.CopyStackLeafFirst(stack, buf);
                vals[si] = perStack[s];
                if (divs is not null) divs[si] = perStackDiv![s];
                starts[si++] = at;
                for (int i = depth - 1; i >= 0; i--)
                {
                    var nodes = locNodes[buf[i].Index];
                    if (at + nodes.Length > paths.Length) Array.Resize(ref paths, paths.Length * 2);
                    // Lines are innermost first: the last is the real call, the ones before it were inlined into it.
                    for (int ni = nodes.Length - 1; ni >= 0; ni--)
                        paths[at++] = ni != nodes.Length - 1 ? nodes[ni] | InlineBit : nodes[ni];
                }
            }
            starts[si] = at;
            return new Source { Profile = p, Names = names.ToArray(), LocationNodes = locNodes, Paths = paths, PathStart = starts, StackValues = vals, StackDivisors = divs };
        }
    }

    /// <summary>
    /// Builds the graph, keeping only the nodes in <paramref name="kept"/> when it is not null. Edges are
    /// collected only when <paramref name="withEdges"/> (flat and cum values do not need them).
    /// </summary>
    /// <param name="src">The per-profile data.</param>
    /// <param name="kept">Nodes to keep, or null for all.</param>
    /// <param name="withEdges">Whether to collect edges.</param>
    /// <param name="edgeEnds">When not null, only edges with a caller or callee in this set are collected (peek needs no others).</param>
    public static CallGraph Build(Source src, bool[]? kept, bool withEdges = true, bool[]? edgeEnds = null)
    {
        int n = src.Names.Length;
        var flat = new long[n];
        var cum = new long[n];
        var divs = src.StackDivisors;
        var flatDiv = divs is null ? null : new long[n];
        var cumDiv = divs is null ? null : new long[n];
        var seen = new int[n];
        var edges = new EdgeTable();
        int stamp = 0;
        var paths = src.Paths;
        var starts = src.PathStart;
        var values = src.StackValues;
        for (int si = 0; si < values.Length; si++)
        {
            long w = values[si];
            stamp++;
            int parent = -1;
            bool residual = false;
            int end = starts[si + 1];
            for (int k = starts[si]; k < end; k++)
            {
                int entry = paths[k];
                int node = entry & int.MaxValue;
                if (kept is not null && !kept[node]) { residual = true; continue; }
                if (seen[node] != stamp)
                {
                    seen[node] = stamp;
                    cum[node] += w;
                    if (cumDiv is not null) cumDiv[node] += divs![si];
                }
                if (withEdges && parent >= 0 && node != parent && (edgeEnds is null || edgeEnds[node] || edgeEnds[parent]))
                    edges.Add(parent, node, w, entry < 0, stamp);
                parent = node;
                residual = false;
            }
            if (parent >= 0 && !residual)
            {
                flat[parent] += w;
                if (flatDiv is not null) flatDiv[parent] += divs![si];
            }
        }
        var present = new List<int>();
        for (int i = 0; i < n; i++)
            if ((kept is null || kept[i]) && (flat[i] != 0 || cum[i] != 0)) present.Add(i);
        return new CallGraph { Names = src.Names, Flat = flat, Cum = cum, Nodes = present.ToArray(), Edges = edges.ToList(), FlatDiv = flatDiv, CumDiv = cumDiv };
    }

    /// <summary>The flat value shown for a node: the raw sum, or with <c>-mean</c> that over its count (pprof's FlatValue).</summary>
    public long FlatValue(int node) => MeanOf(Flat[node], FlatDiv?[node] ?? 0);

    /// <summary>The cum value shown for a node: the raw sum, or with <c>-mean</c> that over its count (pprof's CumValue).</summary>
    public long CumValue(int node) => MeanOf(Cum[node], CumDiv?[node] ?? 0);

    /// <summary>pprof's mean: integer division (truncating, as Go's), and the raw value when the divisor is 0.</summary>
    internal static long MeanOf(long value, long divisor) => divisor == 0 ? value : value / divisor;

    /// <summary>
    /// Caller→callee edges keyed by an open-addressing table with a multiplicative hash: a
    /// <c>Dictionary&lt;long, _&gt;</c> hashes <c>(caller &lt;&lt; 32) | callee</c> as <c>caller ^ callee</c>, which
    /// collides so much that the 1M-sample top report spent a minute in it. Each edge counts once per stack.
    /// </summary>
    private sealed class EdgeTable
    {
        private long[] _keys = new long[256];     // key + 1; 0 = empty
        private int[] _ids = new int[256];
        private int _mask = 255, _shift = 56, _count;
        private long[] _weight = new long[128];
        private bool[] _inline = new bool[128];
        private int[] _stamp = new int[128];

        public void Add(int caller, int callee, long w, bool inline, int stamp)
        {
            long key = ((long)caller << 32) | (uint)callee;
            int i = (int)((ulong)(key + 1) * 0x9E3779B97F4A7C15UL >> _shift);
            while (true)
            {
                long k = _keys[i];
                if (k == key + 1)
                {
                    int id = _ids[i];
                    if (_stamp[id] != stamp) { _stamp[id] = stamp; _weight[id] += w; _inline[id] &= inline; }
                    return;
                }
                if (k == 0) break;
                i = (i + 1) & _mask;
            }
            if (_count == _weight.Length)
            {
                Array.Resize(ref _weight, _count * 2);
                Array.Resize(ref _inline, _count * 2);
                Array.Resize(ref _stamp, _count * 2);
            }
            _keys[i] = key + 1;
            _ids[i] = _count;
            _weight[_count] = w;
            _inline[_count] = inline;
            _stamp[_count] = stamp;
            if (++_count * 2 > _keys.Length) Grow();
        }

        private void Grow()
        {
            var oldKeys = _keys;
            var oldIds = _ids;
            _keys = new long[oldKeys.Length * 2];
            _ids = new int[oldKeys.Length * 2];
            _mask = _keys.Length - 1;
            _shift--;
            for (int j = 0; j < oldKeys.Length; j++)
            {
                if (oldKeys[j] == 0) continue;
                int i = (int)((ulong)oldKeys[j] * 0x9E3779B97F4A7C15UL >> _shift);
                while (_keys[i] != 0) i = (i + 1) & _mask;
                _keys[i] = oldKeys[j];
                _ids[i] = oldIds[j];
            }
        }

        public List<Edge> ToList()
        {
            var list = new List<Edge>(_count);
            for (int j = 0; j < _keys.Length; j++)
            {
                if (_keys[j] == 0) continue;
                long key = _keys[j] - 1;
                int id = _ids[j];
                list.Add(new Edge((int)(key >> 32), (int)(key & 0xffffffff), _weight[id], _inline[id]));
            }
            return list;
        }
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

    /// <summary>
    /// Drops edges lighter than <paramref name="cutoff"/> (pprof's TrimLowFrequencyEdges). pprof only looks at the
    /// incoming edges of the nodes in the graph, so an edge into a node left out for having all-zero values stays.
    /// </summary>
    public void TrimEdges(long cutoff)
    {
        if (cutoff <= 0) return;
        var present = new bool[Names.Length];
        foreach (int n in Nodes) present[n] = true;
        Edges.RemoveAll(e => present[e.Callee] && Math.Abs(e.Weight) < cutoff);
    }

    /// <summary>pprof's inline label for a node: "(inline)" when all its incoming edges are inline, "(partial-inline)" when some are.</summary>
    public string[] InlineLabels()
    {
        var inl = new bool[Names.Length];
        var notInl = new bool[Names.Length];
        foreach (var e in Edges)
        {
            if (e.Inline) inl[e.Callee] = true; else notInl[e.Callee] = true;
        }
        var labels = new string[Names.Length];
        for (int i = 0; i < labels.Length; i++)
            labels[i] = inl[i] ? (notInl[i] ? "(partial-inline)" : "(inline)") : "";
        return labels;
    }
}
