using System.Runtime.CompilerServices;
using System.Globalization;
using System.Runtime.InteropServices;

namespace FlameKit;

/// <summary>How finely frames are told apart when stacks are turned into display frames.</summary>
public enum FrameGranularity
{
    /// <summary>One frame per function name (flame graphs, folded output). The default.</summary>
    Functions,
    /// <summary>One frame per function and source line: <c>name file:line</c>.</summary>
    Lines,
    /// <summary>One frame per function and file: <c>name file</c>.</summary>
    FileFunctions,
    /// <summary>One frame per instruction address: <c>name 0xADDR</c>.</summary>
    Addresses,
    /// <summary>One frame per source file: <c>file</c> (pprof's <c>-files</c>).</summary>
    Files,
}

/// <summary>Options for <see cref="FrameTrie.Build(Profile, FrameTrieOptions?)"/>.</summary>
public sealed record FrameTrieOptions
{
    /// <summary>How frames are told apart. Default: <see cref="FrameGranularity.Functions"/>.</summary>
    public FrameGranularity Granularity { get; init; } = FrameGranularity.Functions;
}

/// <summary>
/// The profile's stacks as display frames: inlined lines expanded into separate frames, each frame named
/// for display (function name; <c>0xADDR</c> for unsymbolized code, with the mapping's file name when known),
/// and identical root-first name paths merged into one node. This is the structure flame graphs and folded
/// output need; it is built once per profile in time proportional to the distinct stacks, not the samples.
/// </summary>
public sealed class FrameTrie
{
    private readonly int[] _parent;
    private readonly int[] _name;
    private readonly int[] _depth;
    private readonly string[] _names;
    private readonly int[] _nodeOfStack;
    private readonly int _count;

    // The node columns may be longer than count: they are the builder's arrays, taken over without a copy
    // (three copies of 16.5M nodes for a 1M-sample pprof).
    private FrameTrie(int count, int[] parent, int[] name, int[] depth, string[] names, int[] nodeOfStack)
    {
        _count = count; _parent = parent; _name = name; _depth = depth; _names = names; _nodeOfStack = nodeOfStack;
    }

    /// <summary>Number of nodes, including the root (node 0, the empty path).</summary>
    public int Count => _count;

    /// <summary>The parent (caller) node; the root is its own parent.</summary>
    /// <param name="node">A node.</param>
    public int Parent(int node) => _parent[node];

    /// <summary>Depth of a node: 0 for the root, 1 for outermost frames.</summary>
    /// <param name="node">A node.</param>
    public int Depth(int node) => _depth[node];

    /// <summary>Display name of the frame at <paramref name="node"/> ("" for the root).</summary>
    /// <param name="node">A node.</param>
    public string Name(int node) => _names[_name[node]];

    /// <summary>Number of distinct names (including "" for the root).</summary>
    public int NameCount => _names.Length;

    /// <summary>A distinct name by its id.</summary>
    /// <param name="nameId">An id from <see cref="NameId"/>.</param>
    public string NameOfId(int nameId) => _names[nameId];

    /// <summary>Interned id of the node's name; equal names have equal ids.</summary>
    /// <param name="node">A node.</param>
    public int NameId(int node) => _name[node];

    /// <summary>The node standing for the whole of <paramref name="stack"/>.</summary>
    /// <param name="stack">A stack of the profile this trie was built from.</param>
    public int NodeOf(StackId stack) => _nodeOfStack[stack.Index];

    /// <summary>Writes the names on the path to <paramref name="node"/>, root first.</summary>
    /// <param name="node">A node.</param>
    /// <param name="destination">Receives the names; cleared first.</param>
    public void PathRootFirst(int node, List<string> destination)
    {
        destination.Clear();
        for (int n = node; n != 0; n = _parent[n]) destination.Add(Name(n));
        destination.Reverse();
    }

    /// <summary>Sums one value column per node (self values: only the node a sample ends at).</summary>
    /// <param name="profile">The profile this trie was built from.</param>
    /// <param name="sampleType">Index into <see cref="Profile.SampleTypes"/>.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once over the whole input: skip tier-0
    public long[] SelfValues(Profile profile, int sampleType)
    {
        var self = new long[Count];
        for (int i = 0; i < profile.SampleCount; i++)
            self[_nodeOfStack[profile.SampleStack(i).Index]] += profile.SampleValue(i, sampleType);
        return self;
    }

