using System.Runtime.InteropServices;

namespace FlameKit.Rendering;

/// <summary>How sibling frames are ordered along the x axis.</summary>
public enum FrameOrder
{
    /// <summary>
    /// Alphabetical, as flamegraph.pl (which sorts whole folded lines bytewise): siblings are ordered by
    /// <c>name + ";"</c> compared ordinally, and a frame's self value comes before its children.
    /// </summary>
    /// <remarks>
    /// Residual difference: flamegraph.pl sorts whole lines, so a sibling whose name extends another's with a
    /// character below ';' (space, digits, '-', '.', ':' …; e.g. "run" and "run2") is placed between the
    /// shorter frame's self part and its children, splitting that frame in two. FlameKit keeps every
    /// frame merged by name (one rectangle per name under a parent) and puts "run" wholly before "run2".
    /// </remarks>
    Alphabetical,
    /// <summary>
    /// Sample order (by timestamp when the profile has timestamps): consecutive samples that share a stack
    /// prefix merge, nothing else does (a flame chart, as flamegraph.pl --flamechart).
    /// </summary>
    Time,
}

/// <summary>Options of <see cref="FlameGraphLayout.Compute"/>.</summary>
public sealed record LayoutOptions
{
    /// <summary>Sample type to lay out, by name or index; null for the profile's default. Default: null.</summary>
    public string? SampleType { get; init; }

    /// <summary>Order of sibling frames. Default: <see cref="FrameOrder.Alphabetical"/>.</summary>
    public FrameOrder Order { get; init; } = FrameOrder.Alphabetical;

    /// <summary>Reverse every stack first, so leaves become roots (flamegraph.pl --reverse). Default: false.</summary>
    public bool Reverse { get; init; }

    /// <summary>
    /// Frames whose width is below this fraction of the total are dropped together with their children.
    /// flamegraph.pl's 0.1 px at 1200 px wide is 0.1 / 1180. Default: 0 (keep everything).
    /// </summary>
    public double MinWidthFraction { get; init; }

    /// <summary>
    /// Differential layout: true forces it (the profile needs sample types "before" and "after"), false
    /// disables it, null enables it when both types exist. Widths then use "after" and deltas are
    /// after − before. Default: null.
    /// </summary>
    public bool? Differential { get; init; }

    /// <summary>How frames are told apart (function, function and line, …). Default: <see cref="FrameGranularity.Functions"/>.</summary>
    public FrameGranularity Granularity { get; init; } = FrameGranularity.Functions;
}

/// <summary>One laid-out frame, in value space (no pixels).</summary>
/// <param name="NameId">Index of the frame's name in <see cref="FlameGraphLayout.Names"/> (0 = "", the root).</param>
/// <param name="Depth">0 for the root ("all"), 1 for outermost frames.</param>
/// <param name="Start">Left edge, in stored value units from the left of the graph.</param>
/// <param name="Width">Inclusive value of the frame, in stored value units.</param>
/// <param name="Self">Value of samples ending in this frame.</param>
/// <param name="Parent">Index of the parent frame in <see cref="FlameGraphLayout.Frames"/>; -1 for the root.</param>
/// <param name="Delta">Differential only: after − before of the whole frame (including children); else 0.</param>
/// <param name="SelfDelta">
/// Differential only: after − before of samples ending in this frame; else 0. flamegraph.pl colours and labels
/// frames by this self delta (its delta is only added at each line's leaf frame), not by <paramref name="Delta"/>.
/// </param>
public readonly record struct FrameRect(int NameId, int Depth, long Start, long Width, long Self, int Parent, long Delta, long SelfDelta);

/// <summary>
/// A flame graph laid out in value space: flat frames with depth, start and width in stored value units.
/// Pure: no pixels, no colours; the SVG writer and other renderers map it to the screen.
/// </summary>
public sealed class FlameGraphLayout
{
    private readonly FrameRect[] _frames;
    private readonly string[] _names;

    private FlameGraphLayout(FrameRect[] frames, string[] names, long total, int maxDepth, bool differential, long maxDelta, int sampleTypeIndex, SampleType sampleType)
    {
        _frames = frames; _names = names; Total = total; MaxDepth = maxDepth; IsDifferential = differential;
        MaxDelta = maxDelta; SampleTypeIndex = sampleTypeIndex; SampleType = sampleType;
    }

