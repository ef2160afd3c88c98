namespace FlameKit.Transforms;

public static partial class ProfileTransforms
{
    /// <summary>
    /// Merges profiles into one, as pprof's <c>Merge</c>: tables are unified, and samples with the same
    /// stack, labels and thread are combined by adding their values (samples whose values are all zero are
    /// dropped). Profiles with timestamps keep every sample, in input order.
    /// </summary>
    /// <param name="profiles">At least one profile; all must have the same sample types (type and unit, in order).</param>
    /// <returns>The merged profile.</returns>
    /// <exception cref="ArgumentException">No profiles, or their sample types differ.</exception>
    public static Profile Merge(IEnumerable<Profile> profiles)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        return MergeCore(profiles.Select(p => (p, 1.0)).ToList());
    }

    /// <summary>
    /// pprof <c>-base</c>: subtracts <paramref name="baseProfile"/> from <paramref name="p"/> by merging it
    /// negated, so stacks that shrank get negative values.
    /// </summary>
    /// <param name="p">The newer profile.</param>
    /// <param name="baseProfile">The base to subtract; same sample types as <paramref name="p"/>.</param>
    /// <param name="normalize">Scales the base first so that its total (of the default sample type) equals <paramref name="p"/>'s.</param>
    /// <returns>The difference.</returns>
    /// <exception cref="ArgumentException">The sample types differ.</exception>
    public static Profile Base(Profile p, Profile baseProfile, bool normalize = false)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(baseProfile);
        double scale = -1;
        if (normalize)
        {
            int t = p.DefaultSampleTypeIndex;
            long bt = baseProfile.Total(t);
            if (bt != 0) scale = -(double)p.Total(t) / bt;
        }
        return MergeCore([(p, 1.0), (baseProfile, scale)]);
    }

    /// <summary>Multiplies every sample value by <paramref name="factor"/> (rounded to the nearest integer).</summary>
    /// <param name="p">The profile.</param>
    /// <param name="factor">The factor, e.g. -1 to negate.</param>
    /// <returns>The scaled profile.</returns>
    public static Profile Scale(Profile p, double factor)
    {
        ArgumentNullException.ThrowIfNull(p);
        return MergeCore([(p, factor)]);
    }

    /// <summary>
    /// A differential profile for flame graphs: two sample types, <c>before</c> (the base's values of
    /// <paramref name="baseSampleType"/>) and <c>after</c> (<paramref name="newer"/>'s values of
    /// <paramref name="newSampleType"/>), the form the renderer colours red (grew) and blue (shrank).
    /// </summary>
    /// <param name="baseProfile">The older profile.</param>
    /// <param name="newer">The newer profile.</param>
    /// <param name="baseSampleType">Sample type index in <paramref name="baseProfile"/>.</param>
    /// <param name="newSampleType">Sample type index in <paramref name="newer"/>.</param>
    /// <param name="normalize">Scale the base so its total equals the newer profile's.</param>
    /// <returns>The two-column profile.</returns>
    public static Profile Diff(Profile baseProfile, Profile newer, int baseSampleType, int newSampleType, bool normalize = false)
    {
        ArgumentNullException.ThrowIfNull(baseProfile);
        ArgumentNullException.ThrowIfNull(newer);
        var unit = newer.SampleTypes[newSampleType].Unit;
        double scale = 1;
        if (normalize && baseProfile.Total(baseSampleType) != 0) scale = (double)newer.Total(newSampleType) / baseProfile.Total(baseSampleType);
        SampleType[] types = [new("before", unit), new("after", unit)];
        return MergeCore([(baseProfile, scale), (newer, 1.0)], types, (input, src, dst) =>
        {
            dst[0] = input == 0 ? src[baseSampleType] : 0;
            dst[1] = input == 1 ? src[newSampleType] : 0;
        });
    }

    private delegate void Project(int input, ReadOnlySpan<long> source, Span<long> destination);

    private static Profile MergeCore(List<(Profile Profile, double Scale)> inputs, SampleType[]? types = null, Project? project = null)
    {
        if (inputs.Count == 0) throw new ArgumentException("nothing to merge: no profiles");
        var first = inputs[0].Profile;
        if (types is null)
        {
            foreach (var (q, _) in inputs.Skip(1))
            {
                if (!q.SampleTypes.SequenceEqual(first.SampleTypes))
                    throw new ArgumentException($"cannot merge profiles with different sample types: [{string.Join(" ", first.SampleTypes)}] and [{string.Join(" ", q.SampleTypes)}]");
            }
        }
        var b = new ProfileBuilder(types ?? first.SampleTypes);
        b.DefaultSampleType = types is null ? first.SampleTypes[first.DefaultSampleTypeIndex].Type : types[^1].Type;
        b.PeriodType = first.PeriodType;
        b.Name = first.Name;
        b.DropFrames = first.DropFrames;
        b.KeepFrames = first.KeepFrames;
        bool timestamps = inputs.Any(i => i.Profile.HasTimestamps);
        long time = 0, duration = 0, period = 0;
        int k = types?.Length ?? first.SampleTypes.Count;
        var projected = new long[k];
        int inputIndex = -1;
        var index = new Dictionary<(int Stack, int Labels, int Thread), int>();
        var keys = new List<(int Stack, int Labels, int Thread)>();
        var sums = new List<long>();
        Span<long> scaled = stackalloc long[k];

        foreach (var (q, factor) in inputs)
        {
            inputIndex++;
            if (q.TimeNanos != 0 && (time == 0 || q.TimeNanos < time)) time = q.TimeNanos;
            duration += q.DurationNanos;
            period = Math.Max(period, q.Period);
            foreach (var c in q.Comments) if (!b.Comments.Contains(c)) b.Comments.Add(c);

            var mapMap = new int[q.Mappings.Length];
            for (int i = 1; i < mapMap.Length; i++) mapMap[i] = b.AddMapping(q.Mappings[i]).Index;
            var fnMap = new int[q.Functions.Length];
            for (int i = 0; i < fnMap.Length; i++)
            {
                var f = q.Functions[i];
                fnMap[i] = b.AddFunction(f.Name, f.SystemName, f.File, f.StartLine).Index;
            }
            var locMap = new int[q.Locations.Length];
            for (int i = 0; i < locMap.Length; i++)
            {
                var loc = q.Locations[i];
                var lines = loc.Lines.ToArray();
                for (int j = 0; j < lines.Length; j++) lines[j] = lines[j] with { Function = new FunctionId(fnMap[lines[j].Function.Index]) };
                locMap[i] = b.AddLocation(loc.Address, new MappingId(mapMap[loc.Mapping.Index]), lines, loc.IsFolded).Index;
            }
            // Copied rather than SampleValues: a timeline's values are derived, not stored (see Profile.CopySampleValues).
            var raw = new long[q.SampleTypes.Count];
            var threadMap = new int[q.Threads.Count];
            for (int i = 0; i < threadMap.Length; i++) threadMap[i] = b.AddThread(q.Threads[i]).Index;
            var stackMap = new int[q.StackCount];
            Array.Fill(stackMap, -1);
            stackMap[0] = 0;
            var labelMap = new int[q.LabelSetCount];
            Array.Fill(labelMap, -1);
            labelMap[0] = 0;

            for (int i = 0; i < q.SampleCount; i++)
            {
                var s = q.SampleStack(i);
                ref int ns = ref stackMap[s.Index];
                if (ns < 0)
                {
                    int depth = q.StackDepth(s);
                    var buf = new LocationId[depth];
                    q.CopyStackRootFirst(s, buf);
                    var st = StackId.Empty;
                    foreach (var l in buf) st = b.Push(st, new LocationId(locMap[l.Index]));
                    ns = st.Index;
                }
                var ls = q.SampleLabels(i);
                ref int nl = ref labelMap[ls.Index];
                if (nl < 0)
                {
                    // Label sets are maps in pprof: the same labels in another order are the same sample key.
                    var sorted = q.Labels(ls).ToArray();
                    Array.Sort(sorted, static (x, y) =>
                    {
                        int c = string.CompareOrdinal(x.Key, y.Key);
                        if (c != 0) return c;
                        c = string.CompareOrdinal(x.Str, y.Str);
                        return c != 0 ? c : x.Num.CompareTo(y.Num);
                    });
                    nl = b.AddLabelSet(sorted).Index;
                }
                var th = q.SampleThread(i);
                var nth = th.IsNone ? ThreadIndex.None : new ThreadIndex(threadMap[th.Index]);
                q.CopySampleValues(i, raw);
                ReadOnlySpan<long> values = raw;
                if (project is not null) { project(inputIndex, values, projected); values = projected; }
                bool zero = true;
                for (int t = 0; t < k; t++)
                {
                    scaled[t] = factor == 1 ? values[t] : factor == -1 ? -values[t] : (long)Math.Round(values[t] * factor);
                    if (scaled[t] != 0) zero = false;
                }
                if (zero) continue;
                if (timestamps)
                {
                    if (q.HasTimestamps) b.AddSample(new StackId(ns), scaled, q.SampleTimestamp(i), nth, new LabelSetId(nl));
                    else b.AddSample(new StackId(ns), scaled, new LabelSetId(nl), nth);
                    continue;
                }
                var key = (ns, nl, nth.Index);
                if (!index.TryGetValue(key, out int slot))
                {
                    slot = keys.Count;
                    index.Add(key, slot);
                    keys.Add(key);
                    for (int t = 0; t < k; t++) sums.Add(0);
                }
                for (int t = 0; t < k; t++) sums[slot * k + t] += scaled[t];
            }
        }
        if (!timestamps)
        {
            var sumArr = sums.ToArray();
            for (int i = 0; i < keys.Count; i++)
            {
                var v = sumArr.AsSpan(i * k, k);
                if (!v.ContainsAnyExcept(0L)) continue;
                var (stack, labels, thread) = keys[i];
                b.AddSample(new StackId(stack), v, new LabelSetId(labels), thread < 0 ? ThreadIndex.None : new ThreadIndex(thread));
            }
        }
        b.TimeNanos = time;
        b.DurationNanos = duration;
        b.Period = period;
        return b.Build();
    }
}