    /// <summary>Builds the display-frame trie of <paramref name="profile"/>.</summary>
    /// <param name="profile">The profile.</param>
    /// <param name="options">Naming options; null for defaults.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once over the whole input: skip tier-0
    public static FrameTrie Build(Profile profile, FrameTrieOptions? options = null)
    {
        options ??= new FrameTrieOptions();
        var names = new List<string> { "" };
        var nameIndex = new Dictionary<string, int>(StringComparer.Ordinal) { [""] = 0 };
        var parent = new GrowArray<int>(Math.Max(16, profile.StackCount));
        var nameOf = new GrowArray<int>(Math.Max(16, profile.StackCount));
        var depth = new GrowArray<int>(Math.Max(16, profile.StackCount));
        parent.Add(0); nameOf.Add(0); depth.Add(0);
        // The same two-table, locality-preserving interning as the profile's stack trie (see StackInternTable).
        var children = new StackInternTable(Math.Max(64, profile.StackCount));
        var shallowChildren = new StackInternTable(64);

        // Each location expands to one or more display names (inlined lines), computed once per location.
        var locNames = new int[profile.Locations.Length][];
        int Intern(string s)
        {
            ref int slot = ref CollectionsMarshal.GetValueRefOrAddDefault(nameIndex, s, out bool exists);
            if (!exists) { slot = names.Count; names.Add(s); }
            return slot;
        }
        int[] NamesOf(int loc)
        {
            var cached = locNames[loc];
            if (cached is not null) return cached;
            var location = profile.Locations[loc];
            var lines = location.Lines;
            int[] result;
            if (lines.IsEmpty)
            {
                result = [Intern(UnsymbolizedName(profile, location))];
            }
            else
            {
                // profile.proto lists inlined lines innermost first; root-first order is the reverse.
                result = new int[lines.Length];
                for (int i = 0; i < lines.Length; i++)
                    result[lines.Length - 1 - i] = Intern(DisplayName(profile, location, lines[i], options.Granularity));
            }
            locNames[loc] = result;
            return result;
        }

        var nodeOfStack = new int[profile.StackCount];
        // Parents are always interned before their children, so index order is a topological order.
        for (int s = 1; s < profile.StackCount; s++)
        {
            var sid = new StackId(s);
            int node = nodeOfStack[profile.StackParent(sid).Index];
            foreach (int nm in NamesOf(profile.StackLocation(sid).Index))
            {
                long key = ((long)node << 32) | (uint)nm;
                int child = node >= StackInternTable.LocalAfter
                    ? children.GetOrAdd(key, local: true, parent.Count, out bool added)
                    : shallowChildren.GetOrAdd(key, local: false, parent.Count, out added);
                if (added)
                {
                    parent.Add(node);
                    nameOf.Add(nm);
                    depth.Add(depth[node] + 1);
                }
                node = child;
            }
            nodeOfStack[s] = node;
        }
        return new FrameTrie(parent.Count, parent.Detach(), nameOf.Detach(), depth.Detach(), names.ToArray(), nodeOfStack);
    }

    /// <summary>The display name of one line of a location at the given granularity.</summary>
    /// <param name="profile">The profile.</param>
    /// <param name="location">The location.</param>
    /// <param name="line">One of its lines.</param>
    /// <param name="granularity">How precise the name is.</param>
    public static string DisplayName(Profile profile, in Location location, Line line, FrameGranularity granularity)
    {
        var fn = profile.Functions[line.Function.Index];
        string name = fn.Name.Length > 0 ? fn.Name : fn.SystemName.Length > 0 ? fn.SystemName : UnsymbolizedName(profile, location);
        return granularity switch
        {
            FrameGranularity.Lines when fn.File.Length > 0 || line.Number > 0 =>
                string.Create(CultureInfo.InvariantCulture, $"{name} {fn.File}:{line.Number}"),
            FrameGranularity.FileFunctions when fn.File.Length > 0 => $"{name} {fn.File}",
            FrameGranularity.Files when fn.File.Length > 0 => fn.File,
            FrameGranularity.Addresses when location.Address != 0 =>
                string.Create(CultureInfo.InvariantCulture, $"{name} 0x{location.Address:x}"),
            _ => name,
        };
    }

    /// <summary>
    /// The name shown for a location without symbols: <c>0xADDR</c>, followed by the mapping's file name
    /// in parentheses when it is known (e.g. <c>0x4a5b3c (server)</c>).
    /// </summary>
    /// <param name="profile">The profile.</param>
    /// <param name="location">The location.</param>
    public static string UnsymbolizedName(Profile profile, in Location location)
    {
        string addr = "0x" + location.Address.ToString("x", CultureInfo.InvariantCulture);
        if (location.Mapping.IsNone) return addr;
        string file = profile.Mappings[location.Mapping.Index].FileBaseName;
        return file.Length == 0 ? addr : $"{addr} ({file})";
    }
}
