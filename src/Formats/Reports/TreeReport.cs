using System.Globalization;
using System.Text.RegularExpressions;

namespace FlameKit.Reports;

/// <summary>Options of <see cref="TreeReport"/>, with the defaults of <c>go tool pprof -tree</c>.</summary>
public sealed record TreeOptions
{
    /// <summary>Index into <see cref="Profile.SampleTypes"/>; null means the profile's default.</summary>
    public int? SampleType { get; init; }
    /// <summary>Drop nodes whose cum is below this fraction of the total. Default: 0.005 (0 for peek).</summary>
    public double NodeFraction { get; init; } = 0.005;
    /// <summary>Drop edges below this fraction of the total. Default: 0.001 (0 for peek).</summary>
    public double EdgeFraction { get; init; } = 0.001;
    /// <summary>Show at most this many nodes; 0 shows all. Default: 80 (pprof's default for -tree; 0 for peek).</summary>
    public int NodeCount { get; init; } = 80;
    /// <summary>Order nodes by cumulative value instead of flat.</summary>
    public bool Cum { get; init; }
    /// <summary>The total percentages are relative to; null uses the profile's own (see <see cref="TopOptions.Total"/>).</summary>
    public long? Total { get; init; }
    /// <summary>Only nodes whose name matches are shown (pprof <c>-peek</c>); null shows every node.</summary>
    public Regex? Symbol { get; init; }
    /// <summary>
    /// pprof's <c>-mean</c>: each function's flat and cum divided by the first sample type (the count) over the
    /// same samples. As pprof, the caller/callee values stay raw sums and nodes are ordered by the raw sums.
    /// </summary>
    public bool Mean { get; init; }

    /// <summary>The options of <c>go tool pprof -peek RE</c>: no trimming, nodes matching <paramref name="symbol"/>.</summary>
    /// <param name="symbol">The expression.</param>
    public static TreeOptions Peek(Regex symbol) => new() { NodeFraction = 0, EdgeFraction = 0, NodeCount = 0, Symbol = symbol };
}

/// <summary>One caller or callee of a <see cref="TreeNode"/>.</summary>
/// <param name="Name">The other function.</param>
/// <param name="Value">Value of the calls (counted once per sample; a raw sum even with <see cref="TreeOptions.Mean"/>, as pprof).</param>
/// <param name="Inline">Whether every such call was inlined.</param>
public readonly record struct TreeEdge(string Name, long Value, bool Inline);

/// <summary>One function of a <see cref="TreeReport"/> with its callers and callees, heaviest first.</summary>
/// <param name="Name">Function name.</param>
/// <param name="Flat">Value of samples whose leaf is this function (their mean with <see cref="TreeOptions.Mean"/>).</param>
/// <param name="Cum">Value of samples with this function anywhere on the stack (their mean with <see cref="TreeOptions.Mean"/>).</param>
/// <param name="Callers">Incoming edges.</param>
/// <param name="Callees">Outgoing edges.</param>
public sealed record TreeNode(string Name, long Flat, long Cum, IReadOnlyList<TreeEdge> Callers, IReadOnlyList<TreeEdge> Callees);

/// <summary>
/// pprof's <c>-tree</c> and <c>-peek</c> reports: for each function (or each one matching an expression), its
/// callers with the value each passes in, its own flat and cum values, and its callees with the value each takes,
/// laid out as <c>go tool pprof</c> prints them.
/// </summary>
public sealed class TreeReport
{
    private const string Separator = "----------------------------------------------------------+-------------";
    private const string Legend = "      flat  flat%   sum%        cum   cum%   calls calls% + context \t \t ";

    private TreeReport(Profile p, int st, IReadOnlyList<TreeNode> nodes, long total, long flatSum, int dropped, int origCount, int graphNodes, string unit, TreeOptions options)
    {
        Profile = p;
        SampleTypeIndex = st;
        Nodes = nodes;
        Total = total;
        _flatSum = flatSum;
        DroppedNodes = dropped;
        OriginalNodeCount = origCount;
        _graphNodes = graphNodes;
        OutputUnit = unit;
        Options = options;
    }

    private readonly long _flatSum;
    private readonly int _graphNodes;

    /// <summary>The profile reported on.</summary>
    public Profile Profile { get; }
    /// <summary>The sample type reported on.</summary>
    public int SampleTypeIndex { get; }
    /// <summary>The functions shown, in display order.</summary>
    public IReadOnlyList<TreeNode> Nodes { get; }
    /// <summary>Sum of the absolute sample values (pprof's report total).</summary>
    public long Total { get; }
    /// <summary>Nodes dropped by the node fraction.</summary>
    public int DroppedNodes { get; }
    /// <summary>Nodes left after the node fraction, before the node count.</summary>
    public int OriginalNodeCount { get; }
    /// <summary>The unit values are shown in.</summary>
    public string OutputUnit { get; }
    /// <summary>The options used.</summary>
    public TreeOptions Options { get; }

