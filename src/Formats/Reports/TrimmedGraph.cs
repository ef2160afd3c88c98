namespace FlameKit.Reports;

/// <summary>
/// pprof's trimmed report graph (<c>newTrimmedGraph</c> for text reports): the function graph with nodes below
/// the node fraction dropped, at most a node count of the rest kept (by flat or cum order), edges below the
/// edge fraction dropped, and the output unit chosen for the values that remain.
/// </summary>
internal sealed class TrimmedGraph
{
    public required CallGraph Graph;
    public int DroppedNodes;
    public int OriginalNodeCount;
    public required string OutputUnit;

    /// <summary>Builds the trimmed graph of sample type <paramref name="st"/> of <paramref name="p"/>.</summary>
    /// <param name="p">The profile.</param>
    /// <param name="st">The sample type.</param>
    /// <param name="nodeFraction">pprof's -nodefraction.</param>
    /// <param name="edgeFraction">pprof's -edgefraction.</param>
    /// <param name="nodeCount">pprof's -nodecount (0: all).</param>
    /// <param name="cum">Order by cum instead of flat.</param>
    /// <param name="total">The report total (for the output unit).</param>
    /// <param name="edgesOf">When not null, only the edges of nodes whose name matches are collected (for peek).</param>
    /// <param name="mean">pprof's -mean: nodes also carry their counts, and the output unit suits the mean values.</param>
    public static TrimmedGraph Create(Profile p, int st, double nodeFraction, double edgeFraction, int nodeCount, bool cum, long total,
        System.Text.RegularExpressions.Regex? edgesOf = null, bool mean = false)
    {
        var src = CallGraph.Source.Create(p, st, mean);
        bool[]? edgeEnds = null;
        if (edgesOf is not null)
        {
            edgeEnds = new bool[src.Names.Length];
            for (int i = 0; i < edgeEnds.Length; i++) edgeEnds[i] = edgesOf.IsMatch(src.Names[i]);
        }
        bool oneBuild = nodeFraction == 0 && nodeCount <= 0;
        var g = CallGraph.Build(src, null, withEdges: oneBuild, edgeEnds);
        // Cutoffs, like the ordering, use the raw sums even with -mean (pprof's newTrimmedGraph does).
        long totalValue = 0;
        foreach (int n in g.Nodes) totalValue += g.Flat[n];
        long nodeCutoff = Math.Abs((long)(totalValue * nodeFraction));
        long edgeCutoff = Math.Abs((long)(totalValue * edgeFraction));
        // Dropping nodes changes no kept node's flat or cum (only edges, which flow through dropped nodes), so
        // both the node fraction and the node count are decided on the first build and the graph rebuilt once.
        var kept = new bool[src.Names.Length];
        int count = 0;
        foreach (int n in g.Nodes) if (Math.Abs(g.Cum[n]) >= nodeCutoff) { kept[n] = true; count++; }
        int dropped = g.Nodes.Length - count;
        if (dropped > 0) g.Nodes = Array.FindAll(g.Nodes, n => kept[n]);
        int origCount = g.Nodes.Length;
        g.Sort(cum);
        bool cut = nodeCount > 0 && nodeCount < g.Nodes.Length;
        if (cut)
            for (int i = nodeCount; i < g.Nodes.Length; i++) kept[g.Nodes[i]] = false;
        if (!oneBuild)
        {
            // pprof rebuilds only when it dropped something. Without a rebuild, edges to nodes whose raw values are
            // all 0 (with -mean, samples of value 0 but a non-zero count) stay, so build with every node then.
            g = CallGraph.Build(src, dropped > 0 || cut ? kept : null, withEdges: true, edgeEnds);
            g.Sort(cum);
        }
        g.TrimEdges(edgeCutoff);
        return new TrimmedGraph { Graph = g, DroppedNodes = dropped, OriginalNodeCount = origCount, OutputUnit = OutputUnitFor(g, p.SampleTypes[st].Unit, total) };
    }

    /// <summary>
    /// pprof's selectOutputUnit: a unit that suits the smallest non-zero value shown (a mean with <c>-mean</c>),
    /// unless the total is 100x bigger.
    /// </summary>
    private static string OutputUnitFor(CallGraph g, string sampleUnit, long total)
    {
        long minValue = 0;
        foreach (int n in g.Nodes)
        {
            long v = Math.Abs(g.FlatValue(n));
            if (v == 0) v = Math.Abs(g.CumValue(n));
            if (v > 0 && (minValue == 0 || v < minValue)) minValue = v;
        }
        if (g.Nodes.Length == 0) return "minimum"; // pprof leaves its default when the graph is empty
        long maxValue = total;
        if (minValue == 0) minValue = maxValue;
        string minUnit = PprofMeasurement.Scale(minValue, sampleUnit, "minimum").Unit;
        string maxUnit = PprofMeasurement.Scale(maxValue, sampleUnit, "minimum").Unit;
        string unit = minUnit;
        if (minUnit != maxUnit && minValue * 100 < maxValue) unit = PprofMeasurement.Scale(100 * minValue, sampleUnit, "minimum").Unit;
        return unit.Length > 0 ? unit : sampleUnit;
    }
}
