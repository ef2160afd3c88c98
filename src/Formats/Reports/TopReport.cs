using System.Globalization;

namespace FlameKit.Reports;

/// <summary>Options of <see cref="TopReport"/>, with pprof's defaults.</summary>
public sealed record TopOptions
{
    /// <summary>Index into <see cref="Profile.SampleTypes"/>; null means the profile's default.</summary>
    public int? SampleType { get; init; }
    /// <summary>Drop nodes whose cum is below this fraction of the total (pprof <c>-nodefraction</c>). Default: 0.005.</summary>
    public double NodeFraction { get; init; } = 0.005;
    /// <summary>Drop edges below this fraction (pprof <c>-edgefraction</c>; affects inline labels). Default: 0.001.</summary>
    public double EdgeFraction { get; init; } = 0.001;
    /// <summary>Show at most this many rows; 0 shows all (pprof <c>-nodecount</c>). Default: 0.</summary>
    public int NodeCount { get; init; }
    /// <summary>Sort by cumulative value instead of flat (pprof <c>-cum</c>). Default: false.</summary>
    public bool Cum { get; init; }
    /// <summary>
    /// The total percentages are relative to; null uses the profile's own. pprof computes it before applying
    /// focus/ignore/hide/show (unless <c>-relative_percentages</c>), so pass the unfiltered profile's
    /// <see cref="TopReport.ReportTotal(Profile, int, bool)"/> to match it.
    /// </summary>
    public long? Total { get; init; }
    /// <summary>
    /// pprof's <c>-mean</c>: show each value divided by the sum of the first sample type (the count) over the
    /// same samples, e.g. the mean delay per contention. Rows are still trimmed and ordered by the raw sums, as pprof.
    /// </summary>
    public bool Mean { get; init; }
}

/// <summary>One row of a <see cref="TopReport"/>.</summary>
/// <param name="Name">Function name.</param>
/// <param name="InlineLabel"><c>(inline)</c>, <c>(partial-inline)</c> or "".</param>
/// <param name="Flat">Value of samples whose leaf is this function (their mean with <see cref="TopOptions.Mean"/>).</param>
/// <param name="Cum">Value of samples with this function anywhere on the stack, counted once per sample (their mean with <see cref="TopOptions.Mean"/>).</param>
public readonly record struct TopRow(string Name, string InlineLabel, long Flat, long Cum);

/// <summary>
/// pprof's <c>-top</c> report: functions by flat (or cum) value, with pprof's node fraction / node count
/// trimming, unit selection and header lines, so its text output matches <c>go tool pprof -top</c> row for row.
/// </summary>
public sealed class TopReport
{
    private TopReport(Profile p, int sampleType, IReadOnlyList<TopRow> rows, long total, int dropped, int origCount, string outputUnit, TopOptions options)
    {
        Profile = p;
        SampleTypeIndex = sampleType;
        Rows = rows;
        Total = total;
        DroppedNodes = dropped;
        OriginalNodeCount = origCount;
        OutputUnit = outputUnit;
        Options = options;
    }

    /// <summary>The profile reported on.</summary>
    public Profile Profile { get; }
    /// <summary>The sample type reported on.</summary>
    public int SampleTypeIndex { get; }
    /// <summary>The rows, in display order.</summary>
    public IReadOnlyList<TopRow> Rows { get; }
    /// <summary>Sum of the absolute sample values (pprof's report total).</summary>
    public long Total { get; }
    /// <summary>Nodes dropped by the node fraction.</summary>
    public int DroppedNodes { get; }
    /// <summary>Nodes left after the node fraction, before the node count.</summary>
    public int OriginalNodeCount { get; }
    /// <summary>The unit values are shown in (pprof's "minimum" choice).</summary>
    public string OutputUnit { get; }
    /// <summary>The options used.</summary>
    public TopOptions Options { get; }