    /// <summary>The frames, parents before children; frame 0 is the root ("all") when <see cref="Total"/> is not 0.</summary>
    public ReadOnlySpan<FrameRect> Frames => _frames;

    /// <summary>Frame names by <see cref="FrameRect.NameId"/>.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>Sum of the laid-out values (the root's width).</summary>
    public long Total { get; }

    /// <summary>Deepest depth among the kept frames (0 when only the root exists).</summary>
    public int MaxDepth { get; }

    /// <summary>True when widths are "after" values and frames carry deltas.</summary>
    public bool IsDifferential { get; }

    /// <summary>Differential only: the largest |after − before| of a single sample (flamegraph.pl's maxdelta, before its floor of 1).</summary>
    public long MaxDelta { get; }

    /// <summary>Index of the sample type laid out ("after" when differential).</summary>
    public int SampleTypeIndex { get; }

    /// <summary>The sample type laid out.</summary>
    public SampleType SampleType { get; }

    /// <summary>The name of a frame.</summary>
    /// <param name="frame">Index into <see cref="Frames"/>.</param>
    public string Name(int frame) => _names[_frames[frame].NameId];

    /// <summary>
    /// Compares two frame names the way flamegraph.pl's line sort orders them: <c>a + ";"</c> against
    /// <c>b + ";"</c>, ordinally. (flamegraph.pl compares UTF-8 bytes; ordinal UTF-16 order differs only
    /// between supplementary characters and U+E000–U+FFFF.)
    /// </summary>
    /// <param name="a">A name.</param>
    /// <param name="b">Another name.</param>
    public static int CompareFoldedOrder(string a, string b)
    {
        int n = Math.Min(a.Length, b.Length);
        int c = string.CompareOrdinal(a, 0, b, 0, n);
        if (c != 0) return c;
        if (a.Length == b.Length) return 0;
        return a.Length < b.Length ? ';' - b[n] : a[n] - ';';
    }

    /// <summary>Lays out <paramref name="profile"/>.</summary>
    /// <param name="profile">The profile.</param>
    /// <param name="options">Options; null for defaults.</param>
    /// <exception cref="ArgumentException">Unknown sample type, or differential forced without "before"/"after" types.</exception>
    public static FlameGraphLayout Compute(Profile profile, LayoutOptions? options = null)
    {
        options ??= new LayoutOptions();
        int before = FindType(profile, "before"), after = FindType(profile, "after");
        bool diff = options.Differential ?? (before >= 0 && after >= 0 && options.SampleType is null);
        if (diff && (before < 0 || after < 0))
            throw new ArgumentException("a differential flame graph needs sample types named \"before\" and \"after\"");
        int ti = diff ? after : profile.ResolveSampleType(options.SampleType);

        var tree = (options.Reverse || options.Granularity != FrameGranularity.Functions ? null : Tree.FromStacks(profile))
            ?? (UsePrunedBuild && !options.Reverse && !diff && options.Order == FrameOrder.Alphabetical && options.MinWidthFraction > 0
                ? Tree.BuildPruned(profile, ti, options.MinWidthFraction, options.Granularity)
                : null)
            ?? Tree.Build(profile, FrameTrie.Build(profile, new FrameTrieOptions { Granularity = options.Granularity }), options.Reverse);

        long maxDelta = 0;
        if (diff)
        {
            for (int i = 0; i < profile.SampleCount; i++)
                maxDelta = Math.Max(maxDelta, Math.Abs(profile.SampleValue(i, after) - profile.SampleValue(i, before)));
        }

        var frames = options.Order == FrameOrder.Time
            ? LayoutTime(profile, tree, ti, diff ? before : -1, options.MinWidthFraction, out long total)
            : LayoutAlphabetical(profile, tree, ti, diff ? before : -1, options.MinWidthFraction, out total);
        int maxDepth = 0;
        foreach (ref readonly var f in frames.AsSpan()) if (f.Depth > maxDepth) maxDepth = f.Depth;
        return new FlameGraphLayout(frames, tree.Names, total, maxDepth, diff, maxDelta, ti, profile.SampleTypes[ti]);
    }

