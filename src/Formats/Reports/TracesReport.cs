using System.Globalization;

namespace FlameKit.Reports;

/// <summary>
/// pprof's <c>-traces</c> report: every sample, in profile order, as its labels and its stack (leaf first, one
/// function per line, inlined calls marked), with the value on the first line. Matches
/// <c>go tool pprof -traces</c> from the first separator line on.
/// </summary>
public static class TracesReport
{
    private const string Separator = "-----------+-------------------------------------------------------";

    /// <summary>Writes the report.</summary>
    /// <param name="p">The profile (already filtered).</param>
    /// <param name="sampleType">Index into <see cref="Profile.SampleTypes"/>.</param>
    /// <param name="w">The destination.</param>
    public static void WriteText(Profile p, int sampleType, TextWriter w)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(w);
        string unit = p.SampleTypes[sampleType].Unit;
        w.Write("Type: " + p.SampleTypes[sampleType].Type + "\n");
        var buf = new LocationId[64];
        var names = new List<(string Name, bool Inline)>();
        for (int i = 0; i < p.SampleCount; i++)
        {
            var stack = p.SampleStack(i);
            int depth = p.StackDepth(stack);
            if (buf.Length < depth) buf = new LocationId[depth * 2];
            p.CopyStackLeafFirst(stack, buf);
            names.Clear();
            for (int j = 0; j < depth; j++)
            {
                var loc = p.Locations[buf[j].Index];
                var lines = loc.Lines;
                if (lines.Length == 0)
                {
                    names.Add((loc.Address != 0 ? loc.Address.ToString("x16", CultureInfo.InvariantCulture) : "<unknown>", false));
                    continue;
                }
                for (int k = 0; k < lines.Length; k++)
                {
                    string n = p.Functions[lines[k].Function.Index].Name;
                    names.Add((n.Length == 0 ? "<unknown>" : n, k != lines.Length - 1));
                }
            }
            if (names.Count == 0) continue;
            w.Write(Separator + "\n");
            var labels = p.Labels(p.SampleLabels(i));
            var text = new List<string>();
            var nums = new List<string>();
            foreach (var key in labels.ToArray().Where(l => l.Key != "pprof::base").Select(l => l.Key).Distinct())
            {
                var ofKey = labels.ToArray().Where(l => l.Key == key).ToList();
                var strs = ofKey.Where(l => !l.IsNumeric).Select(l => l.Str!).ToList();
                if (strs.Count > 0) text.Add(string.Format(CultureInfo.InvariantCulture, "{0,10}:  {1}\n", key, string.Join(" ", strs)));
                var numbers = ofKey.Where(l => l.IsNumeric).Select(l => PprofMeasurement.ScaledLabel(l.Num, l.NumUnit ?? key, "auto")).ToList();
                if (numbers.Count > 0) nums.Add(string.Format(CultureInfo.InvariantCulture, "{0,10}:  {1}\n", key, string.Join(" ", numbers)));
            }
            text.Sort(StringComparer.Ordinal);
            nums.Sort(StringComparer.Ordinal);
            foreach (var t in text) w.Write(t);
            foreach (var t in nums) w.Write(t);
            long v = p.SampleValue(i, sampleType);
            for (int j = 0; j < names.Count; j++)
            {
                string vs = j == 0 ? PprofMeasurement.ScaledLabel(v, unit, "minimum") : "";
                w.Write(string.Format(CultureInfo.InvariantCulture, "{0,10}   {1}{2}\n", vs, names[j].Name, names[j].Inline ? " (inline)" : ""));
            }
        }
        w.Write(Separator + "\n");
    }
}
