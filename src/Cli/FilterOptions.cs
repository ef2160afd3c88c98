using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using FlameKit.Transforms;

namespace FlameKit.Cli;

/// <summary>
/// The filter flags shared by every command that reads a profile (<c>--focus</c>, <c>--ignore</c>, ...), defined
/// once, and <see cref="Apply"/>, which turns them into a <see cref="FilterChain"/> run in pprof's fixed order.
/// </summary>
internal sealed class FilterOptions
{
    public readonly Option<string?> Focus = new("--focus") { Description = "Keep samples with a frame matching RE (function name, file, or mapping; pprof -focus)", HelpName = "RE" };
    public readonly Option<string?> Ignore = new("--ignore") { Description = "Drop samples with a frame matching RE (pprof -ignore)", HelpName = "RE" };
    public readonly Option<string?> Hide = new("--hide") { Description = "Remove frames matching RE from stacks (pprof -hide)", HelpName = "RE" };
    public readonly Option<string?> Show = new("--show") { Description = "Keep only frames matching RE in stacks (pprof -show)", HelpName = "RE" };
    public readonly Option<string?> ShowFrom = new("--show-from") { Description = "Drop frames above the root-most frame matching RE (pprof -show_from)", HelpName = "RE" };
    public readonly Option<string?> PruneFrom = new("--prune-from") { Description = "Drop frames below the leaf-most frame matching RE (pprof -prune_from)", HelpName = "RE" };
    public readonly Option<string?> TagFocus = new("--tag-focus") { Description = "Keep samples with a label matching [KEY=]RE[,RE...], or a numeric label in [KEY=]RANGE such as bytes=1kb:64kb, :1mb, 2mb:, 10ms (pprof -tagfocus)", HelpName = "KEY=RE|RANGE" };
    public readonly Option<string?> TagIgnore = new("--tag-ignore") { Description = "Drop samples with a label matching [KEY=]RE[,RE...] or in [KEY=]RANGE (pprof -tagignore)", HelpName = "KEY=RE|RANGE" };
    public readonly Option<string?> Thread = new("--thread") { Description = "Keep the samples of one thread, by name or id", HelpName = "NAME|ID" };
    public readonly Option<string?> Time = new("--time") { Description = "Keep samples between two times after the first sample, e.g. 1s..2.5s, 200ms.., ..3s", HelpName = "START..END" };
    public readonly Option<bool> Invert = new("--invert") { Description = "Turn stacks upside down (leaf first: who calls the hot functions)" };
    public readonly Option<int?> MaxDepth = new("--max-depth") { Description = "Keep at most N frames of each stack, from the root", HelpName = "N" };
    public readonly Option<string?> TrimPath = new("--trim-path") { Description = "Remove this prefix from source file paths", HelpName = "PREFIX" };
    public readonly Option<string?> DropFrames = new("--drop-frames")
    {
        Description = "Drop frames whose whole (simplified) name matches RE, and everything they call; frames from the root up to the first non-matching one stay. Combined with the profile's own drop_frames field (pprof applies that field; it has no flag for it)",
        HelpName = "RE",
    };
    public readonly Option<bool> StripArgs = new("--strip-args")
    {
        Description = "Drop argument lists from function names: 'ns::f(int) const' -> 'ns::f', 'A.run(I)V' -> 'A.run'; template arguments, '(anonymous namespace)' and Go receivers stay; overloads merge (pprof has no such flag)",
    };
    public readonly Option<bool> StripPackages = new("--strip-packages")
    {
        Description = "Drop Go import paths from function names: 'github.com/acme/x/cache.(*R).Load' -> 'cache.(*R).Load' (pprof's short names in -dot graphs)",
    };
    public readonly Option<string?> Granularity = CreateGranularity();
    public readonly Option<string?> Base = new("--base") { Description = "Subtract this profile first (pprof -base): shrinking stacks get negative values", HelpName = "FILE" };
    public readonly Option<bool> Normalize = new("--normalize") { Description = "With --base: scale the base to this profile's total first" };

    private static Option<string?> CreateGranularity()
    {
        var o = new Option<string?>("--granularity")
        {
            Description = "Frame granularity, as pprof -granularity (-functions, -filefunctions, -files, -lines, -addresses): one node per function (default), function and file, file, function and line ('main.foo file.go:12'), or address",
            HelpName = "functions|filefunctions|files|lines|addresses",
        };
        o.AcceptOnlyFromAmong("functions", "filefunctions", "files", "lines", "addresses");
        return o;
    }

    /// <summary>A command's own flag that means <c>--granularity lines</c> (svg's and convert's older <c>--lines</c>), or null.</summary>
    public Option<bool>? LinesAlias { get; set; }

