using System.Text.RegularExpressions;

namespace FlameKit.Transforms;

/// <summary>
/// pprof's name and tag filters (focus, ignore, hide, show, show_from, tagfocus, tagignore, prune_from) in one
/// copy instead of one per filter. Equivalent to applying <see cref="ProfileTransforms.Focus"/>,
/// <see cref="ProfileTransforms.Ignore"/>, ... one after another (tests check this), but each location is
/// rewritten once and each stack-trie node is visited once, so a million deep stacks cost one pass.
/// </summary>
/// <remarks>
/// Location-level effects compose in pprof's order on each location's lines (hide, show, show_from's trim,
/// prune_from's trim). Stack-level effects are computed per trie node from its parent: whether a focused or
/// ignored location is on the path (from the original lines, as pprof decides focus before hiding), and the
/// rewritten stack with hidden locations removed and callers above the root-most show_from match cut off.
/// prune_from's leaf-most match is tracked per node of the new trie.
/// </remarks>
internal static class FusedFilters
{
    public static Profile Apply(Profile p, Regex? focus, Regex? ignore, Regex? hide, Regex? show, Regex? showFrom,
        TagFilter? tagFocus, TagFilter? tagIgnore, Regex? pruneFrom, Action<string> warn)
    {
        int nloc = p.Locations.Length;
        var fm = focus is null ? null : new ProfileTransforms.NameMatcher(p, focus);
        var im = ignore is null ? null : new ProfileTransforms.NameMatcher(p, ignore);
        var hm = hide is null ? null : new ProfileTransforms.NameMatcher(p, hide);
        var sm = show is null ? null : new ProfileTransforms.NameMatcher(p, show);
        var sfm = showFrom is null ? null : new ProfileTransforms.NameMatcher(p, showFrom);
        bool fMatched = false, iMatched = false, hMatched = false, sMatched = false, sfMatched = false;

        var focusState = new sbyte[nloc];       // 1 focused, -1 ignored (pprof's focusOrIgnore)
        var finalLines = new Line[]?[nloc];     // null: unchanged; empty: hidden
        var showFromHit = new bool[nloc];
        var pruneHit = new bool[nloc];
        var pruneFn = pruneFrom is null ? null : new sbyte[p.Functions.Length];
        for (int i = 0; i < nloc; i++)
        {
            var loc = p.Locations[i];
            if (im is not null && im.Location(loc)) { focusState[i] = -1; iMatched = true; }
            else if (fm is null || fm.Location(loc)) { focusState[i] = 1; if (fm is not null) fMatched = true; }

            Line[] lines = loc.Lines.ToArray();
            bool changed = false, hidden = false;
            if (hm is not null && hm.Location(loc))
            {
                hMatched = true;
                if (hm.Mapping(loc.Mapping)) lines = [];
                else lines = Array.FindAll(lines, ln => !hm.Function(ln.Function));
                changed = true;
                if (lines.Length == 0) hidden = true;
            }
            if (sm is not null)
            {
                if (!sm.Mapping(loc.Mapping)) { var kept = Array.FindAll(lines, ln => sm.Function(ln.Function)); changed |= kept.Length != lines.Length; lines = kept; }
                if (lines.Length == 0) hidden = true; else sMatched = true;
            }
            if (sfm is not null)
            {
                if (sfm.Mapping(loc.Mapping)) showFromHit[i] = true;
                else
                {
                    for (int j = lines.Length - 1; j >= 0; j--)
                    {
                        if (!sfm.Function(lines[j].Function)) continue;
                        showFromHit[i] = true;
                        if (j != lines.Length - 1) { lines = lines[..(j + 1)]; changed = true; }
                        break;
                    }
                }
                sfMatched |= showFromHit[i];
            }
            if (pruneFn is not null && !hidden)
            {
                for (int j = 0; j < lines.Length; j++)
                {
                    int fi = lines[j].Function.Index;
                    if (pruneFn[fi] == 0)
                    {
                        string name = p.Functions[fi].Name;
                        pruneFn[fi] = (sbyte)(name.Length > 0 && pruneFrom!.IsMatch(ProfileTransforms.Simplify(name)) ? 1 : -1);
                    }
                    if (pruneFn[fi] < 0) continue;
                    pruneHit[i] = true;
                    if (j > 0) { lines = lines[j..]; changed = true; }
                    break;
                }
            }
            if (hidden) finalLines[i] = [];
            else if (changed) finalLines[i] = lines;
        }
        if (focus is not null && !fMatched) warn("Focus expression matched no samples");
        if (ignore is not null && !iMatched) warn("Ignore expression matched no samples");
        if (hide is not null && !hMatched) warn("Hide expression matched no samples");
        if (show is not null && !sMatched) warn("Show expression matched no samples");
        if (showFrom is not null && !sfMatched) warn("ShowFrom expression matched no samples");

        // One byte per source trie node (a parent always has a smaller index than its children) holds every
        // per-node fact, instead of an array each: on a 12.8M-node trie each array is 13 MB of fresh memory, and
        // faulting it in was a large and very variable part of the chain's time on a busy machine.
        const byte FocusedOnPath = 1, IgnoredOnPath = 2, Needed = 4, ShowFromHitOnPath = 8;
        int nodes = p.StackCount;
        bool focusIgnore = focus is not null || ignore is not null;
        bool anyRewrite = hide is not null || show is not null || showFrom is not null || pruneFrom is not null;
        byte[]? flags = focusIgnore || anyRewrite ? new byte[nodes] : null;
        if (focusIgnore)
        {
            for (int n = 1; n < nodes; n++)
            {
                var s = new StackId(n);
                int st = focusState[p.StackLocation(s).Index];
                flags![n] = (byte)((flags[p.StackParent(s).Index] & (FocusedOnPath | IgnoredOnPath)) | (st > 0 ? FocusedOnPath : st < 0 ? IgnoredOnPath : 0));
            }
        }

        bool tfMatched = false, tiMatched = false;
        var tagCache = tagFocus is null && tagIgnore is null ? null : new sbyte[p.LabelSetCount];
        var numLabelUnits = tagFocus is { IsRange: true } || tagIgnore is { IsRange: true } ? TagFilter.NumLabelUnits(p) : null;
        var keptSample = new bool[p.SampleCount];
        int neededNodes = 0;
        for (int i = 0; i < p.SampleCount; i++)
        {
            if (!Keep(i)) continue;
            keptSample[i] = true;
            if (anyRewrite) flags![p.SampleStack(i).Index] |= Needed;
        }
        if (anyRewrite)
        {
            // Ancestors of kept samples are needed too; children have larger indices than parents.
            for (int n = nodes - 1; n > 0; n--)
            {
                if ((flags![n] & Needed) == 0) continue;
                neededNodes++;
                flags[p.StackParent(new StackId(n)).Index] |= Needed;
            }
        }
        // Without a rewrite the kept trie is a sub-trie of the source, copied without interning. With one, each needed
        // node makes at most one new node, and the new trie is built parents first, so a new node is mostly the first
        // child of a node made just before it: the first-child index stores that with an array write.
        var result = ProfileCopier.CopyMapped(p, anyRewrite ? MapStacks : null,
            anyRewrite ? b => { b.FirstChildIndex = true; b.EnsureStackCapacity(neededNodes + 1); } : null, keptSample);
        if (tagFocus is not null && !tfMatched) warn("TagFocus expression matched no samples");
        if (tagIgnore is not null && !tiMatched) warn("TagIgnore expression matched no samples");
        return result;

        bool Keep(int i)
        {
            if (focusIgnore)
            {
                byte f = flags![p.SampleStack(i).Index];
                if ((f & IgnoredOnPath) != 0 || (f & FocusedOnPath) == 0) return false;
            }
            if (tagCache is not null)
            {
                var ls = p.SampleLabels(i);
                ref sbyte c = ref tagCache[ls.Index];
                if (c == 0)
                {
                    var labels = p.Labels(ls);
                    bool focused = tagFocus is null || tagFocus.Matches(labels, numLabelUnits);
                    bool ignored = tagIgnore is not null && tagIgnore.Matches(labels, numLabelUnits);
                    c = (sbyte)((focused ? 1 : 0) | (ignored ? 2 : 0) | 4);
                }
                bool fo = (c & 1) != 0, ig = (c & 2) != 0;
                tfMatched |= fo;
                tiMatched |= ig;
                if (!fo || ig) return false;
            }
            return true;
        }

        // One forward pass over the needed nodes, in index order (parents first): sequential memory access
        // instead of a random walk up from every sample. map[node] is first the node's new node before
        // prune_from (0 for none), then, in a second pass, what its samples get.
        void MapStacks(Profile src, ProfileBuilder b, bool[]? kept, int[] map)
        {
            var fl = flags!;
            // Per new node: nearest prune-hit ancestor-or-self (0 for none); at most one new node per needed node.
            int[]? pruneNearest = pruneFrom is null ? null : new int[neededNodes + 1];
            var newLoc = new int[nloc];
            Array.Fill(newLoc, -1);
            if (showFrom is null) fl[0] |= ShowFromHitOnPath;
            map[0] = 0;
            for (int node = 1; node < nodes; node++)
            {
                if ((fl[node] & Needed) == 0) continue;
                var nodeId = new StackId(node);
                int parent = src.StackParent(nodeId).Index;
                int l = src.StackLocation(nodeId).Index;
                var lines = finalLines[l];
                if (lines is { Length: 0 })
                {
                    map[node] = map[parent];
                    fl[node] |= (byte)(fl[parent] & ShowFromHitOnPath);
                    continue;
                }
                if ((fl[parent] & ShowFromHitOnPath) != 0) { map[node] = Push(b, map[parent], l, pruneNearest); fl[node] |= ShowFromHitOnPath; }
                else if (showFromHit[l]) { map[node] = Push(b, 0, l, pruneNearest); fl[node] |= ShowFromHitOnPath; }
                else map[node] = 0;
            }
            for (int node = 0; node < nodes; node++)
            {
                if (node != 0 && (fl[node] & Needed) == 0) continue;
                int m = map[node];
                bool hit = (fl[node] & ShowFromHitOnPath) != 0;
                if (!hit || m == 0) map[node] = node == 0 && hit ? 0 : ProfileCopier.DropSample.Index;
                else if (pruneNearest is not null && pruneNearest[m] > 0) map[node] = pruneNearest[m];
            }

            int Push(ProfileBuilder b, int parent, int l, int[]? pruneNearest)
            {
                ref int nl = ref newLoc[l];
                if (nl < 0)
                {
                    var lines = finalLines[l];
                    if (lines is null) nl = l;
                    else
                    {
                        var loc = p.Locations[l];
                        nl = b.AddLocation(loc.Address, loc.Mapping, lines, loc.IsFolded).Index;
                    }
                }
                int id = b.Push(new StackId(parent), new LocationId(nl)).Index;
                if (pruneNearest is not null && pruneNearest[id] == 0)
                    pruneNearest[id] = pruneHit[l] ? id : (parent == 0 ? 0 : pruneNearest[parent]);
                return id;
            }
        }
    }
}
