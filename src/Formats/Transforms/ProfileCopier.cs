namespace FlameKit.Transforms;

/// <summary>
/// Makes derived profiles: copies a profile's metadata and tables into a new <see cref="ProfileBuilder"/>
/// and re-adds every sample with its stack passed through a caller-supplied rewrite. Transforms (pruning,
/// focus/ignore filters, ...) differ only in that rewrite, so they share this one copy loop.
/// </summary>
/// <remarks>
/// Mappings, functions and locations are re-added in model order, so a location keeps its
/// <see cref="LocationId"/> in the copy and a rewrite may use the source's ids directly (it may also
/// add new locations through the builder). Each distinct sample stack is rewritten once and cached.
/// Labels, threads and timestamps are carried over.
/// </remarks>
internal static class ProfileCopier
{
    /// <summary>Returned by a <see cref="StackRewrite"/> to drop every sample with that stack.</summary>
    public static readonly StackId DropSample = new(-2);

    /// <summary>Rewrites one stack of the source profile into a stack of the builder.</summary>
    /// <param name="source">The profile being copied.</param>
    /// <param name="builder">The builder of the copy.</param>
    /// <param name="stack">A sample stack of <paramref name="source"/>.</param>
    /// <returns>The stack to use in the copy.</returns>
    public delegate StackId StackRewrite(Profile source, ProfileBuilder builder, StackId stack);

    /// <summary>Copies <paramref name="source"/>, rewriting each sample's stack.</summary>
    /// <param name="source">The profile.</param>
    /// <param name="rewrite">The stack rewrite; null keeps stacks as they are (the used part of the source's trie is copied without interning).</param>
    /// <param name="configure">Adjusts the builder's metadata after it has been copied (e.g. clears a field), or null.</param>
    /// <param name="keepSample">Decides by sample index which samples are copied, or null for all.</param>
    /// <param name="copyTables">
    /// False: do not pre-copy the functions and locations, so the copy holds only those the rewrite adds (a rewrite
    /// that renames or merges them must not leave the originals behind as unused entries).
    /// </param>
    public static Profile Copy(Profile source, StackRewrite? rewrite, Action<ProfileBuilder>? configure = null, Func<int, bool>? keepSample = null,
        bool copyTables = true)
    {
        bool[]? kept = null;
        if (keepSample is not null)
        {
            kept = new bool[source.SampleCount];
            for (int i = 0; i < kept.Length; i++) kept[i] = keepSample(i);
        }
        return CopyCore(source, rewrite, null, configure, kept, copyTables);
    }

    /// <summary>
    /// Fills <paramref name="map"/> (one entry per source stack node, all 0 on entry) with the copy's node for every
    /// node that a kept sample uses as its stack, or <see cref="DropSample"/>'s index; other entries are not read.
    /// </summary>
    /// <param name="source">The profile being copied.</param>
    /// <param name="builder">The builder of the copy, its location table already copied.</param>
    /// <param name="kept">Which samples are copied, or null for all.</param>
    /// <param name="map">Source node -> node of the copy.</param>
    public delegate void StackMapper(Profile source, ProfileBuilder builder, bool[]? kept, int[] map);

    /// <summary>
    /// Copies <paramref name="source"/> with a stack map computed up front for all nodes at once (a pass over the
    /// trie in node order) instead of a rewrite per distinct sample stack; the map doubles as the copy's
    /// stack cache, so a transform that needs a per-node array anyway does not pay for a second one.
    /// </summary>
    /// <param name="source">The profile.</param>
    /// <param name="mapper">Fills the stack map; null copies the used sub-trie unchanged.</param>
    /// <param name="configure">Adjusts the builder's metadata after it has been copied, or null.</param>
    /// <param name="kept">Which samples are copied, by index, or null for all.</param>
    public static Profile CopyMapped(Profile source, StackMapper? mapper, Action<ProfileBuilder>? configure, bool[]? kept)
        => CopyCore(source, null, mapper ?? CopySubTrie, configure, kept, true);