    /// <summary>Builds the report.</summary>
    /// <param name="p">The profile (already filtered).</param>
    /// <param name="options">Options, or null for <c>-tree</c>'s defaults.</param>
    /// <returns>The report; with <see cref="TreeOptions.Symbol"/>, <see cref="Nodes"/> is empty when nothing matched.</returns>
    public static TreeReport Create(Profile p, TreeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(p);
        options ??= new TreeOptions();
        int st = options.SampleType ?? p.DefaultSampleTypeIndex;
        long total = options.Total ?? TopReport.ReportTotal(p, st, options.Mean);
        var t = TrimmedGraph.Create(p, st, options.NodeFraction, options.EdgeFraction, options.NodeCount, options.Cum, total, options.Symbol, options.Mean);
        var g = t.Graph;
        var inEdges = new Dictionary<int, List<TreeEdge>>();
        var outEdges = new Dictionary<int, List<TreeEdge>>();
        foreach (var e in g.Edges)
        {
            Add(inEdges, e.Callee, new TreeEdge(g.Names[e.Caller], e.Weight, e.Inline));
            Add(outEdges, e.Caller, new TreeEdge(g.Names[e.Callee], e.Weight, e.Inline));
        }
        var nodes = new List<TreeNode>();
        long flatSum = 0;
        foreach (int n in g.Nodes)
        {
            flatSum += g.FlatValue(n);
            if (options.Symbol is not null && !options.Symbol.IsMatch(g.Names[n])) continue;
            nodes.Add(new TreeNode(g.Names[n], g.FlatValue(n), g.CumValue(n), Sorted(inEdges, n), Sorted(outEdges, n)));
        }
        return new TreeReport(p, st, nodes, total, flatSum, t.DroppedNodes, t.OriginalNodeCount, g.Nodes.Length, t.OutputUnit, options);

        static void Add(Dictionary<int, List<TreeEdge>> d, int node, TreeEdge e)
        {
            if (!d.TryGetValue(node, out var list)) d[node] = list = [];
            list.Add(e);
        }

        // pprof's edge order: heavier first, then by name.
        static List<TreeEdge> Sorted(Dictionary<int, List<TreeEdge>> d, int node)
        {
            if (!d.TryGetValue(node, out var list)) return [];
            list.Sort((a, b) =>
            {
                if (a.Value != b.Value) return Math.Abs(b.Value).CompareTo(Math.Abs(a.Value));
                return string.CompareOrdinal(a.Name, b.Name);
            });
            return list;
        }
    }

    /// <summary>Formats a value as pprof does in this report.</summary>
    /// <param name="value">A value of the report's sample type.</param>
    public string FormatValue(long value) => PprofMeasurement.ScaledLabel(value, Profile.SampleTypes[SampleTypeIndex].Unit, OutputUnit);

    /// <summary>pprof's header lines (see <see cref="PprofHeader.Lines"/>).</summary>
    /// <param name="activeFilters">pprof's filter legend entries such as <c>focus=main</c>, or null.</param>
    public IReadOnlyList<string> HeaderLines(IReadOnlyList<string>? activeFilters = null) =>
        PprofHeader.Lines(Profile, SampleTypeIndex, Total, FormatValue, activeFilters, _flatSum, DroppedNodes, Options.NodeFraction, _graphNodes, OriginalNodeCount, Options.Mean);

    /// <summary>Writes the report as <c>go tool pprof -tree</c> (or <c>-peek</c>) prints it.</summary>
    /// <param name="w">The destination.</param>
    /// <param name="activeFilters">pprof's filter legend entries such as <c>focus=main</c>, or null.</param>
    public void WriteText(TextWriter w, IReadOnlyList<string>? activeFilters = null)
    {
        ArgumentNullException.ThrowIfNull(w);
        foreach (var l in HeaderLines(activeFilters)) w.Write(l + "\n");
        w.Write(Separator + "\n");
        w.Write(Legend + "\n");
        long flatSum = 0;
        foreach (var n in Nodes)
        {
            w.Write(Separator + "\n");
            foreach (var e in n.Callers) WriteEdge(w, e, n.Cum);
            flatSum += n.Flat;
            w.Write(string.Format(CultureInfo.InvariantCulture, "{0,10} {1} {2} {3,10} {4}                | {5}\n",
                FormatValue(n.Flat), PprofMeasurement.Percentage(n.Flat, Total), PprofMeasurement.Percentage(flatSum, Total),
                FormatValue(n.Cum), PprofMeasurement.Percentage(n.Cum, Total), n.Name));
            foreach (var e in n.Callees) WriteEdge(w, e, n.Cum);
        }
        if (_graphNodes > 0) w.Write(Separator + "\n");
    }

    private void WriteEdge(TextWriter w, TreeEdge e, long cum) =>
        w.Write(string.Format(CultureInfo.InvariantCulture, "{0,50} {1} |   {2}{3}\n",
            FormatValue(e.Value), PprofMeasurement.Percentage(e.Value, cum), e.Name, e.Inline ? " (inline)" : ""));
}
