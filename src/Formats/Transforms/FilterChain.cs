using System.Text.RegularExpressions;

namespace FlameKit.Transforms;

/// <summary>
/// A set of filters applied in pprof's fixed order whatever order the user gave them in:
/// base subtraction, drop frames (pprof applies drop_frames when it loads a profile), focus/ignore/hide/show,
/// show_from, tag focus/ignore, prune_from; then FlameKit's own thread, time, max depth, trim path, name clean-up
/// steps; then granularity (pprof aggregates after its filters, so they still see full names); invert last.
/// </summary>
public sealed record FilterChain
{
    /// <summary>pprof <c>-focus</c>.</summary>
    public Regex? Focus { get; init; }
    /// <summary>pprof <c>-ignore</c>.</summary>
    public Regex? Ignore { get; init; }
    /// <summary>pprof <c>-hide</c>.</summary>
    public Regex? Hide { get; init; }
    /// <summary>pprof <c>-show</c>.</summary>
    public Regex? Show { get; init; }
    /// <summary>pprof <c>-show_from</c>.</summary>
    public Regex? ShowFrom { get; init; }
    /// <summary>pprof <c>-prune_from</c>.</summary>
    public Regex? PruneFrom { get; init; }
    /// <summary>pprof <c>-tagfocus</c>.</summary>
    public TagFilter? TagFocus { get; init; }
    /// <summary>pprof <c>-tagignore</c>.</summary>
    public TagFilter? TagIgnore { get; init; }
    /// <summary>Keep one thread (name or id).</summary>
    public string? Thread { get; init; }
    /// <summary>Keep samples in [start, end) nanoseconds after the earliest sample.</summary>
    public (long Start, long End)? Time { get; init; }
    /// <summary>Truncate stacks to this many frames from the root.</summary>
    public int? MaxDepth { get; init; }
    /// <summary>Path prefix to strip from file names.</summary>
    public string? TrimPath { get; init; }
    /// <summary>Extra <c>drop_frames</c> expression, combined with the profile's own (see <see cref="ProfileTransforms.DropFrames"/>).</summary>
    public string? DropFrames { get; init; }
    /// <summary>Drop argument lists from function names (<see cref="ProfileTransforms.StripArguments(Profile)"/>).</summary>
    public bool StripArguments { get; init; }
    /// <summary>Drop Go import paths from function names (<see cref="ProfileTransforms.StripPackages(Profile)"/>).</summary>
    public bool StripPackages { get; init; }
    /// <summary>pprof <c>-granularity</c> (<see cref="ProfileTransforms.Aggregate"/>); null leaves frames as they are.</summary>
    public FrameGranularity? Granularity { get; init; }
    /// <summary>Turn stacks upside down (leaf first).</summary>
    public bool Invert { get; init; }
    /// <summary>A profile to subtract first (pprof <c>-base</c>).</summary>
    public Profile? Base { get; init; }
    /// <summary>With <see cref="Base"/>: scale the base to the profile's total first.</summary>
    public bool NormalizeBase { get; init; }

    /// <summary>True when no filter is set.</summary>
    public bool IsEmpty => Focus is null && Ignore is null && Hide is null && Show is null && ShowFrom is null && PruneFrom is null
        && TagFocus is null && TagIgnore is null && Thread is null && Time is null && MaxDepth is null && TrimPath is null && !Invert && Base is null
        && DropFrames is null && !StripArguments && !StripPackages && Granularity is null;

    /// <summary>Applies the filters.</summary>
    /// <param name="p">The profile.</param>
    /// <param name="warn">Receives pprof's warnings, e.g. <c>Focus expression matched no samples</c>.</param>
    /// <returns>The filtered profile (<paramref name="p"/> itself when the chain is empty).</returns>
    /// <exception cref="ArgumentException">The base's sample types differ, or a time range is asked of a profile without timestamps.</exception>
    public Profile Apply(Profile p, Action<string>? warn = null)
    {
        ArgumentNullException.ThrowIfNull(p);
        return ApplyFilters(ApplyBase(p), warn);
    }

    /// <summary>The first step alone: subtracts <see cref="Base"/> when set (pprof does this while loading).</summary>
    /// <param name="p">The profile.</param>
    /// <returns>The difference, or <paramref name="p"/>.</returns>
    public Profile ApplyBase(Profile p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return Base is null ? p : ProfileTransforms.Base(p, Base, NormalizeBase);
    }

    /// <summary>Every step but <see cref="ApplyBase"/>.</summary>
    /// <param name="p">The profile (with any base already subtracted).</param>
    /// <param name="warn">Receives pprof's warnings.</param>
    /// <returns>The filtered profile.</returns>
    public Profile ApplyFilters(Profile p, Action<string>? warn = null)
    {
        ArgumentNullException.ThrowIfNull(p);
        warn ??= static _ => { };
        if (!string.IsNullOrEmpty(DropFrames)) p = ProfileTransforms.DropFrames(p, DropFrames);
        if (Focus is not null || Ignore is not null || Hide is not null || Show is not null || ShowFrom is not null
            || TagFocus is not null || TagIgnore is not null || PruneFrom is not null)
            p = FusedFilters.Apply(p, Focus, Ignore, Hide, Show, ShowFrom, TagFocus, TagIgnore, PruneFrom, warn);
        p = Step(p, Thread, ProfileTransforms.SelectThread, "Thread", warn);
        if (Time is { } t)
        {
            long origin = long.MaxValue;
            if (!p.HasTimestamps) throw new ArgumentException("the profile has no sample timestamps, so it cannot be cut by time");
            for (int i = 0; i < p.SampleCount; i++) origin = Math.Min(origin, p.SampleTimestamp(i));
            if (origin == long.MaxValue) origin = 0;
            var r = ProfileTransforms.TimeRange(p, origin + t.Start, t.End == long.MaxValue ? long.MaxValue : origin + t.End);
            if (!r.Matched) warn("Time range matched no samples");
            p = r.Profile;
        }
        if (MaxDepth is { } d) p = ProfileTransforms.MaxDepth(p, d);
        if (TrimPath is not null) p = ProfileTransforms.TrimPath(p, TrimPath);
        if (StripArguments) p = ProfileTransforms.StripArguments(p);
        if (StripPackages) p = ProfileTransforms.StripPackages(p);
        if (Granularity is { } g) p = ProfileTransforms.Aggregate(p, g);
        if (Invert) p = ProfileTransforms.Invert(p);
        return p;
    }

    private static Profile Step<T>(Profile p, T? arg, Func<Profile, T, TransformResult> f, string what, Action<string> warn) where T : class
    {
        if (arg is null) return p;
        var r = f(p, arg);
        if (!r.Matched) warn(what + " expression matched no samples");
        return r.Profile;
    }
}