    private static Profile CopyCore(Profile source, StackRewrite? rewrite, StackMapper? mapper, Action<ProfileBuilder>? configure, bool[]? kept, bool copyTables)
    {
        var b = new ProfileBuilder(source.SampleTypes);
        b.DefaultSampleType = source.SampleTypes[source.DefaultSampleTypeIndex].Type;
        b.PeriodType = source.PeriodType;
        b.Period = source.Period;
        b.TimeNanos = source.TimeNanos;
        b.DurationNanos = source.DurationNanos;
        b.Comments.AddRange(source.Comments);
        b.DropFrames = source.DropFrames;
        b.KeepFrames = source.KeepFrames;
        b.Name = source.Name;
        configure?.Invoke(b);

        var mappings = source.Mappings;
        for (int i = 1; i < mappings.Length; i++) b.AddMapping(mappings[i]);
        if (copyTables)
        {
            foreach (var f in source.Functions) b.AddFunction(f.Name, f.SystemName, f.File, f.StartLine);
            foreach (var l in source.Locations) b.AddLocation(l.Address, l.Mapping, l.Lines, l.IsFolded);
        }
        foreach (var t in source.Threads) b.AddThread(t);

        var stackMap = new int[source.StackCount];
        if (rewrite is null) (mapper ?? CopySubTrie)(source, b, kept, stackMap);
        else
        {
            Array.Fill(stackMap, -1);
            stackMap[0] = rewrite(source, b, StackId.Empty).Index;
        }
        var values = new long[source.SampleTypes.Count]; // copied: a timeline's values are derived, not stored
        var labelMap = new int[source.LabelSetCount];
        Array.Fill(labelMap, -1);
        labelMap[0] = 0;

        for (int i = 0; i < source.SampleCount; i++)
        {
            if (kept is not null && !kept[i]) continue;
            var s = source.SampleStack(i);
            ref int ns = ref stackMap[s.Index];
            if (ns == -1) ns = rewrite!(source, b, s).Index;
            if (ns == DropSample.Index) continue;
            var ls = source.SampleLabels(i);
            ref int nl = ref labelMap[ls.Index];
            if (nl < 0) nl = b.AddLabelSet(source.Labels(ls)).Index;
            source.CopySampleValues(i, values);
            if (source.HasTimestamps)
                b.AddSample(new StackId(ns), values, source.SampleTimestamp(i), source.SampleThread(i), new LabelSetId(nl));
            else
                b.AddSample(new StackId(ns), values, new LabelSetId(nl), source.SampleThread(i));
        }
        return b.Build();
    }

    /// <summary>
    /// Copies the part of the source's trie that the kept samples use, in the source's node order, into
    /// <paramref name="map"/> (source node -> new node) without interning: the source's nodes are already
    /// distinct and a parent comes before its children, so each needed node is appended once. Re-interning
    /// every kept stack from its root instead cost a hash probe per frame of every distinct stack (focus or a tag
    /// filter over a 1M-sample pprof: millions of probes to rebuild a trie that was already there).
    /// </summary>
    private static void CopySubTrie(Profile source, ProfileBuilder b, bool[]? kept, int[] map)
    {
        // map: 0 = not needed, 1 = needed, then the new id. Kept stacks and their ancestors are needed.
        for (int i = 0; i < source.SampleCount; i++)
            if (kept is null || kept[i]) map[source.SampleStack(i).Index] = 1;
        int needed = 0;
        for (int n = map.Length - 1; n > 0; n--)
        {
            if (map[n] == 0) continue;
            needed++;
            map[source.StackParent(new StackId(n)).Index] = 1;
        }
        map[0] = 0;
        b.EnsureStackCapacity(needed + 1);
        for (int n = 1; n < map.Length; n++)
        {
            if (map[n] == 0) continue;
            var node = new StackId(n);
            map[n] = b.AppendStackNode(new StackId(map[source.StackParent(node).Index]), source.StackLocation(node)).Index;
        }
    }
}