    /// <summary>
    /// Applies the profile's own drop_frames/keep_frames as the commands do on load, unless <c>--drop-frames</c> is
    /// given: then the chain applies the profile's expression and the flag's together, in one prune, as one
    /// drop_frames expression would be (two prunes in a row would disagree on where the first user frame is).
    /// </summary>
    public Profile PruneDropFrames(ParseResult parse, Profile profile) =>
        string.IsNullOrEmpty(parse.GetValue(DropFrames)) ? CliSupport.PruneDropFrames(profile) : profile;

    /// <summary>
    /// For commands that write a profile (convert, filter): prunes the profile's own drop_frames before the filters
    /// when the output cannot keep the expression (name-only formats) or when the flags rename frames (the
    /// expression was written for the original names, so it must run while they are still there).
    /// </summary>
    public Profile PruneDropFramesForOutput(ParseResult parse, Profile profile, Formats.IProfileWriter writer)
    {
        bool renames = parse.GetValue(StripArgs) || parse.GetValue(StripPackages) || !string.IsNullOrEmpty(parse.GetValue(Granularity))
            || (LinesAlias is not null && parse.GetValue(LinesAlias));
        return writer.Format.Name != "pprof" || renames ? PruneDropFrames(parse, profile) : profile;
    }

    /// <summary>Parses a <c>--granularity</c> value.</summary>
    internal static FrameGranularity? ParseGranularity(string? value) => value switch
    {
        null or "" => null,
        "functions" => FrameGranularity.Functions,
        "filefunctions" => FrameGranularity.FileFunctions,
        "files" => FrameGranularity.Files,
        "lines" => FrameGranularity.Lines,
        "addresses" => FrameGranularity.Addresses,
        _ => throw CliException.Usage($"--granularity: expected functions, filefunctions, files, lines or addresses, got \"{value}\""),
    };

    /// <summary>
    /// pprof's <c>-relative_percentages</c>, for reports only (not part of <see cref="AddTo"/>): percentages of the
    /// filtered total instead of the whole profile's.
    /// </summary>
    public readonly Option<bool> RelativePercentages = new("--relative-percentages")
    {
        Description = "Show percentages relative to the samples the filters keep, not the whole profile (pprof -relative_percentages)",
    };

    /// <summary>Adds the options to <paramref name="cmd"/>.</summary>
    public void AddTo(Command cmd)
    {
        foreach (var o in new Option[] { Focus, Ignore, Hide, Show, ShowFrom, PruneFrom, TagFocus, TagIgnore, Thread, Time, Invert, MaxDepth, TrimPath, DropFrames, StripArgs, StripPackages, Granularity, Base, Normalize })
            cmd.Options.Add(o);
    }

    /// <summary>
    /// The total a report's percentages are relative to: <paramref name="unfilteredTotal"/> (taken before the
    /// filters, as pprof), or the filtered profile's own with <see cref="RelativePercentages"/> when the command has it.
    /// </summary>
    public long TotalFor(ParseResult parse, Profile filtered, int sampleType, long unfilteredTotal, bool mean = false) =>
        parse.CommandResult.Command.Options.Contains(RelativePercentages) && parse.GetValue(RelativePercentages)
            ? FlameKit.Reports.TopReport.ReportTotal(filtered, sampleType, mean)
            : unfilteredTotal;

    /// <summary>pprof's "Active filters:" legend entries (<c>focus=RE</c>, ...) for the pprof filters given.</summary>
    public List<string> ActiveFilters(ParseResult parse)
    {
        var list = new List<string>();
        foreach (var (o, name) in new[] { (Focus, "focus"), (Ignore, "ignore"), (Hide, "hide"), (Show, "show"), (ShowFrom, "show_from"), (TagFocus, "tagfocus"), (TagIgnore, "tagignore") })
        {
            string? v = parse.GetValue(o);
            if (!string.IsNullOrEmpty(v)) list.Add(name + "=" + v);
        }
        return list;
    }

