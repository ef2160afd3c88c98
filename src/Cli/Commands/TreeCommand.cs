using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using FlameKit.Reports;

namespace FlameKit.Cli.Commands;

/// <summary>
/// <c>flamekit tree</c> and <c>flamekit peek RE</c>: pprof's <c>-tree</c> and <c>-peek</c> reports (each
/// function with its callers and callees).
/// </summary>
internal static class TreeCommand
{
    public static Command CreateTree(CliConsole console) => Create(console, peek: false);

    public static Command CreatePeek(CliConsole console) => Create(console, peek: true);

    private static Command Create(CliConsole console, bool peek)
    {
        var input = new InputOptions();
        var output = CommonOptions.Output();
        var sampleIndex = CommonOptions.SampleIndex();
        var count = new Option<int?>("--nodecount", "-n") { Description = peek ? "Show at most N functions (default: all)" : "Show at most N functions (0: all; default 80, as pprof -tree)", HelpName = "N" };
        var cum = new Option<bool>("--cum") { Description = "Order functions by cumulative value (pprof -cum)" };
        var nodeFraction = new Option<double?>("--nodefraction")
        {
            Description = $"Hide functions whose cumulative value is below this fraction of the total (default {(peek ? "0" : "0.005")})",
            HelpName = "F",
        };
        var edgeFraction = new Option<double?>("--edgefraction")
        {
            Description = $"Hide calls whose value is below this fraction of the total (default {(peek ? "0" : "0.001")})",
            HelpName = "F",
        };
        var mean = CommonOptions.Mean();
        var format = TopCommand.ReportFormat();
        var symbol = new Argument<string>("RE") { Description = "Show the functions whose name matches this regular expression" };
        var cmd = peek
            ? new Command("peek", """
                Print the callers and callees of the functions matching RE, as 'go tool pprof -peek RE'.

                Examples:
                  flamekit peek 'json\.Marshal' cpu.pb.gz
                  flamekit peek --sample-index alloc_space 'bytes\.' heap.pb.gz
                  flamekit peek --format json 'main\.' cpu.pb.gz > peek.json
                  flamekit peek --mean --sample-index delay 'sync\.' mutex.pb.gz   # mean delay per contention
                """)
            : new Command("tree", """
                Print every function with its callers and callees, as 'go tool pprof -tree'.

                Examples:
                  flamekit tree cpu.pb.gz
                  flamekit tree -n 20 --cum --focus 'main\.' cpu.pb.gz
                  flamekit tree --format csv heap.pb.gz > tree.csv
                  flamekit tree --mean --sample-index delay block.pb.gz   # mean delay per event
                """);
        if (peek) cmd.Arguments.Add(symbol);
        foreach (Option o in new Option[] { output, sampleIndex, count, cum, nodeFraction, edgeFraction, mean, format }) cmd.Options.Add(o);
        input.AddTo(cmd);
        var filters = new FilterOptions();
        cmd.Options.Add(filters.RelativePercentages);
        filters.AddTo(cmd);
        cmd.SetAction(parse =>
        {
            Regex? rx = null;
            if (peek)
            {
                string re = parse.GetValue(symbol)!;
                try { rx = new Regex(re, RegexOptions.CultureInvariant); }
                catch (ArgumentException e) { throw CliException.Usage($"parsing argument regexp {re}: {e.Message}"); }
            }
            bool m = parse.GetValue(mean);
            var (profile, st, total) = ReportSupport.Load(parse, console, input, sampleIndex, filters, m);
            var defaults = rx is null ? new TreeOptions() : TreeOptions.Peek(rx);
            int n = parse.GetValue(count) ?? defaults.NodeCount;
            if (n < 0) throw CliException.Usage("--nodecount must not be negative");
            double nf = parse.GetValue(nodeFraction) ?? defaults.NodeFraction;
            double ef = parse.GetValue(edgeFraction) ?? defaults.EdgeFraction;
            if (nf is < 0 or > 1 || double.IsNaN(nf)) throw CliException.Usage("--nodefraction must be between 0 and 1");
            if (ef is < 0 or > 1 || double.IsNaN(ef)) throw CliException.Usage("--edgefraction must be between 0 and 1");
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var report = TreeReport.Create(profile, defaults with
            {
                SampleType = st, NodeCount = n, NodeFraction = nf, EdgeFraction = ef, Cum = parse.GetValue(cum), Total = total, Mean = m,
            });
            Timing.Report(console, "report", sw);
            if (rx is not null && report.Nodes.Count == 0) throw CliException.Input($"no matches found for regexp: {rx}");
            ReportSupport.Write(console, parse.GetValue(output), parse.GetValue(format)!,
                w => report.WriteText(w, filters.ActiveFilters(parse)), w => WriteCsv(report, w), j => WriteJson(report, j));
            return 0;
        });
        return cmd;
    }

    private static void WriteCsv(TreeReport report, TextWriter w)
    {
        using (var csv = CsvHelper.CsvWriter.Create(w, null, leaveOpen: true))
        {
            csv.WriteHeader(["function", "flat", "cum", "relation", "other", "value", "inline"]);
            foreach (var n in report.Nodes)
            {
                string flat = n.Flat.ToString(CultureInfo.InvariantCulture), cum = n.Cum.ToString(CultureInfo.InvariantCulture);
                csv.WriteRecord([n.Name, flat, cum, "self", "", cum, ""]);
                foreach (var e in n.Callers) csv.WriteRecord([n.Name, flat, cum, "caller", e.Name, e.Value.ToString(CultureInfo.InvariantCulture), e.Inline ? "inline" : ""]);
                foreach (var e in n.Callees) csv.WriteRecord([n.Name, flat, cum, "callee", e.Name, e.Value.ToString(CultureInfo.InvariantCulture), e.Inline ? "inline" : ""]);
            }
        }
    }

    private static void WriteJson(TreeReport report, Utf8JsonWriter j)
    {
        j.WriteStartObject();
        ReportSupport.WriteJsonHeader(j, report.Profile, report.SampleTypeIndex, report.Total, report.Options.Mean);
        j.WriteNumber("droppedNodes", report.DroppedNodes);
        j.WriteStartArray("functions");
        foreach (var n in report.Nodes)
        {
            j.WriteStartObject();
            j.WriteString("name", n.Name);
            j.WriteNumber("flat", n.Flat);
            j.WriteNumber("cum", n.Cum);
            Edges("callers", n.Callers);
            Edges("callees", n.Callees);
            j.WriteEndObject();
        }
        j.WriteEndArray();
        j.WriteEndObject();

        void Edges(string name, IReadOnlyList<TreeEdge> edges)
        {
            j.WriteStartArray(name);
            foreach (var e in edges)
            {
                j.WriteStartObject();
                j.WriteString("name", e.Name);
                j.WriteNumber("value", e.Value);
                if (e.Inline) j.WriteBoolean("inline", true);
                j.WriteEndObject();
            }
            j.WriteEndArray();
        }
    }
}