    /// <summary>Tests switch the top-down pruned tree off to compare it with the full merge.</summary>
    internal static bool UsePrunedBuild = true;

    private static int FindType(Profile p, string name)
    {
        for (int i = 0; i < p.SampleTypes.Count; i++) if (p.SampleTypes[i].Type == name) return i;
        return -1;
    }

    /// <summary>A name trie (nodes topologically ordered: parents first) plus each stack's node.</summary>
    private sealed class Tree
    {
        public required int[] Parent;
        public required int[] NameId;
        public required string[] Names;
        public required Func<StackId, int> NodeOf;

        public int Count => Parent.Length;

        /// <summary>
        /// Fast path: when every location is one line and no two locations share a display name (folded
        /// input, for example), the profile's stack trie already is the display trie, so no merging is needed.
        /// </summary>
        public static Tree? FromStacks(Profile profile)
        {
            var locations = profile.Locations;
            var nameOfLoc = new int[locations.Length];
            var index = new Dictionary<string, int>(StringComparer.Ordinal) { [""] = 0 };
            var names = new List<string> { "" };
            for (int l = 0; l < locations.Length; l++)
            {
                var loc = locations[l];
                if (loc.Lines.Length != 1) return null;
                string name = FrameTrie.DisplayName(profile, loc, loc.Lines[0], FrameGranularity.Functions);
                if (!index.TryAdd(name, names.Count)) return null;
                nameOfLoc[l] = names.Count;
                names.Add(name);
            }
            int n = profile.StackCount;
            var parent = new int[n];
            var nameId = new int[n];
            parent[0] = -1;
            for (int s = 1; s < n; s++)
            {
                var sid = new StackId(s);
                parent[s] = profile.StackParent(sid).Index;
                nameId[s] = nameOfLoc[profile.StackLocation(sid).Index];
            }
            return new Tree { Parent = parent, NameId = nameId, Names = names.ToArray(), NodeOf = s => s.Index };
        }