    /// <summary>Builds the report.</summary>
    /// <param name="p">The profile (already filtered).</param>
    /// <param name="options">Options, or null for pprof's defaults.</param>
    /// <returns>The report.</returns>
    public static TopReport Create(Profile p, TopOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(p);
        options ??= new TopOptions();
        int st = options.SampleType ?? p.DefaultSampleTypeIndex;
        long total = options.Total ?? ReportTotal(p, st, options.Mean);

        var t = TrimmedGraph.Create(p, st, options.NodeFraction, options.EdgeFraction, options.NodeCount, options.Cum, total, mean: options.Mean);
        var g = t.Graph;
        var inl = g.InlineLabels();
        var rows = new List<TopRow>(g.Nodes.Length);
        foreach (int n in g.Nodes) rows.Add(new TopRow(g.Names[n], inl[n], g.FlatValue(n), g.CumValue(n)));
        int dropped = t.DroppedNodes, origCount = t.OriginalNodeCount;
        string outputUnit = t.OutputUnit;
        return new TopReport(p, st, rows, total, dropped, origCount, outputUnit, options);
    }

    /// <summary>pprof's report total: the sum of the absolute values of one sample type.</summary>
    /// <param name="p">The profile.</param>
    /// <param name="sampleType">Index into <see cref="Profile.SampleTypes"/>.</param>
    public static long ReportTotal(Profile p, int sampleType) => ReportTotal(p, sampleType, mean: false);

    /// <summary>
    /// pprof's report total (<c>computeTotal</c>): the sum of the absolute values of one sample type; with
    /// <paramref name="mean"/>, divided by the sum of the first sample type (unless that is 0), as <c>-mean</c>.
    /// </summary>
    /// <param name="p">The profile.</param>
    /// <param name="sampleType">Index into <see cref="Profile.SampleTypes"/>.</param>
    /// <param name="mean">pprof's <c>-mean</c>.</param>
    public static long ReportTotal(Profile p, int sampleType, bool mean)
    {
        ArgumentNullException.ThrowIfNull(p);
        long total = 0, div = 0;
        for (int i = 0; i < p.SampleCount; i++)
        {
            total += Math.Abs(p.SampleValue(i, sampleType));
            if (mean) div += p.SampleValue(i, 0);
        }
        return CallGraph.MeanOf(total, div);
    }

    /// <summary>Formats a value as pprof does in this report (e.g. <c>0.12s</c>, <c>1805.17kB</c>).</summary>
    /// <param name="value">A value of the report's sample type.</param>
    public string FormatValue(long value) => PprofMeasurement.ScaledLabel(value, Profile.SampleTypes[SampleTypeIndex].Unit, OutputUnit);

    /// <summary>
    /// pprof's header lines: the profile's (<c>File:</c>, <c>Type:</c>, <c>Time:</c>, <c>Duration:</c>, see
    /// <see cref="PprofHeader"/>), then "Showing nodes accounting for ...", "Dropped N nodes ..." and "Showing top N nodes out of M".
    /// </summary>
    /// <param name="activeFilters">pprof's filter legend entries such as <c>focus=main</c>, or null.</param>
    public IReadOnlyList<string> HeaderLines(IReadOnlyList<string>? activeFilters = null)
    {
        long flatSum = 0;
        foreach (var r in Rows) flatSum += r.Flat;
        return PprofHeader.Lines(Profile, SampleTypeIndex, Total, FormatValue, activeFilters, flatSum, DroppedNodes, Options.NodeFraction, Rows.Count, OriginalNodeCount, Options.Mean);
    }

    /// <summary>Writes the report as <c>go tool pprof -top</c> prints it.</summary>
    /// <param name="w">The destination.</param>
    /// <param name="activeFilters">pprof's filter legend entries such as <c>focus=main</c>, or null.</param>
    public void WriteText(TextWriter w, IReadOnlyList<string>? activeFilters = null)
    {
        ArgumentNullException.ThrowIfNull(w);
        foreach (var l in HeaderLines(activeFilters)) w.Write(l + "\n");
        w.Write(string.Format(CultureInfo.InvariantCulture, "{0,10} {1,5}% {2,5}% {3,10} {4,5}%\n", "flat", "flat", "sum", "cum", "cum"));
        long flatSum = 0;
        foreach (var r in Rows)
        {
            flatSum += r.Flat;
            w.Write(string.Format(CultureInfo.InvariantCulture, "{0,10} {1} {2} {3,10} {4}  {5}{6}\n",
                FormatValue(r.Flat), PprofMeasurement.Percentage(r.Flat, Total), PprofMeasurement.Percentage(flatSum, Total),
                FormatValue(r.Cum), PprofMeasurement.Percentage(r.Cum, Total), r.Name, r.InlineLabel.Length > 0 ? " " + r.InlineLabel : ""));
        }
    }
}
