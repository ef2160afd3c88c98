using System.Runtime.CompilerServices;
using System.Buffers;
using System.Globalization;
using System.Text;

namespace FlameKit.Formats.Folded;

/// <summary>
/// Writes folded (collapsed) stacks: one line per distinct stack, frames root first separated by
/// <c>;</c>, a space, then the value of one sample type; identical stacks merged and lines sorted
/// bytewise, as stackcollapse output is. A profile read from a differential folded file (sample types
/// <see cref="FoldedReader.BeforeType"/> and <see cref="FoldedReader.AfterType"/>) is written in the
/// two-count form unless a sample type is chosen.
/// </summary>
/// <remarks>
/// Folded text holds names and one number per stack. It cannot hold other sample types, labels,
/// addresses, mappings, timestamps or threads; the writer reports each kind of loss through
/// <see cref="WriteOptions.Diagnostics"/>. Stacks whose value is zero are omitted. A <c>;</c> inside a
/// frame name would split the frame on reading, so it is written as <c>:</c>; newlines become spaces.
/// </remarks>
public sealed class FoldedWriter : IProfileWriter
{
    /// <inheritdoc/>
    public ProfileFormat Format => FoldedReader.FoldedFormat;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once over the whole input: skip tier-0
    public void Write(Profile profile, Stream output, WriteOptions options)
    {
        bool diff = options.SampleType is null && IsDifferential(profile);
        int[] columns = diff ? [0, 1] : [profile.ResolveSampleType(options.SampleType)];
        ReportLosses(profile, columns, options);

        var trie = FrameTrie.Build(profile, new FrameTrieOptions { Granularity = options.Granularity });
        int k = columns.Length;
        var self = new long[trie.Count * k];
        for (int i = 0; i < profile.SampleCount; i++)
        {
            int node = trie.NodeOf(profile.SampleStack(i));
            for (int c = 0; c < k; c++) self[node * k + c] += profile.SampleValue(i, columns[c]);
        }

        WriteSorted(trie, self, k, columns.Select(c => profile.SampleTypes[c].DecimalPlaces).ToArray(), output);
    }

    /// <summary>
    /// Writes the non-zero stacks in the byte order `sort` gives whole lines (C locale), walking the trie
    /// depth first instead of materialising and sorting every line. Under one parent, a node contributes two
    /// entries: its own line (key <c>name + ' '</c>: the count follows a space) and its subtree (key
    /// <c>name + ';'</c>); sorting those keys bytewise reproduces the order of the full lines, e.g.
    /// <c>a;b 5</c> &lt; <c>a;b-x 1</c> &lt; <c>a;b;c 3</c>. (A name containing a space followed by digits can
    /// tie differently; nothing real is named like that.)
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once over the whole input: skip tier-0
    private static void WriteSorted(FrameTrie trie, long[] self, int k, int[] decimals, Stream output)
    {
        int n = trie.Count;
        // Subtree totals (any non-zero value below), bottom-up: children always have larger ids than parents.
        var live = new bool[n];
        for (int node = n - 1; node > 0; node--)
        {
            if (!live[node])
                for (int c = 0; c < k; c++) if (self[node * k + c] != 0) { live[node] = true; break; }
            if (live[node]) live[trie.Parent(node)] = true;
        }
        // Children lists (CSR), live nodes only.
        var childCount = new int[n + 1];
        for (int node = 1; node < n; node++) if (live[node]) childCount[trie.Parent(node) + 1]++;
        for (int i = 1; i <= n; i++) childCount[i] += childCount[i - 1];
        var children = new int[childCount[n]];
        var fill = (int[])childCount.Clone();
        for (int node = 1; node < n; node++) if (live[node]) children[fill[trie.Parent(node)]++] = node;

        var utf8 = new byte[trie.NameCount][];
        byte[] NameBytes(int nameId)
        {
            var b = utf8[nameId];
            if (b is null) utf8[nameId] = b = Encoding.UTF8.GetBytes(Sanitize(trie.NameOfId(nameId)));
            return b;
        }

        var buffered = new BufferedStream(output, 1 << 16); // not disposed: that would close the caller's stream
        byte[] path = new byte[4096];
        int pathLength = 0;
        void Append(ReadOnlySpan<byte> bytes)
        {
            if (pathLength + bytes.Length > path.Length) Array.Resize(ref path, Math.Max(path.Length * 2, pathLength + bytes.Length));
            bytes.CopyTo(path.AsSpan(pathLength));
            pathLength += bytes.Length;
        }
        var pathLengths = new Stack<int>();
        // Explicit stack of (entries of one parent, next index); entries encode node * 2 + (0 own line | 1 subtree).
        var frames = new Stack<(int[] Entries, int Next)>();
        frames.Push((SortedEntries(0), 0));
        Span<byte> number = stackalloc byte[64];
        // Samples with an empty stack (Go's threadcreate dump has one) make a line with no frames; a line
        // starting with a space sorts before every stack.
        bool rootOwn = false;
        for (int c = 0; c < k; c++) rootOwn |= self[c] != 0;
        if (rootOwn)
        {
            for (int c = 0; c < k; c++)
            {
                buffered.WriteByte((byte)' ');
                string v = FormatValue(self[c], decimals[c]);
                buffered.Write(number[..Encoding.ASCII.GetBytes(v, number)]);
            }
            buffered.WriteByte((byte)'\n');
        }
        while (frames.Count > 0)
        {
            var (entries, next) = frames.Pop();
            if (next == entries.Length)
            {
                if (pathLengths.Count > 0) pathLength = pathLengths.Pop();
                continue;
            }
            frames.Push((entries, next + 1));
            int entry = entries[next];
            int node = entry >> 1;
            if ((entry & 1) == 0)
            {
                buffered.Write(path, 0, pathLength);
                if (pathLength > 0) buffered.WriteByte((byte)';');
                buffered.Write(NameBytes(trie.NameId(node)));
                for (int c = 0; c < k; c++)
                {
                    buffered.WriteByte((byte)' ');
                    string v = FormatValue(self[node * k + c], decimals[c]);
                    int len = Encoding.ASCII.GetBytes(v, number);
                    buffered.Write(number[..len]);
                }
                buffered.WriteByte((byte)'\n');
            }
            else
            {
                pathLengths.Push(pathLength);
                if (pathLength > 0) Append(";"u8);
                Append(NameBytes(trie.NameId(node)));
                frames.Push((SortedEntries(node), 0));
            }
        }
        buffered.Flush();

        int[] SortedEntries(int parent)
        {
            int from = childCount[parent], to = childCount[parent + 1];
            var list = new List<int>((to - from) * 2);
            for (int i = from; i < to; i++)
            {
                int child = children[i];
                bool own = false;
                for (int c = 0; c < k; c++) if (self[child * k + c] != 0) { own = true; break; }
                if (own) list.Add(child * 2);
                if (HasLiveChild(child)) list.Add(child * 2 + 1);
            }
            var arr = list.ToArray();
            Array.Sort(arr, (a, b) =>
            {
                int cmp = NameBytes(trie.NameId(a >> 1)).AsSpan().SequenceCompareTo(NameBytes(trie.NameId(b >> 1)));
                if (cmp != 0)
                {
                    // One name may be a prefix of the other: compare the prefix's separator with the next byte.
                    var x = NameBytes(trie.NameId(a >> 1)); var y = NameBytes(trie.NameId(b >> 1));
                    if (x.Length != y.Length && (x.Length < y.Length ? y.AsSpan().StartsWith(x) : x.AsSpan().StartsWith(y)))
                    {
                        if (x.Length < y.Length) return Separator(a).CompareTo(y[x.Length]);
                        return ((int)x[y.Length]).CompareTo(Separator(b));
                    }
                    return cmp;
                }
                return Separator(a).CompareTo(Separator(b));
            });
            return arr;
        }

        bool HasLiveChild(int node) => childCount[node + 1] > childCount[node];
        static int Separator(int entry) => (entry & 1) == 0 ? ' ' : ';';
    }

