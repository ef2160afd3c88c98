using System.Globalization;

namespace FlameKit.Reports;

/// <summary>
/// The header lines pprof prints above its text reports (<c>reportLabels</c>): the profile's <c>File:</c>,
/// <c>Build ID:</c>, comments, <c>Type:</c>, <c>Time:</c> and <c>Duration:</c> lines, the active filters, and
/// the report's "Showing nodes accounting for ...", "Dropped N nodes ..." and "Showing top N nodes out of M" lines.
/// </summary>
public static class PprofHeader
{
    /// <summary>The profile's own lines (pprof's <c>ProfileLabels</c>).</summary>
    /// <param name="p">The profile.</param>
    /// <param name="sampleType">The sample type reported on.</param>
    /// <param name="total">The report total, in that sample type's unit.</param>
    /// <param name="formatValue">Formats a value as the report does.</param>
    /// <param name="mean">Whether values are pprof's <c>-mean</c> ones (the type is then shown as <c>mean_TYPE</c>).</param>
    /// <remarks>Times are printed in UTC (pprof uses the local time zone; run it with <c>TZ=UTC</c> to compare).</remarks>
    public static List<string> ProfileLines(Profile p, int sampleType, long total, Func<long, string> formatValue, bool mean = false)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(formatValue);
        var lines = new List<string>();
        if (p.Mappings.Length > 1)
        {
            var m = p.Mappings[1];
            if (m.File.Length > 0) lines.Add("File: " + BaseName(m.File));
            if (m.BuildId.Length > 0) lines.Add("Build ID: " + m.BuildId);
        }
        foreach (var c in p.Comments) if (!c.StartsWith('#')) lines.Add(c);
        lines.Add("Type: " + (mean ? "mean_" : "") + p.SampleTypes[sampleType].Type);
        if (p.TimeNanos != 0)
        {
            var t = DateTime.UnixEpoch.AddTicks(p.TimeNanos / 100);
            int hour = t.Hour % 12 == 0 ? 12 : t.Hour % 12;
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"Time: {t.ToString("MMM", CultureInfo.InvariantCulture)} {t.Day}, {t.Year} at {hour}:{t.Minute:D2}{(t.Hour < 12 ? "am" : "pm")} (UTC)"));
        }
        if (p.DurationNanos != 0)
        {
            string duration = PprofMeasurement.ScaledLabel(p.DurationNanos, "nanoseconds", "auto");
            var (totalNanos, unit) = PprofMeasurement.Scale(total, p.SampleTypes[sampleType].Unit, "nanoseconds");
            string ratio = unit == "ns" && totalNanos != 0 ? "(" + PprofMeasurement.Percentage((long)totalNanos, p.DurationNanos) + ")" : "";
            lines.Add($"Duration: {duration}, Total samples = {formatValue(total)} {ratio}");
        }
        return lines;
    }

    /// <summary>Every header line of a graph report (pprof's <c>reportLabels</c>).</summary>
    /// <param name="p">The profile.</param>
    /// <param name="sampleType">The sample type reported on.</param>
    /// <param name="total">The report total.</param>
    /// <param name="formatValue">Formats a value as the report does.</param>
    /// <param name="activeFilters">Filter legend entries such as <c>focus=main</c>, or null.</param>
    /// <param name="flatSum">Sum of the flat values shown.</param>
    /// <param name="droppedNodes">Nodes dropped by the node fraction.</param>
    /// <param name="nodeFraction">The node fraction.</param>
    /// <param name="shownNodes">Nodes shown.</param>
    /// <param name="originalNodeCount">Nodes left after the node fraction.</param>
    /// <param name="mean">Whether values are pprof's <c>-mean</c> ones.</param>
    public static IReadOnlyList<string> Lines(Profile p, int sampleType, long total, Func<long, string> formatValue, IReadOnlyList<string>? activeFilters,
        long flatSum, int droppedNodes, double nodeFraction, int shownNodes, int originalNodeCount, bool mean = false)
    {
        var lines = ProfileLines(p, sampleType, total, formatValue, mean);
        if (activeFilters is { Count: > 0 })
        {
            lines.Add("Active filters:");
            foreach (var f in activeFilters) lines.Add("   " + (f.Length > 80 ? f[..80] + "…" : f));
        }
        lines.Add($"Showing nodes accounting for {formatValue(flatSum)}, {PprofMeasurement.Percentage(flatSum, total).Trim()} of {formatValue(total)} total");
        if (total != 0)
        {
            if (droppedNodes > 0)
                lines.Add($"Dropped {droppedNodes} {(droppedNodes > 1 ? "nodes" : "node")} (cum <= {formatValue(Math.Abs((long)(total * nodeFraction)))})");
            if (shownNodes > 0 && shownNodes < originalNodeCount)
                lines.Add($"Showing top {shownNodes} nodes out of {originalNodeCount}");
        }
        return lines;
    }

    /// <summary>The last element of a path, as Go's <c>filepath.Base</c>.</summary>
    internal static string BaseName(string path)
    {
        string t = path.TrimEnd('/');
        if (t.Length == 0) return path.Length == 0 ? "." : "/";
        int slash = t.LastIndexOf('/');
        return slash < 0 ? t : t[(slash + 1)..];
    }
}