        /// <summary>
        /// Builds only the part of the merged name tree that is wide enough to draw, top down from the
        /// profile's stack trie: under each kept frame, the stack nodes (and inlined lines) below it are
        /// grouped by name, and a group becomes a frame only when its total reaches the minimum width.
        /// Merging happens before pruning, as in flamegraph.pl, so narrow pieces of one function still add up.
        /// A profile with millions of stack nodes (a 1M-sample pprof) then costs time for the frames drawn,
        /// not for every node. A group too narrow to draw still becomes a (leaf) frame holding everything below
        /// it, so every drawn frame keeps the position and width of the full merge. Returns null when nothing would be pruned (no minimum width).
        /// </summary>
        public static Tree? BuildPruned(Profile profile, int ti, double minFraction, FrameGranularity granularity)
        {
            int n = profile.StackCount;
            var cum = new long[n];
            for (int i = 0; i < profile.SampleCount; i++) cum[profile.SampleStack(i).Index] += profile.SampleValue(i, ti);
            var stackParent = new int[n];
            for (int s = 1; s < n; s++) stackParent[s] = profile.StackParent(new StackId(s)).Index;
            for (int s = n - 1; s > 0; s--) cum[stackParent[s]] += cum[s];
            long total = cum[0];
            if (total <= 0) return null;
            double threshold = minFraction * total;

            // Children (CSR) of stack nodes with a non-zero total.
            var start = new int[n + 1];
            for (int s = 1; s < n; s++) if (cum[s] != 0) start[stackParent[s] + 1]++;
            for (int i = 0; i < n; i++) start[i + 1] += start[i];
            // Filled by advancing each parent's start, which leaves start[p] at p + 1's start; shifted back after.
            var kids = new int[start[n]];
            for (int s = 1; s < n; s++) if (cum[s] != 0) kids[start[stackParent[s]]++] = s;
            Array.Copy(start, 0, start, 1, n);
            start[0] = 0;

            // Display names of each location's lines, root first (inlined callers before callees).
            var names = new List<string> { "" };
            var nameIndex = new Dictionary<string, int>(StringComparer.Ordinal) { [""] = 0 };
            var locNames = new int[profile.Locations.Length][];
            int[] NamesOf(int loc)
            {
                var cached = locNames[loc];
                if (cached is not null) return cached;
                var location = profile.Locations[loc];
                var lines = location.Lines;
                int[] result = new int[Math.Max(1, lines.Length)];
                for (int i = 0; i < result.Length; i++)
                {
                    string name = lines.IsEmpty ? FrameTrie.UnsymbolizedName(profile, location)
                        : FrameTrie.DisplayName(profile, location, lines[lines.Length - 1 - i], granularity);
                    if (!nameIndex.TryGetValue(name, out int id)) { id = names.Count; names.Add(name); nameIndex.Add(name, id); }
                    result[i] = id;
                }
                locNames[loc] = result;
                return result;
            }
            int[] stackLoc = new int[n];
            for (int s = 1; s < n; s++) stackLoc[s] = profile.StackLocation(new StackId(s)).Index;

            var parent = new List<int> { -1 };
            var nameId = new List<int> { 0 };
            var deepest = new int[n];
            Array.Fill(deepest, -1);
            deepest[0] = 0;
            // Work list of display frames with their positions: (stack node, line index within its location).
            var work = new Stack<(int Node, List<(int Stack, int Line)> Positions)>();
            var rootPositions = new List<(int, int)>();
            for (int k = start[0]; k < start[1]; k++) rootPositions.Add((kids[k], 0));
            work.Push((0, rootPositions)); // root's "positions" are its children's first lines
            var groups = new Dictionary<int, (long Sum, List<(int Stack, int Line)> Positions)>();
            while (work.Count > 0)
            {
                var (node, positions) = work.Pop();
                groups.Clear();
                foreach (var (stack, line) in positions)
                {
                    int nm = NamesOf(stackLoc[stack])[line];
                    ref var g = ref CollectionsMarshal.GetValueRefOrAddDefault(groups, nm, out bool exists);
                    if (!exists) g = (0, new List<(int, int)>());
                    g.Sum += cum[stack];
                    g.Positions.Add((stack, line));
                }
                foreach (var (nm, g) in groups)
                {
                    int child = parent.Count;
                    parent.Add(node);
                    nameId.Add(nm);
                    if (g.Sum < threshold)
                    {
                        // Too narrow to draw, but it keeps its place (and its value) among its siblings, as
                        // flamegraph.pl leaves a gap where a pruned frame was; nothing below it is built.
                        foreach (var (stack, _) in g.Positions) deepest[stack] = child;
                        continue;
                    }
                    var next = new List<(int, int)>();
                    foreach (var (stack, line) in g.Positions)
                    {
                        deepest[stack] = child; // positions of one stack node are visited root to leaf
                        if (line + 1 < NamesOf(stackLoc[stack]).Length) next.Add((stack, line + 1));
                        else for (int k = start[stack]; k < start[stack + 1]; k++) next.Add((kids[k], 0));
                    }
                    if (next.Count > 0) work.Push((child, next));
                }
            }
            // Stacks whose own frames were pruned belong to their deepest kept ancestor (in place: parents come first).
            var nodeOfStack = deepest;
            for (int s = 1; s < n; s++) if (nodeOfStack[s] < 0) nodeOfStack[s] = nodeOfStack[stackParent[s]];
            return new Tree { Parent = parent.ToArray(), NameId = nameId.ToArray(), Names = names.ToArray(), NodeOf = s => nodeOfStack[s.Index] };
        }

