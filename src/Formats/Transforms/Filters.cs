using System.Text.RegularExpressions;

namespace FlameKit.Transforms;

/// <summary>The result of a filter: the new profile and whether the filter's expression matched anything.</summary>
/// <param name="Profile">The filtered profile (a new instance; the input is left alone).</param>
/// <param name="Matched">
/// Whether the expression matched at least one location (or, for sample filters, one sample). pprof warns
/// "<c>Focus expression matched no samples</c>" when this is false.
/// </param>
public readonly record struct TransformResult(Profile Profile, bool Matched);

public static partial class ProfileTransforms
{
    // ---------------------------------------------------------------- name filters (pprof FilterSamplesByName)

    /// <summary>
    /// pprof <c>-focus</c>: keeps only samples with at least one location matching <paramref name="focus"/>.
    /// A location matches when the expression matches (unanchored) the name or file name of the function of
    /// any of its lines, or the file of its mapping.
    /// </summary>
    /// <param name="p">The profile.</param>
    /// <param name="focus">The expression.</param>
    /// <returns>The filtered profile; <see cref="TransformResult.Matched"/> is whether any location matched.</returns>
    public static TransformResult Focus(Profile p, Regex focus) => FocusIgnore(p, focus, null);

    /// <summary>pprof <c>-ignore</c>: drops samples with any location matching <paramref name="ignore"/> (matching as <see cref="Focus"/>).</summary>
    /// <param name="p">The profile.</param>
    /// <param name="ignore">The expression.</param>
    /// <returns>The filtered profile; <see cref="TransformResult.Matched"/> is whether any location matched.</returns>
    public static TransformResult Ignore(Profile p, Regex ignore) => FocusIgnore(p, null, ignore);