    /// <summary>Builds the chain from the parsed flags (reading <c>--base</c>), reporting bad values as usage errors.</summary>
    public FilterChain Chain(ParseResult parse, CliConsole console)
    {
        var errors = new List<string>();
        Regex? Re(Option<string?> o, string name)
        {
            string? v = parse.GetValue(o);
            if (string.IsNullOrEmpty(v)) return null;
            try { return new Regex(v, RegexOptions.CultureInvariant | RegexOptions.Compiled); }
            catch (ArgumentException e) { errors.Add($"parsing {name} regexp: {e.Message}"); return null; }
        }
        TagFilter? Tag(Option<string?> o, string name)
        {
            string? v = parse.GetValue(o);
            if (string.IsNullOrEmpty(v)) return null;
            try { return TagFilter.Parse(v); }
            catch (ArgumentException e) { errors.Add($"parsing {name}: {e.Message}"); return null; }
        }
        var chain = new FilterChain
        {
            Focus = Re(Focus, "focus"),
            Ignore = Re(Ignore, "ignore"),
            Hide = Re(Hide, "hide"),
            Show = Re(Show, "show"),
            ShowFrom = Re(ShowFrom, "show_from"),
            PruneFrom = Re(PruneFrom, "prune_from"),
            TagFocus = Tag(TagFocus, "tagfocus"),
            TagIgnore = Tag(TagIgnore, "tagignore"),
            Thread = parse.GetValue(Thread),
            Invert = parse.GetValue(Invert),
            MaxDepth = parse.GetValue(MaxDepth),
            TrimPath = parse.GetValue(TrimPath),
            NormalizeBase = parse.GetValue(Normalize),
            StripArguments = parse.GetValue(StripArgs),
            StripPackages = parse.GetValue(StripPackages),
            Granularity = ParseGranularity(parse.GetValue(Granularity))
                ?? (LinesAlias is not null && parse.GetValue(LinesAlias) ? FrameGranularity.Lines : null),
        };
        string? dropFrames = parse.GetValue(DropFrames);
        if (!string.IsNullOrEmpty(dropFrames))
        {
            try
            {
                _ = new Regex(dropFrames, RegexOptions.CultureInvariant);
                chain = chain with { DropFrames = dropFrames };
            }
            catch (ArgumentException e) { errors.Add($"parsing drop_frames regexp: {e.Message}"); }
        }
        if (chain.MaxDepth is < 1) errors.Add("--max-depth must be at least 1");
        string? time = parse.GetValue(Time);
        if (!string.IsNullOrEmpty(time))
        {
            var range = ParseTimeRange(time);
            if (range is null) errors.Add($"--time: expected START..END with durations such as 1.5s, 200ms, 30us, 10ns (either end may be empty), got \"{time}\"");
            else chain = chain with { Time = range };
        }
        if (errors.Count > 0) throw CliException.Usage(string.Join("; ", errors));
        string? basePath = parse.GetValue(Base);
        if (!string.IsNullOrEmpty(basePath))
        {
            var (b, _) = CliIO.ReadProfile(console, basePath, null);
            chain = chain with { Base = b };
        }
        return chain;
    }

    /// <summary>Applies the filters to <paramref name="profile"/>, printing pprof's "matched no samples" warnings.</summary>
    public Profile Apply(ParseResult parse, CliConsole console, Profile profile) => Apply(parse, console, profile, null);

    /// <summary>Whether the chosen filters select by thread or time, so the input must keep both per sample.</summary>
    public bool NeedsTimeline(ParseResult parse) => parse.GetValue(Thread) is not null || parse.GetValue(Time) is not null;

    /// <summary>
    /// As <see cref="Apply(ParseResult, CliConsole, Profile)"/>; <paramref name="afterBase"/> sees the profile once
    /// any <c>--base</c> is subtracted and before the other filters (reports take their total there, as pprof).
    /// </summary>
    public Profile Apply(ParseResult parse, CliConsole console, Profile profile, Action<Profile>? afterBase)
    {
        var chain = Chain(parse, console);
        try
        {
            profile = chain.ApplyBase(profile);
            afterBase?.Invoke(profile);
            if (chain.IsEmpty) return profile;
            var sw = System.Diagnostics.Stopwatch.StartNew();
            profile = chain.ApplyFilters(profile, console.Warn);
            Timing.Report(console, "filter", sw);
            return profile;
        }
        catch (ArgumentException e) { throw CliException.Usage(e); }
    }

    /// <summary>Parses <c>START..END</c> into nanoseconds; either end may be empty.</summary>
    internal static (long Start, long End)? ParseTimeRange(string text)
    {
        int dots = text.IndexOf("..", StringComparison.Ordinal);
        if (dots < 0) return null;
        string a = text[..dots].Trim(), b = text[(dots + 2)..].Trim();
        long start = 0, end = long.MaxValue;
        if (a.Length > 0 && !TryDuration(a, out start)) return null;
        if (b.Length > 0 && !TryDuration(b, out end)) return null;
        if (end < start) return null;
        return (start, end);
    }

    private static bool TryDuration(string s, out long nanos)
    {
        nanos = 0;
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double secs))
        {
            // A bare number is seconds (so "0..2" works).
            if (secs < 0) return false;
            nanos = (long)Math.Round(secs * 1e9);
            return true;
        }
        (string Suffix, double Factor)[] units = [("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9)];
        foreach (var (suffix, factor) in units)
        {
            if (!s.EndsWith(suffix, StringComparison.Ordinal)) continue;
            string num = s[..^suffix.Length];
            if (num.Length > 0 && char.IsLetter(num[^1])) continue; // "ms" must not be read as "m" + "s"
            if (!double.TryParse(num, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || v < 0) return false;
            nanos = (long)Math.Round(v * factor);
            return true;
        }
        return false;
    }
}