        public static Tree Build(Profile profile, FrameTrie trie, bool reverse)
        {
            var names = new string[Math.Max(1, trie.Count)];
            int nameCount = 1;
            for (int n = 1; n < trie.Count; n++)
            {
                int id = trie.NameId(n);
                names[id] ??= trie.Name(n);
                if (id >= nameCount) nameCount = id + 1;
            }
            Array.Resize(ref names, nameCount);
            for (int i = 0; i < names.Length; i++) names[i] ??= "";

            if (!reverse)
            {
                var parent = new int[trie.Count];
                var nameId = new int[trie.Count];
                for (int n = 0; n < trie.Count; n++) { parent[n] = trie.Parent(n); nameId[n] = trie.NameId(n); }
                parent[0] = -1;
                return new Tree { Parent = parent, NameId = nameId, Names = names, NodeOf = trie.NodeOf };
            }

            // Reversed: walking from a stack's leaf to its root visits the reversed path root first.
            // Only the stacks samples end at are mapped, so no empty intermediate nodes appear.
            var rParent = new List<int> { -1 };
            var rName = new List<int> { 0 };
            var children = new Dictionary<long, int>(MixedLongComparer.Instance);
            var revOf = new int[trie.Count];
            Array.Fill(revOf, -1);
            revOf[0] = 0;
            var nodeOfStack = new int[profile.StackCount];
            for (int i = 0; i < profile.SampleCount; i++)
            {
                var s = profile.SampleStack(i);
                int node = trie.NodeOf(s);
                if (revOf[node] < 0)
                {
                    int cur = 0;
                    for (int n = node; n != 0; n = trie.Parent(n))
                    {
                        long key = ((long)cur << 32) | (uint)trie.NameId(n);
                        ref int slot = ref CollectionsMarshal.GetValueRefOrAddDefault(children, key, out bool exists);
                        if (!exists) { slot = rParent.Count; rParent.Add(cur); rName.Add(trie.NameId(n)); }
                        cur = slot;
                    }
                    revOf[node] = cur;
                }
                nodeOfStack[s.Index] = revOf[node];
            }
            return new Tree { Parent = rParent.ToArray(), NameId = rName.ToArray(), Names = names, NodeOf = s => nodeOfStack[s.Index] };
        }
    }

    private static FrameRect[] LayoutAlphabetical(Profile profile, Tree tree, int ti, int beforeTi, double minFraction, out long total)
    {
        int n = tree.Count;
        var self = new long[n];
        long[]? selfBefore = beforeTi >= 0 ? new long[n] : null;
        int lastStack = -1, lastNode = 0;
        for (int i = 0; i < profile.SampleCount; i++)
        {
            var s = profile.SampleStack(i);
            int node = s.Index == lastStack ? lastNode : tree.NodeOf(s);
            lastStack = s.Index; lastNode = node;
            self[node] += profile.SampleValue(i, ti);
            if (selfBefore is not null) selfBefore[node] += profile.SampleValue(i, beforeTi);
        }
        var parent = tree.Parent;
        var nameId = tree.NameId;
        var width = (long[])self.Clone();
        long[]? widthBefore = selfBefore is null ? null : (long[])selfBefore.Clone();
        for (int i = n - 1; i > 0; i--)
        {
            width[parent[i]] += width[i];
            if (widthBefore is not null) widthBefore[parent[i]] += widthBefore[i];
        }
        total = n == 0 ? 0 : width[0];
        if (total == 0) return [];
        double minValue = minFraction * total;

        // Children lists (CSR), each sorted by the folded-line order of names (via a global name rank).
        var rank = NameRanks(tree.Names);
        var start = new int[n + 1];
        for (int i = 1; i < n; i++) start[parent[i] + 1]++;
        for (int i = 0; i < n; i++) start[i + 1] += start[i];
        var fill = new int[n];
        var kids = new int[Math.Max(0, n - 1)];
        var keys = new int[kids.Length];
        for (int i = 1; i < n; i++)
        {
            int slot = start[parent[i]] + fill[parent[i]]++;
            kids[slot] = i;
            keys[slot] = rank[nameId[i]];
        }

        var frames = new List<FrameRect>(Math.Min(n, 1 << 16));
        var stack = new Stack<(int Node, long Start, int ParentFrame, int Depth)>();
        stack.Push((0, 0, -1, 0));
        while (stack.Count > 0)
        {
            var (node, x, pf, depth) = stack.Pop();
            int me = frames.Count;
            long sd = selfBefore is null ? 0 : self[node] - selfBefore[node];
            long d = widthBefore is null ? 0 : width[node] - widthBefore[node];
            frames.Add(new FrameRect(nameId[node], depth, x, width[node], self[node], pf, d, sd));
            int a = start[node], len = start[node + 1] - a;
            if (len == 0) continue;
            if (len > 1) Array.Sort(keys, kids, a, len);
            long cx = x + self[node];
            int pushFrom = stack.Count;
            for (int k = a; k < a + len; k++)
            {
                int c = kids[k];
                if (width[c] >= minValue)
                    stack.Push((c, cx, me, depth + 1));
                cx += width[c];
            }
            // Reverse the pushed run so children pop (and are emitted) left to right.
            ReverseTop(stack, stack.Count - pushFrom);
        }
        return frames.ToArray();
    }

