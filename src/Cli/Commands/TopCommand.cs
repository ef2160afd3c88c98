using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using FlameKit.Reports;

namespace FlameKit.Cli.Commands;

/// <summary><c>flamekit top</c>: pprof's <c>-top</c> report (functions by flat or cumulative value).</summary>
internal static class TopCommand
{
    public static Command Create(CliConsole console)
    {
        var input = new InputOptions();
        var output = CommonOptions.Output();
        var sampleIndex = CommonOptions.SampleIndex();
        var count = new Option<int>("--nodecount", "-n") { Description = "Show at most N functions (0: all; pprof -nodecount)", HelpName = "N" };
        var cum = new Option<bool>("--cum") { Description = "Sort by cumulative value (pprof -cum)" };
        var nodeFraction = new Option<double>("--nodefraction")
        {
            Description = "Hide functions whose cumulative value is below this fraction of the total (pprof -nodefraction)",
            DefaultValueFactory = _ => 0.005,
            HelpName = "F",
        };
        var mean = CommonOptions.Mean();
        var format = ReportFormat();
        var cmd = new Command("top", """
            Print the functions with the highest values, as 'go tool pprof -top' (same rows, values and percentages).

            Examples:
              flamekit top cpu.pb.gz
              flamekit top -n 20 --cum cpu.pb.gz
              flamekit top --sample-index alloc_space --focus 'encoding/json' heap.pb.gz
              flamekit top --base old.pb.gz new.pb.gz
              flamekit top --focus 'main\.' --relative-percentages cpu.pb.gz
              flamekit top --format csv cpu.pb.gz > top.csv
              flamekit top --granularity lines cpu.pb.gz   # go tool pprof -top -lines (or files, filefunctions, addresses)
              flamekit top --mean --sample-index delay mutex.pb.gz   # mean delay per contention
            """)
        {
            output, sampleIndex, count, cum, nodeFraction, mean, format,
        };
        var filters = new FilterOptions();
        cmd.Options.Add(filters.RelativePercentages);
        input.AddTo(cmd);
        filters.AddTo(cmd);
        cmd.SetAction(parse =>
        {
            bool m = parse.GetValue(mean);
            var (profile, st, total) = ReportSupport.Load(parse, console, input, sampleIndex, filters, m);
            int n = parse.GetValue(count);
            if (n < 0) throw CliException.Usage("--nodecount must not be negative");
            double nf = parse.GetValue(nodeFraction);
            if (nf is < 0 or > 1 || double.IsNaN(nf)) throw CliException.Usage("--nodefraction must be between 0 and 1");
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var report = TopReport.Create(profile, new TopOptions { SampleType = st, NodeCount = n, Cum = parse.GetValue(cum), NodeFraction = nf, Total = total, Mean = m });
            Timing.Report(console, "report", sw);
            ReportSupport.Write(console, parse.GetValue(output), parse.GetValue(format)!,
                w => report.WriteText(w, filters.ActiveFilters(parse)), w => WriteCsv(report, w), j => WriteJson(report, j));
            return 0;
        });
        return cmd;
    }

    /// <summary>The <c>--format text|csv|json</c> option of reports.</summary>
    public static Option<string> ReportFormat()
    {
        var o = new Option<string>("--format")
        {
            Description = "Report format: text (as pprof), csv, json",
            DefaultValueFactory = _ => "text",
            HelpName = "FORMAT",
        };
        o.AcceptOnlyFromAmong("text", "csv", "json");
        return o;
    }

    private static void WriteCsv(TopReport report, TextWriter w)
    {
        using (var csv = CsvHelper.CsvWriter.Create(w, null, leaveOpen: true))
        {
            csv.WriteHeader(["flat", "flat_percent", "sum_percent", "cum", "cum_percent", "name", "inline"]);
            long sum = 0;
            double total = report.Total;
            foreach (var r in report.Rows)
            {
                sum += r.Flat;
                csv.WriteRecord([
                    r.Flat.ToString(CultureInfo.InvariantCulture), Pct(r.Flat, total), Pct(sum, total),
                    r.Cum.ToString(CultureInfo.InvariantCulture), Pct(r.Cum, total), r.Name, r.InlineLabel.Trim('(', ')'),
                ]);
            }
        }
    }

    private static string Pct(long v, double total) => (total == 0 ? 0 : Math.Abs(v / total) * 100).ToString("0.####", CultureInfo.InvariantCulture);

    private static void WriteJson(TopReport report, Utf8JsonWriter j)
    {
        j.WriteStartObject();
        ReportSupport.WriteJsonHeader(j, report.Profile, report.SampleTypeIndex, report.Total, report.Options.Mean);
        j.WriteNumber("droppedNodes", report.DroppedNodes);
        j.WriteStartArray("rows");
        foreach (var r in report.Rows)
        {
            j.WriteStartObject();
            j.WriteString("name", r.Name);
            j.WriteNumber("flat", r.Flat);
            j.WriteNumber("cum", r.Cum);
            if (r.InlineLabel.Length > 0) j.WriteString("inline", r.InlineLabel.Trim('(', ')'));
            j.WriteEndObject();
        }
        j.WriteEndArray();
        j.WriteEndObject();
    }
}
