namespace FlameKit;

/// <summary>
/// FlameKit's common sample model: what every reader produces and every writer and the renderer consume.
/// It carries everything pprof's <c>profile.proto</c> carries (several sample types with units, period,
/// time, duration, comments, labels, mappings, locations with inlined lines, functions) plus what
/// timeline formats add (per-sample timestamps and threads).
/// </summary>
/// <remarks>
/// <para>Immutable: build one with <see cref="ProfileBuilder"/>. Strings, functions, locations, label sets
/// and stacks are interned, so a million samples over ten thousand distinct stacks hold ten thousand
/// stack nodes, not a million copies.</para>
/// <para>Stacks live in a parent-pointer trie of locations. A sample points at its leaf-most node
/// (<see cref="SampleStack"/>); <see cref="StackParent"/> walks towards the root. Use
/// <see cref="CopyStackLeafFirst"/> or <see cref="CopyStackRootFirst"/> to materialise a stack.</para>
/// <para>Sample values are stored row-major: sample <c>i</c> has one <see cref="long"/> per entry of
/// <see cref="SampleTypes"/>, in that order.</para>
/// </remarks>
public sealed class Profile
{
    private readonly Mapping[] _mappings;
    private readonly Function[] _functions;
    private readonly Location[] _locations;
    private readonly int[] _stackLocation;
    private readonly int[] _stackParent;
    private readonly int[] _stackDepth;
    private readonly int _stackCount;
    private readonly Label[][] _labelSets;
    private readonly ThreadInfo[] _threads;
    private readonly int[] _sampleStacks;
    // Exactly one of the two: stored values (row-major), or one value column derived from the timestamps.
    private long[]? _values;
    private readonly DerivedValues? _derived;
    private readonly int[]? _sampleLabels;
    private readonly SampleTimestamps? _timestamps;
    private readonly SampleThreads? _sampleThreads;
    private readonly int _sampleCount;
    private long[]? _totals;

    internal Profile(ProfileBuilder.Snapshot s)
    {
        SampleTypes = s.SampleTypes;
        DefaultSampleTypeIndex = s.DefaultSampleTypeIndex;
        PeriodType = s.PeriodType;
        Period = s.Period;
        TimeNanos = s.TimeNanos;
        DurationNanos = s.DurationNanos;
        Comments = s.Comments;
        DropFrames = s.DropFrames;
        KeepFrames = s.KeepFrames;
        Name = s.Name;
        _mappings = s.Mappings;
        _functions = s.Functions;
        _locations = s.Locations;
        _stackLocation = s.StackLocation;
        _stackParent = s.StackParent;
        _stackDepth = s.StackDepth;
        _stackCount = s.StackCount;
        _labelSets = s.LabelSets;
        _threads = s.Threads;
        _sampleStacks = s.SampleStacks;
        _values = s.Values;
        _derived = s.DerivedValues;
        _sampleLabels = s.SampleLabels;
        _timestamps = s.Timestamps;
        _sampleThreads = s.SampleThreads;
        _sampleCount = s.SampleCount;
    }

    /// <summary>What each value column measures. Never empty.</summary>
    public IReadOnlyList<SampleType> SampleTypes { get; }

    /// <summary>
    /// Index into <see cref="SampleTypes"/> of the type to show when the user names none: the profile's
    /// declared default, else the last type (pprof's rule).
    /// </summary>
    public int DefaultSampleTypeIndex { get; }

    /// <summary>The kind of event counted by <see cref="Period"/> (e.g. <c>cpu/nanoseconds</c>), or null.</summary>
    public SampleType? PeriodType { get; }

    /// <summary>Number of events between samples, in <see cref="PeriodType"/> units; 0 when unknown.</summary>
    public long Period { get; }

    /// <summary>Collection start, in nanoseconds since the Unix epoch; 0 when unknown.</summary>
    public long TimeNanos { get; }

    /// <summary>Collection duration in nanoseconds; 0 when unknown.</summary>
    public long DurationNanos { get; }

    /// <summary>Free-form comments (pprof's <c>comment</c>; Go's MemStats trailer, for example).</summary>
    public IReadOnlyList<string> Comments { get; }

    /// <summary>pprof's <c>drop_frames</c> regular expression, or "".</summary>
    public string DropFrames { get; }

    /// <summary>pprof's <c>keep_frames</c> regular expression, or "".</summary>
    public string KeepFrames { get; }