    /// <summary>True when the profile came from a differential (two-count) folded file.</summary>
    /// <param name="profile">A profile.</param>
    public static bool IsDifferential(Profile profile) =>
        profile.SampleTypes.Count == 2 && profile.SampleTypes[0].Type == FoldedReader.BeforeType && profile.SampleTypes[1].Type == FoldedReader.AfterType;

    /// <summary>Formats a stored value with its implied decimal places, invariantly, without trailing zeros.</summary>
    /// <param name="stored">Stored value.</param>
    /// <param name="decimalPlaces">Implied decimal places.</param>
    public static string FormatValue(long stored, int decimalPlaces)
    {
        if (decimalPlaces == 0) return stored.ToString(CultureInfo.InvariantCulture);
        decimal d = stored / (decimal)Math.Pow(10, decimalPlaces);
        return d.ToString("0.#########", CultureInfo.InvariantCulture);
    }

    private static void ReportLosses(Profile profile, int[] columns, WriteOptions options)
    {
        if (options.Diagnostics is null) return;
        int dropped = profile.SampleTypes.Count - columns.Length;
        if (dropped > 0)
            options.Diagnostics(new Diagnostic($"folded output keeps one sample type ({string.Join(", ", columns.Select(c => profile.SampleTypes[c].Type))}); dropped {dropped} other{(dropped == 1 ? "" : "s")} ({string.Join(", ", profile.SampleTypes.Where((_, i) => !columns.Contains(i)).Select(t => t.Type))})"));
        var lost = new List<string>();
        if (profile.HasLabels) lost.Add("labels");
        if (profile.HasTimestamps) lost.Add("timestamps");
        if (profile.HasThreads) lost.Add("threads");
        if (lost.Count > 0) options.Diagnostics(new Diagnostic($"folded output cannot hold {string.Join(", ", lost)}; dropped"));
    }

    private static string Sanitize(string name)
    {
        if (name.AsSpan().IndexOfAny(";\n\r") < 0) return name;
        return name.Replace(';', ':').Replace('\n', ' ').Replace('\r', ' ');
    }

    private static void Put(ArrayBufferWriter<byte> w, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(w.GetSpan(bytes.Length));
        w.Advance(bytes.Length);
    }
}
