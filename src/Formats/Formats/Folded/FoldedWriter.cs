using System.Runtime.CompilerServices;
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
    /// <remarks>
    /// A 1M-sample pprof has over ten million trie nodes and a gigabyte of folded text, so nothing here is
    /// allocated per node or per line: the keys are ranked once per distinct name (<see cref="KeyRanks"/>), each
    /// node's entries are sorted in place on one shared scratch stack, and lines are assembled in one large
    /// byte buffer that is handed to the stream whole.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once over the whole input: skip tier-0
    private static void WriteSorted(FrameTrie trie, long[] self, int k, int[] decimals, Stream output)
    {
        int n = trie.Count;
        // Subtree totals (any non-zero value below), bottom-up: children always have larger ids than parents.
        var live = new bool[n];
        var ownLine = new bool[n];
        for (int node = n - 1; node > 0; node--)
        {
            for (int c = 0; c < k; c++) if (self[node * k + c] != 0) { ownLine[node] = true; break; }
            if (ownLine[node]) live[node] = true;
            if (live[node]) live[trie.Parent(node)] = true;
        }
        // Children lists (CSR), live nodes only.
        var childStart = new int[n + 1];
        for (int node = 1; node < n; node++) if (live[node]) childStart[trie.Parent(node) + 1]++;
        for (int i = 1; i <= n; i++) childStart[i] += childStart[i - 1];
        var children = new int[childStart[n]];
        // Fill by advancing each parent's start, which leaves childStart[p] at the start of p + 1's run;
        // shifting by one restores the starts (no separate fill counters: 16.5M nodes for a 1M-sample pprof).
        for (int node = 1; node < n; node++) if (live[node]) children[childStart[trie.Parent(node)]++] = node;
        Array.Copy(childStart, 0, childStart, 1, n);
        childStart[0] = 0;

        var nameBytes = new byte[trie.NameCount][];
        for (int id = 0; id < nameBytes.Length; id++) nameBytes[id] = Encoding.UTF8.GetBytes(Sanitize(trie.NameOfId(id)));
        int[] rank = KeyRanks(nameBytes);

        var sink = new LineSink(output);
        byte[] path = new byte[4096];
        int pathLength = 0;

        // Samples with an empty stack (Go's threadcreate dump has one) make a line with no frames; a line
        // starting with a space sorts before every stack.
        bool rootOwn = false;
        for (int c = 0; c < k; c++) rootOwn |= self[c] != 0;
        if (rootOwn)
        {
            for (int c = 0; c < k; c++) { sink.Byte((byte)' '); sink.Value(self[c], decimals[c]); }
            sink.Byte((byte)'\n');
        }

        // Entries (node * 2 + (0 own line | 1 subtree)) of every expanded node on the current path, each
        // node's run sorted by key; levels[d] says where depth d's run is and how far it has been written.
        var entries = new GrowArray<int>(1024);
        var keys = new GrowArray<int>(1024);
        var levels = new GrowArray<Level>(64);
        PushLevel(0);
        while (levels.Count > 0)
        {
            ref Level level = ref levels.AsWritableSpan()[levels.Count - 1];
            if (level.Next == level.End)
            {
                pathLength = level.PathLength;
                entries.Truncate(level.Start);
                keys.Truncate(level.Start);
                levels.Truncate(levels.Count - 1);
                continue;
            }
            int entry = entries[level.Next++];
            int node = entry >> 1;
            var name = nameBytes[trie.NameId(node)];
            if ((entry & 1) == 0)
            {
                sink.Bytes(path.AsSpan(0, pathLength));
                if (pathLength > 0) sink.Byte((byte)';');
                sink.Bytes(name);
                for (int c = 0; c < k; c++) { sink.Byte((byte)' '); sink.Value(self[node * k + c], decimals[c]); }
                sink.Byte((byte)'\n');
            }
            else
            {
                int saved = pathLength;
                int need = pathLength + 1 + name.Length;
                if (need > path.Length) Array.Resize(ref path, Math.Max(path.Length * 2, need));
                if (pathLength > 0) path[pathLength++] = (byte)';';
                name.CopyTo(path.AsSpan(pathLength));
                pathLength += name.Length;
                PushLevel(node, saved); // `level` is not used after this: the levels array may move
            }
        }
        sink.Flush();

        void PushLevel(int parent, int restorePathLength = 0)
        {
            int from = entries.Count;
            for (int i = childStart[parent]; i < childStart[parent + 1]; i++)
            {
                int child = children[i];
                int nameId = trie.NameId(child);
                if (ownLine[child]) { entries.Add(child * 2); keys.Add(rank[nameId * 2]); }
                if (childStart[child + 1] > childStart[child]) { entries.Add(child * 2 + 1); keys.Add(rank[nameId * 2 + 1]); }
            }
            int count = entries.Count - from;
            if (count > 1) keys.AsWritableSpan().Slice(from, count).Sort(entries.AsWritableSpan().Slice(from, count));
            levels.Add(new Level { Start = from, Next = from, End = from + count, PathLength = restorePathLength });
        }
    }

    private struct Level
    {
        public int Start, Next, End, PathLength;
    }

    /// <summary>
    /// Ranks the sort keys of every name once: key <c>2 * id</c> is the name followed by ' ' (its own line),
    /// <c>2 * id + 1</c> the name followed by ';' (its subtree), ordered bytewise.
    /// </summary>
    private static int[] KeyRanks(byte[][] nameBytes)
    {
        var order = new int[nameBytes.Length * 2];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(order, (a, b) =>
        {
            var x = nameBytes[a >> 1].AsSpan();
            var y = nameBytes[b >> 1].AsSpan();
            int common = Math.Min(x.Length, y.Length);
            int cmp = x[..common].SequenceCompareTo(y[..common]);
            if (cmp != 0) return cmp;
            // One name is a prefix of the other (or they are equal): the shorter name's separator comes next.
            int nextX = x.Length > common ? x[common] : Separator(a);
            int nextY = y.Length > common ? y[common] : Separator(b);
            if (nextX != nextY) return nextX - nextY;
            return x.Length == y.Length ? 0 : x.Length < y.Length ? -1 : 1;
        });
        var rank = new int[order.Length];
        for (int i = 0; i < order.Length; i++) rank[order[i]] = i;
        return rank;

        static int Separator(int key) => (key & 1) == 0 ? ' ' : ';';
    }

    /// <summary>Assembles output lines in one large buffer and writes it to the stream whole.</summary>
    private sealed class LineSink(Stream output)
    {
        private readonly byte[] _buffer = new byte[1 << 20];
        private int _length;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Byte(byte b)
        {
            if (_length == _buffer.Length) Flush();
            _buffer[_length++] = b;
        }

        public void Bytes(ReadOnlySpan<byte> bytes)
        {
            if (_length + bytes.Length > _buffer.Length)
            {
                Flush();
                if (bytes.Length > _buffer.Length) { output.Write(bytes); return; }
            }
            bytes.CopyTo(_buffer.AsSpan(_length));
            _length += bytes.Length;
        }

        public void Value(long stored, int decimalPlaces)
        {
            if (decimalPlaces == 0)
            {
                if (_length + 20 > _buffer.Length) Flush();
                stored.TryFormat(_buffer.AsSpan(_length), out int written, default, CultureInfo.InvariantCulture);
                _length += written;
                return;
            }
            Span<byte> text = stackalloc byte[64];
            Bytes(text[..Encoding.ASCII.GetBytes(FormatValue(stored, decimalPlaces), text)]);
        }

        public void Flush()
        {
            output.Write(_buffer, 0, _length);
            _length = 0;
        }
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
}