    /// <summary>A display name for the profile (file name, speedscope profile name), or "".</summary>
    public string Name { get; }

    /// <summary>Mappings; index 0 is a placeholder standing for "no mapping".</summary>
    public ReadOnlySpan<Mapping> Mappings => _mappings;

    /// <summary>Interned functions.</summary>
    public ReadOnlySpan<Function> Functions => _functions;

    /// <summary>Interned locations.</summary>
    public ReadOnlySpan<Location> Locations => _locations;

    /// <summary>Threads samples are attributed to (empty when the source has no thread identity).</summary>
    public IReadOnlyList<ThreadInfo> Threads => _threads;

    /// <summary>Number of nodes of the stack trie, including the empty stack.</summary>
    public int StackCount => _stackCount;

    /// <summary>Number of samples.</summary>
    public int SampleCount => _sampleCount;

    /// <summary>Number of interned label sets, including the empty one.</summary>
    public int LabelSetCount => _labelSets.Length;

    /// <summary>True when every sample carries a timestamp (<see cref="SampleTimestamp"/>).</summary>
    public bool HasTimestamps => _timestamps is not null;

    /// <summary>True when samples are attributed to threads (<see cref="SampleThread"/>).</summary>
    public bool HasThreads => _sampleThreads is not null;

    /// <summary>True when at least one sample carries labels.</summary>
    public bool HasLabels => _sampleLabels is not null;

    /// <summary>The location at the leaf end of <paramref name="stack"/>.</summary>
    /// <param name="stack">A non-empty stack.</param>
    public LocationId StackLocation(StackId stack) => new(_stackLocation[stack.Index]);

    /// <summary>The caller's stack: <paramref name="stack"/> without its leaf-most location.</summary>
    /// <param name="stack">A non-empty stack.</param>
    public StackId StackParent(StackId stack) => new(_stackParent[stack.Index]);

    /// <summary>Number of locations in <paramref name="stack"/> (0 for the empty stack).</summary>
    /// <param name="stack">Any stack.</param>
    public int StackDepth(StackId stack) => _stackDepth[stack.Index];

    /// <summary>Writes the locations of <paramref name="stack"/> leaf first into <paramref name="destination"/>.</summary>
    /// <param name="stack">The stack.</param>
    /// <param name="destination">At least <see cref="StackDepth"/> elements.</param>
    /// <returns>The number of locations written.</returns>
    public int CopyStackLeafFirst(StackId stack, Span<LocationId> destination)
    {
        int n = 0;
        for (int s = stack.Index; s != 0; s = _stackParent[s]) destination[n++] = new LocationId(_stackLocation[s]);
        return n;
    }

    /// <summary>Writes the locations of <paramref name="stack"/> root first into <paramref name="destination"/>.</summary>
    /// <param name="stack">The stack.</param>
    /// <param name="destination">At least <see cref="StackDepth"/> elements.</param>
    /// <returns>The number of locations written.</returns>
    public int CopyStackRootFirst(StackId stack, Span<LocationId> destination)
    {
        int n = _stackDepth[stack.Index];
        int i = n;
        for (int s = stack.Index; s != 0; s = _stackParent[s]) destination[--i] = new LocationId(_stackLocation[s]);
        return n;
    }

    /// <summary>The labels of an interned label set.</summary>
    /// <param name="set">The set.</param>
    public ReadOnlySpan<Label> Labels(LabelSetId set) => _labelSets[set.Index];

    /// <summary>The leaf-most stack node of sample <paramref name="sample"/>.</summary>
    /// <param name="sample">Sample index.</param>
    public StackId SampleStack(int sample) => new(_sampleStacks[sample]);

    /// <summary>The values of sample <paramref name="sample"/>, one per sample type.</summary>
    /// <remarks>
    /// A timeline's values are not stored (each is the next timestamp minus this one); the first call
    /// then writes them all out once (8 bytes per sample) so that the span can point at them. Code that
    /// goes through every sample should prefer <see cref="SampleValue"/> or <see cref="CopySampleValues"/>,
    /// which never do.
    /// </remarks>
    /// <param name="sample">Sample index.</param>
    public ReadOnlySpan<long> SampleValues(int sample) => StoredValues().AsSpan(sample * SampleTypes.Count, SampleTypes.Count);

