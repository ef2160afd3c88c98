using System.CommandLine;
using System.Globalization;
using System.Text;

namespace FlameKit.Cli.Commands;

/// <summary><c>flamekit info</c>: what a profile holds, for people.</summary>
internal static class InfoCommand
{
    public static Command Create(CliConsole console)
    {
        var input = new InputOptions();
        var cmd = new Command("info", """
            Describe a profile: format, sample types with totals, counts of samples, stacks, locations,
            functions and mappings, period, time, duration, labels, threads and comments.

            Examples:
              flamekit info cpu.pb.gz
              curl -s localhost:6060/debug/pprof/heap | flamekit info
            """);
        input.AddTo(cmd);
        cmd.SetAction(parse =>
        {
            IReadOnlyList<FlameKit.Formats.ProfileEntry>? entries = null;
            var (profile, format) = input.Read(parse, console, e => entries = e);
            string text = Describe(profile, input.Name(parse), format.Name, entries);
            var bytes = Encoding.UTF8.GetBytes(text);
            console.StdOut.Write(bytes);
            console.StdOut.Flush();
            return 0;
        });
        return cmd;
    }

    internal static string Describe(Profile p, string name, string format, IReadOnlyList<FlameKit.Formats.ProfileEntry>? entries = null)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        void Row(string key, string value) => sb.Append(inv, $"{(key.Length == 0 ? "" : key + ":"),-14}{value}\n");
        Row("File", name);
        Row("Format", format);
        if (entries is not null)
        {
            for (int i = 0; i < entries.Count; i++)
            {
                var e = entries[i];
                Row(i == 0 ? "Profiles" : "", $"[{e.Index}] {e.Name} ({e.Kind}, {e.Unit}){(e.IsActive ? "  (active)" : "")}");
            }
        }
        if (p.Name.Length > 0 && p.Name != Path.GetFileName(name)) Row("Name", p.Name);
        for (int i = 0; i < p.SampleTypes.Count; i++)
        {
            var t = p.SampleTypes[i];
            string total = Units.Format(p.Total(i), t);
            Row(i == 0 ? "Sample types" : "", $"{t.Type}/{t.Unit}  total {total}{(i == p.DefaultSampleTypeIndex ? "  (default)" : "")}");
        }
        Row("Samples", p.SampleCount.ToString("N0", inv));
        Row("Stacks", (p.StackCount - 1).ToString("N0", inv) + " stack nodes");
        Row("Locations", p.Locations.Length.ToString("N0", inv));
        Row("Functions", p.Functions.Length.ToString("N0", inv));
        Row("Mappings", (p.Mappings.Length - 1).ToString("N0", inv));
        for (int m = 1; m < p.Mappings.Length; m++)
        {
            var map = p.Mappings[m];
            Row("", $"0x{map.Start:x}-0x{map.Limit:x} {(map.File.Length > 0 ? map.File : "(unnamed)")}{(map.BuildId.Length > 0 ? " build id " + map.BuildId : "")}");
        }
        if (p.PeriodType is { } pt) Row("Period", $"{Units.Format(p.Period, pt)} of {pt.Type}");
        if (p.TimeNanos != 0) Row("Time", DateTimeOffset.FromUnixTimeMilliseconds(p.TimeNanos / 1_000_000).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", inv));
        if (p.DurationNanos != 0) Row("Duration", Units.Format(p.DurationNanos, "nanoseconds"));
        if (p.HasTimestamps && p.SampleCount > 0)
        {
            long min = long.MaxValue, max = long.MinValue;
            for (int i = 0; i < p.SampleCount; i++) { long ts = p.SampleTimestamp(i); min = Math.Min(min, ts); max = Math.Max(max, ts); }
            Row("Time span", Units.Format(max - min, "nanoseconds") + " between first and last sample");
        }
        if (p.Threads.Count > 0) Row("Threads", string.Join(", ", p.Threads.Take(20).Select(t => t.Name.Length > 0 ? $"{t.Name} ({t.Id})" : t.Id.ToString(inv))) + (p.Threads.Count > 20 ? $", … ({p.Threads.Count} in all)" : ""));
        if (p.HasLabels)
        {
            var keys = new SortedDictionary<string, HashSet<string>>(StringComparer.Ordinal);
            for (int s = 0; s < p.LabelSetCount; s++)
                foreach (var l in p.Labels(new LabelSetId(s)))
                {
                    if (!keys.TryGetValue(l.Key, out var vals)) keys[l.Key] = vals = new HashSet<string>(StringComparer.Ordinal);
                    vals.Add(l.Str ?? (l.Num.ToString(inv) + (l.NumUnit is null ? "" : " " + l.NumUnit)));
                }
            Row("Labels", string.Join(", ", keys.Select(k => $"{k.Key} ({k.Value.Count} value{(k.Value.Count == 1 ? "" : "s")})")));
        }
        if (p.DropFrames.Length > 0) Row("Drop frames", p.DropFrames);
        if (p.KeepFrames.Length > 0) Row("Keep frames", p.KeepFrames);
        if (p.Comments.Count > 0)
        {
            sb.Append("Comments:\n");
            foreach (var c in p.Comments)
                foreach (var line in c.Split('\n')) sb.Append("  ").Append(line).Append('\n');
        }
        return sb.ToString();
    }
}
