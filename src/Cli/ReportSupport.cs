using System.CommandLine;
using System.Text;
using System.Text.Json;
using FlameKit.Reports;

namespace FlameKit.Cli;

/// <summary>
/// What the pprof-style report commands (<c>top</c>, <c>tree</c>, <c>peek</c>, <c>list</c>) share: reading and
/// filtering the profile with pprof's report total, and writing the report as text, CSV or JSON.
/// </summary>
internal static class ReportSupport
{
    /// <summary>
    /// Reads the input, resolves <c>--sample-index</c>, applies drop_frames and the filters, and returns the
    /// total percentages are relative to: the whole profile's (after any <c>--base</c>), as pprof, or the
    /// filtered one's with <c>--relative-percentages</c>; with <paramref name="mean"/>, pprof's <c>-mean</c> total.
    /// </summary>
    public static (Profile Profile, int SampleType, long Total) Load(ParseResult parse, CliConsole console, InputOptions input, Option<string?> sampleIndex, FilterOptions filters, bool mean = false)
    {
        var (profile, _) = input.Read(parse, console, keepTimeline: filters.NeedsTimeline(parse));
        int st = CliSupport.ResolveSampleType(profile, parse.GetValue(sampleIndex));
        if (mean) CheckMean(profile);
        profile = filters.PruneDropFrames(parse, profile);
        long total = 0;
        profile = filters.Apply(parse, console, profile, p => total = TopReport.ReportTotal(p, st, mean));
        return (profile, st, filters.TotalFor(parse, profile, st, total, mean));
    }

    /// <summary>
    /// Rejects <c>--mean</c> on a profile with a single sample type: pprof would divide every value by itself and
    /// print 1s, which is never what was meant.
    /// </summary>
    public static void CheckMean(Profile profile)
    {
        if (profile.SampleTypes.Count < 2)
            throw CliException.Usage($"--mean divides by the profile's first sample type (a count), but this profile has only one ({profile.SampleTypes[0].Type}/{profile.SampleTypes[0].Unit})");
    }

    /// <summary>Writes a report in the <c>--format</c> chosen, to <c>--output</c> or stdout (whole or not at all).</summary>
    public static void Write(CliConsole console, string? output, string format, Action<TextWriter> text, Action<StreamWriter> csv, Action<Utf8JsonWriter> json)
    {
        CliIO.WriteOutput(console, output, s =>
        {
            using var w = new StreamWriter(s, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
            switch (format)
            {
                case "csv":
                    csv(w);
                    w.Flush();
                    break;
                case "json":
                    using (var j = new Utf8JsonWriter(s, new JsonWriterOptions { Indented = true }))
                    {
                        json(j);
                        j.Flush();
                    }
                    s.WriteByte((byte)'\n');
                    break;
                default:
                    text(w);
                    break;
            }
        });
    }

    /// <summary>The fields every JSON report starts with: sample type, unit and total, and <c>"mean": true</c> with <c>--mean</c>.</summary>
    public static void WriteJsonHeader(Utf8JsonWriter j, Profile p, int sampleType, long total, bool mean = false)
    {
        var type = p.SampleTypes[sampleType];
        j.WriteString("sampleType", type.Type);
        j.WriteString("unit", type.Unit);
        j.WriteNumber("total", total);
        if (mean) j.WriteBoolean("mean", true);
    }
}