    /// <summary>Copies the values of sample <paramref name="sample"/>, one per sample type, into <paramref name="destination"/>.</summary>
    /// <param name="sample">Sample index.</param>
    /// <param name="destination">At least <see cref="SampleTypes"/>.Count elements.</param>
    public void CopySampleValues(int sample, Span<long> destination)
    {
        if (_values is null)
        {
            if ((uint)sample >= (uint)_sampleCount) throw new ArgumentOutOfRangeException(nameof(sample));
            destination[0] = _derived![sample];
            return;
        }
        int k = SampleTypes.Count;
        _values.AsSpan(sample * k, k).CopyTo(destination);
    }

    /// <summary>One value of one sample.</summary>
    /// <param name="sample">Sample index.</param>
    /// <param name="sampleType">Index into <see cref="SampleTypes"/>.</param>
    public long SampleValue(int sample, int sampleType)
    {
        if (_values is not null) return _values[sample * SampleTypes.Count + sampleType];
        if ((uint)sampleType >= 1u) throw new ArgumentOutOfRangeException(nameof(sampleType));
        if ((uint)sample >= (uint)_sampleCount) throw new ArgumentOutOfRangeException(nameof(sample));
        return _derived![sample];
    }

    /// <summary>The stored values, written out from the derived column on first use.</summary>
    private long[] StoredValues()
    {
        if (_values is not null) return _values;
        var values = new long[_sampleCount];
        for (int i = 0; i < values.Length; i++) values[i] = _derived![i];
        // Racing threads compute the same array; either one may win.
        _values = values;
        return values;
    }

    /// <summary>The label set of a sample (<see cref="LabelSetId.Empty"/> when it has none).</summary>
    /// <param name="sample">Sample index.</param>
    public LabelSetId SampleLabels(int sample) => _sampleLabels is null ? LabelSetId.Empty : new(_sampleLabels[sample]);

    /// <summary>
    /// The time of a sample in nanoseconds, on the clock of <see cref="TimeNanos"/> when the source has an
    /// absolute clock, else from an arbitrary origin. Samples are not required to be in time order.
    /// </summary>
    /// <param name="sample">Sample index.</param>
    /// <exception cref="InvalidOperationException">The profile has no timestamps.</exception>
    public long SampleTimestamp(int sample) => _timestamps is null ? throw new InvalidOperationException("profile has no timestamps") : _timestamps[sample];

    /// <summary>The thread of a sample, or <see cref="ThreadIndex.None"/>.</summary>
    /// <param name="sample">Sample index.</param>
    public ThreadIndex SampleThread(int sample) => _sampleThreads is null ? ThreadIndex.None : new(_sampleThreads[sample]);

    /// <summary>Sum of one value column over all samples.</summary>
    /// <param name="sampleType">Index into <see cref="SampleTypes"/>.</param>
    public long Total(int sampleType)
    {
        if (_totals is null)
        {
            int k = SampleTypes.Count;
            var totals = new long[k];
            for (int i = 0; i < _sampleCount; i++)
                for (int t = 0; t < k; t++) totals[t] += SampleValue(i, t);
            _totals = totals;
        }
        return _totals[sampleType];
    }

    /// <summary>
    /// Finds a sample type by name (<c>alloc_space</c>) or by zero-based index (<c>"1"</c>), as pprof's
    /// <c>-sample_index</c> does; null selects <see cref="DefaultSampleTypeIndex"/>.
    /// </summary>
    /// <param name="nameOrIndex">Type name, index, or null.</param>
    /// <returns>The index into <see cref="SampleTypes"/>.</returns>
    /// <exception cref="ArgumentException">No such sample type; the message lists the valid ones.</exception>
    public int ResolveSampleType(string? nameOrIndex)
    {
        if (string.IsNullOrEmpty(nameOrIndex)) return DefaultSampleTypeIndex;
        if (int.TryParse(nameOrIndex, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int idx))
        {
            if (idx >= 0 && idx < SampleTypes.Count) return idx;
        }
        else
        {
            // pprof accepts "sample_index=inuse" style prefixes too; accept exact names first, then a unique prefix.
            for (int i = 0; i < SampleTypes.Count; i++)
                if (SampleTypes[i].Type == nameOrIndex) return i;
        }
        throw new ArgumentException($"sample type \"{nameOrIndex}\" must be one of: {string.Join(", ", SampleTypes.Select(t => t.Type))} (or an index 0..{SampleTypes.Count - 1})");
    }
}
