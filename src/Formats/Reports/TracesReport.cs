using System.Globalization;

namespace FlameKit.Reports;

/// <summary>
/// pprof's <c>-traces</c> report: every sample, in profile order, as its labels and its stack (leaf first, one
/// function per line, inlined calls marked), with the value on the first line, under pprof's profile header
/// lines (<c>File:</c>, <c>Type:</c>, <c>Time:</c>, <c>Duration:</c>). Matches <c>go tool pprof -traces</c>.
/// </summary>
public static class TracesReport
{
    private const string Separator = "-----------+-------------------------------------------------------";

    /// <summary>Writes the report.</summary>
    /// <param name="p">The profile (already filtered).</param>
    /// <param name="sampleType">Index into <see cref="Profile.SampleTypes"/>.</param>
    /// <param name="w">The destination.</param>
    /// <param name="total">The report total for the <c>Duration:</c> header line (pprof takes it before filtering); null uses <paramref name="p"/>'s.</param>
    /// <param name="mean">pprof's <c>-mean</c>: each sample's value divided by its first value (its count), unless that is 0.</param>
    public static void WriteText(Profile p, int sampleType, TextWriter w, long? total = null, bool mean = false)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(w);
        string unit = p.SampleTypes[sampleType].Unit;
        long reportTotal = total ?? TopReport.ReportTotal(p, sampleType, mean);
        foreach (var line in PprofHeader.ProfileLines(p, sampleType, reportTotal, v => PprofMeasurement.ScaledLabel(v, unit, "minimum"), mean))
            w.Write(line + "\n");
        // Every location's lines and every label set are formatted once: the report repeats them millions of times.
        var locText = new string[]?[p.Locations.Length];
        var locBlock = new string?[p.Locations.Length];
        var labelText = new string?[p.LabelSetCount];
        const string Indent = "             "; // the empty 10-wide value column and its 3-space gap
        var buf = new LocationId[64];
        for (int i = 0; i < p.SampleCount; i++)
        {
            var stack = p.SampleStack(i);
            int depth = p.StackDepth(stack);
            if (depth == 0) continue;
            if (buf.Length < depth) buf = new LocationId[depth * 2];
            p.CopyStackLeafFirst(stack, buf);
            w.Write(Separator + "\n");
            var ls = p.SampleLabels(i);
            w.Write(labelText[ls.Index] ??= LabelLines(p.Labels(ls)));
            long v = p.SampleValue(i, sampleType);
            if (mean) v = CallGraph.MeanOf(v, p.SampleValue(i, 0));
            var leaf = LocationLines(p, buf[0].Index, locText);
            w.Write(string.Format(CultureInfo.InvariantCulture, "{0,10}   ", PprofMeasurement.ScaledLabel(v, unit, "minimum")));
            w.Write(leaf[0]);
            w.Write('\n');
            for (int k = 1; k < leaf.Length; k++) { w.Write(Indent); w.Write(leaf[k]); w.Write('\n'); }
            for (int j = 1; j < depth; j++)
            {
                int l = buf[j].Index;
                w.Write(locBlock[l] ??= string.Concat(LocationLines(p, l, locText).Select(t => Indent + t + "\n")));
            }
        }
        w.Write(Separator + "\n");
    }

    /// <summary>The names of a location's lines, innermost first, with " (inline)" on the inlined ones.</summary>
    private static string[] LocationLines(Profile p, int index, string[]?[] cache)
    {
        if (cache[index] is { } cached) return cached;
        var loc = p.Locations[index];
        var lines = loc.Lines;
        string[] result;
        if (lines.Length == 0)
        {
            result = [loc.Address != 0 ? loc.Address.ToString("x16", CultureInfo.InvariantCulture) : "<unknown>"];
        }
        else
        {
            result = new string[lines.Length];
            for (int k = 0; k < lines.Length; k++)
            {
                string n = p.Functions[lines[k].Function.Index].Name;
                if (n.Length == 0) n = "<unknown>";
                result[k] = k != lines.Length - 1 ? n + " (inline)" : n;
            }
        }
        return cache[index] = result;
    }

    /// <summary>pprof's label lines of a sample: string labels, then numeric ones, each group sorted.</summary>
    private static string LabelLines(ReadOnlySpan<Label> labelSpan)
    {
        var labels = labelSpan.ToArray();
        var text = new List<string>();
        var nums = new List<string>();
        foreach (var key in labels.Where(l => l.Key != "pprof::base").Select(l => l.Key).Distinct())
        {
            var ofKey = labels.Where(l => l.Key == key).ToList();
            var strs = ofKey.Where(l => !l.IsNumeric).Select(l => l.Str!).ToList();
            if (strs.Count > 0) text.Add(string.Format(CultureInfo.InvariantCulture, "{0,10}:  {1}\n", key, string.Join(" ", strs)));
            var numbers = ofKey.Where(l => l.IsNumeric).Select(l => PprofMeasurement.ScaledLabel(l.Num, l.NumUnit ?? key, "auto")).ToList();
            if (numbers.Count > 0) nums.Add(string.Format(CultureInfo.InvariantCulture, "{0,10}:  {1}\n", key, string.Join(" ", numbers)));
        }
        text.Sort(StringComparer.Ordinal);
        nums.Sort(StringComparer.Ordinal);
        return string.Concat(text) + string.Concat(nums);
    }
}