    /// <summary>
    /// pprof <c>-hide</c>: removes from every location the lines whose function matches <paramref name="hide"/>;
    /// a location left without lines (or whose mapping file matches) disappears from the stacks, and samples
    /// left with no locations are dropped.
    /// </summary>
    /// <param name="p">The profile.</param>
    /// <param name="hide">The expression.</param>
    /// <returns>The filtered profile; <see cref="TransformResult.Matched"/> is whether any location matched.</returns>
    public static TransformResult Hide(Profile p, Regex hide)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(hide);
        var m = new NameMatcher(p, hide);
        var newLines = new Line[]?[p.Locations.Length];
        bool matched = false;
        for (int i = 0; i < newLines.Length; i++)
        {
            if (!m.Location(i)) continue;
            matched = true;
            var loc = p.Locations[i];
            if (m.Mapping(loc.Mapping)) { newLines[i] = []; continue; }
            var kept = new List<Line>();
            foreach (var ln in loc.Lines) if (!m.Function(ln.Function)) kept.Add(ln);
            newLines[i] = kept.ToArray();
        }
        return new(Rebuild(p, newLines, null), matched);
    }

    /// <summary>
    /// pprof <c>-show</c>: keeps in every location only the lines whose function matches <paramref name="show"/>
    /// (all lines when the mapping file matches); other locations disappear from the stacks, and samples left
    /// with no locations are dropped.
    /// </summary>
    /// <param name="p">The profile.</param>
    /// <param name="show">The expression.</param>
    /// <returns>The filtered profile; <see cref="TransformResult.Matched"/> is whether any location kept a line.</returns>
    public static TransformResult Show(Profile p, Regex show)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(show);
        var m = new NameMatcher(p, show);
        var newLines = new Line[]?[p.Locations.Length];
        bool matched = false;
        for (int i = 0; i < newLines.Length; i++)
        {
            var loc = p.Locations[i];
            if (m.Mapping(loc.Mapping)) { if (loc.Lines.Length > 0) matched = true; else newLines[i] = []; continue; }
            var kept = new List<Line>();
            foreach (var ln in loc.Lines) if (m.Function(ln.Function)) kept.Add(ln);
            if (kept.Count > 0) matched = true;
            if (kept.Count != loc.Lines.Length) newLines[i] = kept.ToArray();
        }
        return new(Rebuild(p, newLines, null), matched);
    }

    /// <summary>
    /// pprof <c>-show_from</c>: in each stack, drops every frame above (callers of) the root-most location
    /// matching <paramref name="showFrom"/>; samples without a match are dropped. In a matching location the
    /// lines inlined around the last matching line are cut so that it becomes the location's outermost line.
    /// </summary>
    /// <param name="p">The profile.</param>
    /// <param name="showFrom">The expression.</param>
    /// <returns>The filtered profile; <see cref="TransformResult.Matched"/> is whether any location matched.</returns>
    public static TransformResult ShowFrom(Profile p, Regex showFrom)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(showFrom);
        var m = new NameMatcher(p, showFrom);
        var newLines = new Line[]?[p.Locations.Length];
        var hit = new bool[p.Locations.Length];
        bool matched = false;
        for (int i = 0; i < hit.Length; i++)
        {
            var loc = p.Locations[i];
            if (m.Mapping(loc.Mapping)) { hit[i] = matched = true; continue; }
            var lines = loc.Lines;
            for (int j = lines.Length - 1; j >= 0; j--)
            {
                if (!m.Function(lines[j].Function)) continue;
                hit[i] = matched = true;
                if (j != lines.Length - 1) newLines[i] = lines[..(j + 1)].ToArray();
                break;
            }
        }
        return new(Rebuild(p, newLines, leafFirst =>
        {
            for (int j = leafFirst.Length - 1; j >= 0; j--)
                if (hit[leafFirst[j].Index]) return (0, j + 1);
            return null;
        }), matched);
    }

    /// <summary>
    /// pprof <c>-prune_from</c>: in each stack, drops every frame below (callees of) the leaf-most location
    /// whose function (simplified as for drop_frames: no argument list) matches <paramref name="pruneFrom"/>;
    /// the matching location loses the lines inlined into the matching line.
    /// </summary>
    /// <param name="p">The profile.</param>
    /// <param name="pruneFrom">The expression (unanchored, as pprof's flag).</param>
    /// <returns>The pruned profile; <see cref="TransformResult.Matched"/> is whether any location matched.</returns>
    public static TransformResult PruneFrom(Profile p, Regex pruneFrom)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(pruneFrom);
        var fnMatch = new sbyte[p.Functions.Length];
        var newLines = new Line[]?[p.Locations.Length];
        var hit = new bool[p.Locations.Length];
        bool matched = false;
        for (int i = 0; i < hit.Length; i++)
        {
            var lines = p.Locations[i].Lines;
            for (int j = 0; j < lines.Length; j++)
            {
                int fi = lines[j].Function.Index;
                if (fnMatch[fi] == 0)
                {
                    string name = p.Functions[fi].Name;
                    fnMatch[fi] = (sbyte)(name.Length > 0 && pruneFrom.IsMatch(Simplify(name)) ? 1 : -1);
                }
                if (fnMatch[fi] < 0) continue;
                hit[i] = matched = true;
                if (j > 0) newLines[i] = lines[j..].ToArray();
                break;
            }
        }
        return new(Rebuild(p, newLines, leafFirst =>
        {
            for (int j = 0; j < leafFirst.Length; j++)
                if (hit[leafFirst[j].Index]) return (j, leafFirst.Length);
            return (0, leafFirst.Length);
        }), matched);
    }

    private static TransformResult FocusIgnore(Profile p, Regex? focus, Regex? ignore)
    {
        ArgumentNullException.ThrowIfNull(p);
        // Per location: 1 focused, -1 ignored, 0 neither (pprof's focusOrIgnore map).
        var state = new sbyte[p.Locations.Length];
        var fm = focus is null ? null : new NameMatcher(p, focus);
        var im = ignore is null ? null : new NameMatcher(p, ignore);
        bool matched = false;
        for (int i = 0; i < state.Length; i++)
        {
            if (im is not null && im.Location(i)) { state[i] = -1; matched = true; }
            else if (fm is null || fm.Location(i)) { state[i] = 1; if (fm is not null) matched = true; }
        }
        return new(Rebuild(p, null, leafFirst =>
        {
            bool f = false;
            foreach (var l in leafFirst)
            {
                int s = state[l.Index];
                if (s < 0) return null;
                if (s > 0) f = true;
            }
            return f ? (0, leafFirst.Length) : null;
        }), matched);
    }

    // ---------------------------------------------------------------- sample filters

    /// <summary>
    /// pprof <c>-tagfocus</c>: keeps the samples matched by <paramref name="filter"/>.
    /// </summary>
    /// <param name="p">The profile.</param>
    /// <param name="filter">The label filter.</param>
    /// <returns>The filtered profile; <see cref="TransformResult.Matched"/> is whether any sample matched.</returns>
    public static TransformResult TagFocus(Profile p, TagFilter filter) => TagFilterCore(p, filter, keepMatching: true);

    /// <summary>pprof <c>-tagignore</c>: drops the samples matched by <paramref name="filter"/>.</summary>
    /// <param name="p">The profile.</param>
    /// <param name="filter">The label filter.</param>
    /// <returns>The filtered profile; <see cref="TransformResult.Matched"/> is whether any sample matched.</returns>
    public static TransformResult TagIgnore(Profile p, TagFilter filter) => TagFilterCore(p, filter, keepMatching: false);

    private static TransformResult TagFilterCore(Profile p, TagFilter filter, bool keepMatching)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(filter);
        var cache = new sbyte[p.LabelSetCount];
        var units = filter.IsRange ? TagFilter.NumLabelUnits(p) : null;
        bool matched = false;
        var result = ProfileCopier.Copy(p, null, keepSample: i =>
        {
            var ls = p.SampleLabels(i);
            ref sbyte c = ref cache[ls.Index];
            if (c == 0) c = (sbyte)(filter.Matches(p.Labels(ls), units) ? 1 : -1);
            if (c > 0) matched = true;
            return (c > 0) == keepMatching;
        });
        return new(result, matched);
    }

    /// <summary>Keeps the samples of one thread, chosen by name or by numeric id.</summary>
    /// <param name="p">The profile.</param>
    /// <param name="nameOrId">A thread name (exact) or id.</param>
    /// <returns>The filtered profile; <see cref="TransformResult.Matched"/> is whether any thread matched.</returns>
    public static TransformResult SelectThread(Profile p, string nameOrId)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(nameOrId);
        bool isId = long.TryParse(nameOrId, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out long id);
        var want = new bool[p.Threads.Count];
        bool matched = false;
        for (int t = 0; t < want.Length; t++)
            if (p.Threads[t].Name == nameOrId || (isId && p.Threads[t].Id == id)) want[t] = matched = true;
        var result = ProfileCopier.Copy(p, null, keepSample: i =>
        {
            var t = p.SampleThread(i);
            return !t.IsNone && want[t.Index];
        });
        return new(result, matched);
    }

    /// <summary>Keeps the samples whose timestamp lies in [<paramref name="startNanos"/>, <paramref name="endNanos"/>).</summary>
    /// <param name="p">A profile with timestamps (<see cref="Profile.HasTimestamps"/>).</param>
    /// <param name="startNanos">Inclusive start, on the profile's sample clock.</param>
    /// <param name="endNanos">Exclusive end, on the profile's sample clock.</param>
    /// <returns>The filtered profile; <see cref="TransformResult.Matched"/> is whether any sample was kept.</returns>
    /// <exception cref="ArgumentException">The profile has no timestamps.</exception>
    public static TransformResult TimeRange(Profile p, long startNanos, long endNanos)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (!p.HasTimestamps) throw new ArgumentException("the profile has no sample timestamps, so it cannot be cut by time", nameof(p));
        bool matched = false;
        var result = ProfileCopier.Copy(p, null, keepSample: i =>
        {
            long t = p.SampleTimestamp(i);
            bool keep = t >= startNanos && t < endNanos;
            matched |= keep;
            return keep;
        });
        return new(result, matched);
    }

    // ---------------------------------------------------------------- stack shape

    /// <summary>
    /// Turns every stack upside down: the leaf becomes the root (an "icicle"/caller view). Locations with
    /// inlined lines get their lines reversed too, so frame order stays consistent.
    /// </summary>
    /// <param name="p">The profile.</param>
    /// <returns>The inverted profile.</returns>
    public static Profile Invert(Profile p)
    {
        ArgumentNullException.ThrowIfNull(p);
        // The inverted trie shares little beyond its first levels (a 1M-sample pprof: 19.3M nodes from about
        // as many pushes), so nearly every push makes a node under a node made just before: with the first-child
        // index that is an array write instead of a probe into a hash table of hundreds of megabytes (user CPU
        // 2.8 s -> 1.2 s there). The trie cannot have more nodes than the distinct sample stacks' depths add up
        // to; reserving that once avoids regrowing (and page-faulting in) its columns several times over.
        long bound = 1;
        var seen = new bool[p.StackCount];
        for (int i = 0; i < p.SampleCount; i++)
        {
            var s = p.SampleStack(i);
            if (seen[s.Index]) continue;
            seen[s.Index] = true;
            bound += p.StackDepth(s);
        }
        seen = null;
        return ProfileCopier.CopyMapped(p, InvertStacks, b =>
        {
            b.FirstChildIndex = true;
            b.EnsureStackCapacity((int)Math.Min(bound, int.MaxValue));
        }, null);
    }

    /// <summary>
    /// Maps each distinct sample stack to its inverted stack, interning them in order of first use by a sample
    /// (as a per-stack rewrite would). Walking up the source trie yields the locations leaf first, which is the
    /// inverted stack's root-first order, so each location is pushed as it is reached, with no buffer.
    /// </summary>
    private static void InvertStacks(Profile src, ProfileBuilder b, bool[]? kept, int[] map)
    {
        // Locations with inlined lines get their lines reversed too, so frame order stays consistent; the reversed
        // copies are added on first use (-1: not yet), as before, so the location table is the same.
        var locMap = new int[src.Locations.Length];
        for (int l = 0; l < locMap.Length; l++) locMap[l] = src.Locations[l].Lines.Length <= 1 ? l : -1;
        // map entries start at 0; the empty stack maps to itself and any other stack to a node other than 0.
        for (int i = 0; i < src.SampleCount; i++)
        {
            if (kept is not null && !kept[i]) continue;
            var s = src.SampleStack(i);
            if (s.IsEmpty || map[s.Index] != 0) continue;
            var cur = StackId.Empty;
            for (var n = s; !n.IsEmpty; n = src.StackParent(n))
            {
                int l = src.StackLocation(n).Index;
                int nl = locMap[l];
                if (nl < 0)
                {
                    var loc = src.Locations[l];
                    var r = loc.Lines.ToArray();
                    Array.Reverse(r);
                    nl = locMap[l] = b.AddLocation(loc.Address, loc.Mapping, r, loc.IsFolded).Index;
                }
                cur = b.Push(cur, new LocationId(nl));
            }
            map[s.Index] = cur.Index;
        }
    }

    /// <summary>Keeps at most <paramref name="depth"/> locations of each stack, counted from the root.</summary>
    /// <param name="p">The profile.</param>
    /// <param name="depth">Maximum stack depth (at least 1).</param>
    /// <returns>The truncated profile.</returns>
    public static Profile MaxDepth(Profile p, int depth)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, 1);
        return Rebuild(p, null, leafFirst => (Math.Max(0, leafFirst.Length - depth), leafFirst.Length));
    }

    /// <summary>
    /// Removes <paramref name="prefix"/> from the start of function file names (and mapping files), as
    /// pprof's <c>-trim_path</c>; names are otherwise unchanged.
    /// </summary>
    /// <param name="p">The profile.</param>
    /// <param name="prefix">The path prefix, e.g. <c>/home/me/src/</c>.</param>
    /// <returns>The profile with shorter paths.</returns>
    public static Profile TrimPath(Profile p, string prefix)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        string Trim(string f) => f.StartsWith(prefix, StringComparison.Ordinal) ? f[prefix.Length..] : f;
        var funcMap = new int[p.Functions.Length];
        Array.Fill(funcMap, -1);
        return RewriteLocations(p, (b, loc) =>
        {
            var lines = loc.Lines.ToArray();
            for (int k = 0; k < lines.Length; k++)
            {
                int fi = lines[k].Function.Index;
                ref int nf = ref funcMap[fi];
                if (nf < 0)
                {
                    var f = p.Functions[fi];
                    nf = b.AddFunction(f.Name, f.SystemName, Trim(f.File), f.StartLine).Index;
                }
                lines[k] = lines[k] with { Function = new FunctionId(nf) };
            }
            return b.AddLocation(loc.Address, loc.Mapping, lines, loc.IsFolded);
        });
    }

    // ---------------------------------------------------------------- shared machinery

    /// <summary>Which part of a leaf-first stack to keep: [Start, End), or null to drop the sample.</summary>
    private delegate (int Start, int End)? StackRange(ReadOnlySpan<LocationId> leafFirst);

    /// <summary>
    /// Copies <paramref name="p"/>, replacing the lines of some locations (<paramref name="newLines"/>: null
    /// entry = unchanged, empty = the location is removed from stacks) and cutting each stack to a range.
    /// Samples whose stack becomes empty because locations were removed are dropped, as pprof does.
    /// </summary>
    private static Profile Rebuild(Profile p, Line[]?[]? newLines, StackRange? range)
    {
        var locMap = new int[p.Locations.Length];
        if (newLines is null) for (int i = 0; i < locMap.Length; i++) locMap[i] = i;
        else Array.Fill(locMap, -2);
        return ProfileCopier.Copy(p, (src, b, stack) =>
        {
            int depth = src.StackDepth(stack);
            Span<LocationId> buf = depth <= 512 ? stackalloc LocationId[depth] : new LocationId[depth];
            src.CopyStackLeafFirst(stack, buf);
            int start = 0, end = depth;
            if (range is not null)
            {
                var r = range(buf);
                if (r is null) return ProfileCopier.DropSample;
                (start, end) = r.Value;
            }
            var s = StackId.Empty;
            bool removed = false;
            for (int j = end - 1; j >= start; j--)
            {
                int nl = Map(src, b, buf[j].Index);
                if (nl < 0) { removed = true; continue; }
                s = b.Push(s, new LocationId(nl));
            }
            return removed && s.IsEmpty ? ProfileCopier.DropSample : s;
        });

        int Map(Profile src, ProfileBuilder b, int l)
        {
            ref int nl = ref locMap[l];
            if (nl == -2)
            {
                var lines = newLines![l];
                if (lines is null) nl = l;
                else if (lines.Length == 0) nl = -1;
                else
                {
                    var loc = src.Locations[l];
                    nl = b.AddLocation(loc.Address, loc.Mapping, lines, loc.IsFolded).Index;
                }
            }
            return nl;
        }
    }

    /// <summary>pprof's location name matching: function name or file of any line, or the mapping's file.</summary>
    internal sealed class NameMatcher(Profile p, Regex re)
    {
        private readonly sbyte[] _fn = new sbyte[p.Functions.Length];
        private readonly sbyte[] _map = new sbyte[p.Mappings.Length];

        public bool Function(FunctionId id)
        {
            ref sbyte c = ref _fn[id.Index];
            if (c == 0)
            {
                var f = p.Functions[id.Index];
                c = (sbyte)(re.IsMatch(f.Name) || re.IsMatch(f.File) ? 1 : -1);
            }
            return c > 0;
        }

        public bool Mapping(MappingId id)
        {
            if (id.IsNone) return false;
            ref sbyte c = ref _map[id.Index];
            if (c == 0) c = (sbyte)(re.IsMatch(p.Mappings[id.Index].File) ? 1 : -1);
            return c > 0;
        }

        public bool Location(int index)
            => Location(p.Locations[index]);

        public bool Location(in Location loc)
        {
            foreach (var ln in loc.Lines) if (Function(ln.Function)) return true;
            return Mapping(loc.Mapping);
        }
    }
}
