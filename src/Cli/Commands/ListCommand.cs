using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using FlameKit.Reports;

namespace FlameKit.Cli.Commands;

/// <summary><c>flamekit list RE</c>: pprof's <c>-list</c> report (per-line values beside the source).</summary>
internal static class ListCommand
{
    public static Command Create(CliConsole console)
    {
        var input = new InputOptions();
        var output = CommonOptions.Output();
        var sampleIndex = CommonOptions.SampleIndex();
        var sourcePath = new Option<string?>("--source-path")
        {
            Description = "Directories (separated by ':') to look for source files in, by the trailing parts of their recorded paths (pprof -source_path); default: the current directory",
            HelpName = "DIR",
        };
        var format = TopCommand.ReportFormat();
        // Accepted only to be rejected with a message that names it: unknown, it made the parser blame the file
        // argument. list does not support it because go tool pprof's -list ignores the mean divisor per line (it
        // prints raw sums as percentages of the mean total, e.g. "162168.18% of Total"), so there is no pprof
        // behaviour to match and per-line means would silently differ from it.
        var mean = new Option<bool>("--mean") { Hidden = true };
        var symbol = new Argument<string>("RE") { Description = "List the functions whose name matches this regular expression" };
        var cmd = new Command("list", """
            Print the flat and cumulative values of each source line of the functions matching RE, beside the source,
            as 'go tool pprof -list RE'. Source files are read at their recorded paths, or found under --source-path by
            their trailing path components; without the source, the lines with values are listed alone.

            Examples:
              flamekit list 'main\.parse' cpu.pb.gz
              flamekit list --source-path ~/src/myapp 'main\.' cpu.pb.gz
              flamekit list --format json --sample-index alloc_space 'bytes\.' heap.pb.gz
            """)
        {
            output, sampleIndex, sourcePath, format, mean,
        };
        cmd.Arguments.Add(symbol);
        input.AddTo(cmd);
        var filters = new FilterOptions();
        cmd.Options.Add(filters.RelativePercentages);
        filters.AddTo(cmd);
        cmd.SetAction(parse =>
        {
            if (parse.GetValue(mean))
                throw CliException.Usage("--mean is not supported by list (pprof's -list does not divide per line); use it with top, tree, peek or traces");
            string re = parse.GetValue(symbol)!;
            Regex rx;
            try { rx = new Regex(re, RegexOptions.CultureInvariant); }
            catch (ArgumentException e) { throw CliException.Usage($"parsing argument regexp {re}: {e.Message}"); }
            var (profile, st, total) = ReportSupport.Load(parse, console, input, sampleIndex, filters);
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var report = ListReport.Create(profile, rx, st, total, parse.GetValue(sourcePath))
                ?? throw CliException.Input($"no matches found for regexp: {re}");
            Timing.Report(console, "report", sw);
            foreach (var r in report.Routines)
                if (r.SourceError is not null) console.Warn($"{r.SourceError}; showing the values of {r.Function}'s lines without source");
            ReportSupport.Write(console, parse.GetValue(output), parse.GetValue(format)!, report.WriteText, w => WriteCsv(report, w), j => WriteJson(report, j));
            return 0;
        });
        return cmd;
    }

    private static void WriteCsv(ListReport report, TextWriter w)
    {
        using (var csv = CsvHelper.CsvWriter.Create(w, null, leaveOpen: true))
        {
            csv.WriteHeader(["function", "file", "line", "flat", "cum", "source"]);
            foreach (var r in report.Routines)
                foreach (var l in r.Lines)
                    csv.WriteRecord([r.Function, r.File, l.Number.ToString(CultureInfo.InvariantCulture), l.Flat.ToString(CultureInfo.InvariantCulture), l.Cum.ToString(CultureInfo.InvariantCulture), l.Text ?? ""]);
        }
    }

    private static void WriteJson(ListReport report, Utf8JsonWriter j)
    {
        j.WriteStartObject();
        ReportSupport.WriteJsonHeader(j, report.Profile, report.SampleTypeIndex, report.Total);
        j.WriteStartArray("routines");
        foreach (var r in report.Routines)
        {
            j.WriteStartObject();
            j.WriteString("function", r.Function);
            j.WriteString("file", r.File);
            j.WriteNumber("flat", r.Flat);
            j.WriteNumber("cum", r.Cum);
            if (r.SourceError is not null) j.WriteString("sourceError", r.SourceError);
            j.WriteStartArray("lines");
            foreach (var l in r.Lines)
            {
                j.WriteStartObject();
                j.WriteNumber("line", l.Number);
                j.WriteNumber("flat", l.Flat);
                j.WriteNumber("cum", l.Cum);
                if (l.Text is not null) j.WriteString("source", l.Text);
                j.WriteEndObject();
            }
            j.WriteEndArray();
            j.WriteEndObject();
        }
        j.WriteEndArray();
        j.WriteEndObject();
    }
}
