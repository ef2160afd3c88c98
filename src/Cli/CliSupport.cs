using FlameKit.Formats;

namespace FlameKit.Cli;

/// <summary>Small helpers shared by commands.</summary>
internal static class CliSupport
{
    /// <summary>Finds the writer for <c>--to</c>, turning an unknown name into a usage error that lists the known ones.</summary>
    public static IProfileWriter FindWriter(string target) =>
        ProfileFormats.FindWriter(target)
        ?? throw CliException.Usage($"unknown output format \"{target}\"; expected one of: {string.Join(", ", ProfileFormats.Writers.Select(w => w.Format.Name))}");

    /// <summary>Whether a writer's format holds per-sample times and threads (so readers should keep them).</summary>
    public static bool WritesTimeline(IProfileWriter writer) =>
        writer.Format == Formats.Speedscope.SpeedscopeReader.SpeedscopeFormat || writer.Format == Formats.ChromeTrace.ChromeTraceReader.ChromeTraceFormat;

    /// <summary>Resolves <c>--sample-index</c>, turning a bad value into a usage error that lists the valid ones.</summary>
    public static int ResolveSampleType(Profile profile, string? nameOrIndex)
    {
        try { return profile.ResolveSampleType(nameOrIndex); }
        catch (ArgumentException e) { throw CliException.Usage(e); }
    }

    /// <summary>
    /// Formats that show frames by name (folded, SVG) honour pprof's drop_frames/keep_frames; formats that
    /// can store those expressions (pprof) keep the profile untouched.
    /// </summary>
    public static Profile PrepareForNameOnlyOutput(Profile profile, IProfileWriter writer) =>
        writer.Format.Name == "pprof" ? profile : PruneDropFrames(profile);

    /// <summary>Applies drop_frames/keep_frames (pprof's Prune) when the profile has them.</summary>
    public static Profile PruneDropFrames(Profile profile)
    {
        try { return FlameKit.Transforms.ProfileTransforms.PruneDropFrames(profile); }
        catch (ArgumentException e) { throw CliException.Input("invalid drop_frames/keep_frames expression in the profile: " + e.Message); }
    }
}