    private static void ReverseTop<T>(Stack<T> stack, int count)
    {
        if (count < 2) return;
        var tmp = new T[count];
        for (int i = 0; i < count; i++) tmp[i] = stack.Pop();
        foreach (var t in tmp) stack.Push(t);
    }

    private static int[] NameRanks(string[] names)
    {
        var order = new int[names.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(order, (x, y) => CompareFoldedOrder(names[x], names[y]));
        var rank = new int[names.Length];
        for (int i = 0; i < order.Length; i++) rank[order[i]] = i;
        return rank;
    }

    private static FrameRect[] LayoutTime(Profile profile, Tree tree, int ti, int beforeTi, double minFraction, out long total)
    {
        int count = profile.SampleCount;
        int[] order = new int[count];
        for (int i = 0; i < count; i++) order[i] = i;
        if (profile.HasTimestamps)
        {
            var ts = new long[count];
            for (int i = 0; i < count; i++) ts[i] = profile.SampleTimestamp(i);
            // Stable: ties keep sample order.
            Array.Sort(order, (x, y) => ts[x] != ts[y] ? ts[x].CompareTo(ts[y]) : x.CompareTo(y));
        }

        var frameList = new List<Frame>();
        var openNode = new List<int> { 0 };
        var openFrame = new List<int> { 0 };
        frameList.Add(new Frame { NameId = 0, Depth = 0, Start = 0, Parent = -1 });
        var path = new List<int>();
        long time = 0;
        foreach (int i in order)
        {
            long v = profile.SampleValue(i, ti);
            long dv = beforeTi >= 0 ? v - profile.SampleValue(i, beforeTi) : 0;
            int node = tree.NodeOf(profile.SampleStack(i));
            path.Clear();
            for (int nd = node; nd > 0; nd = tree.Parent[nd]) path.Add(nd);
            path.Reverse();
            // openNode[k] is the node open at depth k (k = 0 is the root).
            int same = 0;
            while (same < path.Count && same + 1 < openNode.Count && openNode[same + 1] == path[same]) same++;
            openNode.RemoveRange(same + 1, openNode.Count - same - 1);
            openFrame.RemoveRange(same + 1, openFrame.Count - same - 1);
            for (int k = same; k < path.Count; k++)
            {
                int f = frameList.Count;
                frameList.Add(new Frame { NameId = tree.NameId[path[k]], Depth = k + 1, Start = time, Parent = openFrame[k] });
                openNode.Add(path[k]);
                openFrame.Add(f);
            }
            foreach (int f in openFrame) { frameList[f].Width += v; frameList[f].Delta += dv; }
            var leaf = frameList[openFrame[^1]];
            leaf.Self += v;
            leaf.SelfDelta += dv;
            time += v;
        }
        total = time;
        if (total == 0) return [];
        double minValue = minFraction * total;
        var map = new int[frameList.Count];
        var result = new List<FrameRect>(frameList.Count);
        for (int f = 0; f < frameList.Count; f++)
        {
            var fr = frameList[f];
            bool keep = f == 0 || (map[fr.Parent] >= 0 && fr.Width >= minValue);
            if (!keep) { map[f] = -1; continue; }
            map[f] = result.Count;
            result.Add(new FrameRect(fr.NameId, fr.Depth, fr.Start, fr.Width, fr.Self, f == 0 ? -1 : map[fr.Parent], beforeTi >= 0 ? fr.Delta : 0, fr.SelfDelta));
        }
        return result.ToArray();
    }

    private sealed class Frame
    {
        public int NameId, Depth, Parent;
        public long Start, Width, Self, Delta, SelfDelta;
    }
}
