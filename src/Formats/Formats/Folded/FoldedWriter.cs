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

        int k = columns.Length;
        int stacks = profile.StackCount;
        // Self values per node of the profile's own stack trie (location-keyed); merging by display name
        // happens during the walk below, so no second, name-keyed trie is built.
        var self = new long[(long)stacks * k];
        for (int i = 0; i < profile.SampleCount; i++)
        {
            long node = profile.SampleStack(i).Index;
            for (int c = 0; c < k; c++) self[node * k + c] += profile.SampleValue(i, columns[c]);
        }
        var names = new LocationNames(profile, options.Granularity);
        var decimals = columns.Select(c => profile.SampleTypes[c].DecimalPlaces).ToArray();
        bool parallel = Environment.ProcessorCount > 1 && stacks >= ParallelMinimumNodes;
        var tables = new WalkTables(profile, names, self, k, decimals, withSubtreeSizes: parallel);
        if (parallel) ParallelWalk.Run(tables, output);
        else
        {
            var sink = new LineSink(output, 1 << 20);
            new SortedWalk(tables, sink, null).RunFromRoot();
            sink.Flush();
        }
    }

    /// <summary>Tries with at least this many nodes are written by two threads (tests lower it).</summary>
    internal static int ParallelMinimumNodes = 1 << 20;

    /// <summary>Subtrees of at most this many trie nodes are written as one piece of parallel work (tests lower it).</summary>
    internal static int ParallelSubtreeNodes = 1 << 16;

    /// <summary>
    /// Display names of every location, root first (inlined lines expanded), as ids into one table of
    /// distinct names, with each name's UTF-8 bytes (sanitized) ready for output.
    /// </summary>
    private sealed class LocationNames
    {
        public readonly int[] Start;   // per location: first entry in Ids
        public readonly int[] Ids;     // name ids, location by location, root-first within a location
        public readonly byte[][] Bytes; // per name id
        public readonly int[] Single;  // per location: its name id when it has exactly one name, else -1
        public readonly byte[] Flat;   // every name's bytes, back to back (no object per name to chase)
        public readonly int[] FlatStart; // per name id, and one past the last

        public LocationNames(Profile profile, FrameGranularity granularity)
        {
            var locations = profile.Locations;
            Start = new int[locations.Length + 1];
            var ids = new GrowArray<int>(locations.Length + 16);
            var index = new Dictionary<string, int>(StringComparer.Ordinal);
            var bytes = new List<byte[]>();
            for (int l = 0; l < locations.Length; l++)
            {
                var location = locations[l];
                var lines = location.Lines;
                Start[l] = ids.Count;
                if (lines.IsEmpty) ids.Add(Intern(FrameTrie.UnsymbolizedName(profile, location)));
                // profile.proto lists inlined lines innermost first; root-first order is the reverse.
                for (int i = lines.Length - 1; i >= 0; i--)
                    ids.Add(Intern(FrameTrie.DisplayName(profile, location, lines[i], granularity)));
            }
            Start[locations.Length] = ids.Count;
            Ids = ids.ToArray();
            Bytes = bytes.ToArray();
            Single = new int[locations.Length];
            for (int l = 0; l < locations.Length; l++) Single[l] = Start[l + 1] - Start[l] == 1 ? Ids[Start[l]] : -1;
            FlatStart = new int[Bytes.Length + 1];
            for (int i = 0; i < Bytes.Length; i++) FlatStart[i + 1] = FlatStart[i] + Bytes[i].Length;
            Flat = new byte[FlatStart[Bytes.Length]];
            for (int i = 0; i < Bytes.Length; i++) Bytes[i].CopyTo(Flat, FlatStart[i]);

            int Intern(string name)
            {
                ref int slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(index, name, out bool exists);
                if (!exists) { slot = bytes.Count; bytes.Add(Encoding.UTF8.GetBytes(Sanitize(name))); }
                return slot;
            }
        }
    }

    /// <summary>
    /// Writes the non-zero stacks in the byte order `sort` gives whole lines (C locale) by one depth-first walk
    /// over the profile's location-keyed stack trie, merging nodes by display name on the way, instead of
    /// materialising and sorting every line or building a name-keyed trie first.
    /// </summary>
    /// <remarks>
    /// <para>Order: under one parent, a display frame contributes two entries, its own line (key
    /// <c>name + ' '</c>: the count follows a space) and its subtree (key <c>name + ';'</c>); sorting those keys
    /// bytewise reproduces the order of the full lines, e.g. <c>a;b 5</c> &lt; <c>a;b-x 1</c> &lt; <c>a;b;c 3</c>.
    /// (A name containing a space followed by digits can tie differently; nothing real is named like that.)
    /// Keys are ranked once per distinct name (<see cref="KeyRanks"/>).</para>
    /// <para>Merging: a display frame is a group of cursors (trie node, index of the name within the node's
    /// location, which has several names when lines are inlined). Expanding a group gathers the next cursor of
    /// each member (the next inlined name, else every child node's first name) and sorts them by name, so equal
    /// names under one display parent form one child group. Nearly every group is a single cursor with a
    /// single child, which costs a few array reads. A 1M-sample pprof has 12.8M trie nodes and a gigabyte of
    /// folded text; the name-keyed trie this replaced had 16.5M nodes behind a hash table of 400 MB and took
    /// most of the writing time.</para>
    /// </remarks>
    private sealed class SortedWalk(WalkTables tables, LineSink sink, ParallelWalk? planner)
    {
        private readonly LocationNames _names = tables.Names;
        private readonly long[] _self = tables.Self;
        private readonly int _k = tables.K;
        private readonly int[] _decimals = tables.Decimals;
        private readonly LineSink _sink = sink;
        private readonly int[] _rank = tables.Rank;
        private readonly WalkTables.NodeRecord[] _nodes = tables.Nodes;
        private readonly int[] _children = tables.Children;
        private readonly ulong[] _hasSelf = tables.HasSelf;

        // Cursors of every expanded group on the current path (node << 32 | name index), each level's run
        // sorted by name, with the ranks they were sorted by.
        private GrowArray<long> _cursors = new(1024);
        private GrowArray<int> _cursorKeys = new(1024);
        // Entries of every level on the current path, each level's run sorted by key.
        private GrowArray<Entry> _entries = new(1024);
        private GrowArray<Level> _levels = new(64);
        private byte[] _path = new byte[4096];
        private int _pathLength;

        private struct Entry
        {
            public int Key, GroupStart, GroupEnd, NameId;
            public bool Subtree;
        }

        private struct Level
        {
            public int CursorStart, EntryStart, Next, End, PathLength;
        }

        /// <summary>Writes every line: the empty stack's, then the root group's subtree.</summary>
        public void RunFromRoot()
        {
            // Samples with an empty stack (Go's threadcreate dump has one) make a line with no frames; a line
            // starting with a space sorts before every stack.
            if (AnyNonZero(0))
            {
                for (int c = 0; c < _k; c++) { _sink.Byte((byte)' '); _sink.Value(_self[c], _decimals[c]); }
                _sink.Byte((byte)'\n');
            }
            // The root group: the empty stack, past its (non-existent) last name.
            _cursors.Add(Cursor(0, -1));
            _cursorKeys.Add(0);
            Expand(0, 1, 0, 0);
            Loop();
        }

        /// <summary>Writes the lines below one group (a piece of parallel work): its path and its cursors.</summary>
        public void RunSubtree(ReadOnlySpan<byte> path, ReadOnlySpan<long> cursors)
        {
            if (path.Length > _path.Length) _path = new byte[path.Length * 2];
            path.CopyTo(_path);
            _pathLength = path.Length;
            foreach (long c in cursors) { _cursors.Add(c); _cursorKeys.Add(0); }
            if (cursors.Length == 1) FollowChain(cursors[0], _pathLength);
            else Expand(0, cursors.Length, 0, _pathLength);
            Loop();
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once over the whole input: skip tier-0
        private void Loop()
        {
            while (_levels.Count > 0)
            {
                ref Level level = ref _levels.AsWritableSpan()[_levels.Count - 1];
                if (level.Next == level.End)
                {
                    _pathLength = level.PathLength;
                    _cursors.Truncate(level.CursorStart);
                    _cursorKeys.Truncate(level.CursorStart);
                    _entries.Truncate(level.EntryStart);
                    _levels.Truncate(_levels.Count - 1);
                    continue;
                }
                var entry = _entries[level.Next++];
                var name = NameBytes(entry.NameId);
                if (!entry.Subtree)
                {
                    _sink.Bytes(_path.AsSpan(0, _pathLength));
                    if (_pathLength > 0) _sink.Byte((byte)';');
                    _sink.Bytes(name);
                    for (int c = 0; c < _k; c++)
                    {
                        long sum = 0;
                        for (int g = entry.GroupStart; g < entry.GroupEnd; g++)
                            if (IsLast(_cursors[g])) sum += _self[(long)Node(_cursors[g]) * _k + c];
                        _sink.Byte((byte)' ');
                        _sink.Value(sum, _decimals[c]);
                    }
                    _sink.Byte((byte)'\n');
                }
                else
                {
                    int saved = _pathLength;
                    AppendToPath(name);
                    if (planner is not null && planner.TryHandOff(_sink, _path.AsSpan(0, _pathLength), _cursors.AsSpan()[entry.GroupStart..entry.GroupEnd]))
                    {
                        _pathLength = saved;
                        continue;
                    }
                    if (entry.GroupEnd - entry.GroupStart == 1) FollowChain(_cursors[entry.GroupStart], saved); // `level` is not used after this
                    else Expand(entry.GroupStart, entry.GroupEnd, _cursors.Count, saved); // `level` is not used after this: the levels array may move
                }
            }
        }

        private void AppendToPath(ReadOnlySpan<byte> name)
        {
            int need = _pathLength + 1 + name.Length;
            if (need > _path.Length) Array.Resize(ref _path, Math.Max(_path.Length * 2, need));
            if (_pathLength > 0) _path[_pathLength++] = (byte)';';
            name.CopyTo(_path.AsSpan(_pathLength));
            _pathLength += name.Length;
        }

        /// <summary>
        /// Walks down from a single-cursor group (already on the path) while each step has exactly one
        /// continuation, writing own lines on the way, without pushing levels: most of a big trie is such
        /// chains (a frame with one callee). Where the chain forks, a level is pushed as usual; where it ends,
        /// the path is restored.
        /// </summary>
        private void FollowChain(long cursor, int restorePathLength)
        {
            while (true)
            {
                int node = Node(cursor), index = NameIndex(cursor);
                long next;
                if (index + 1 < NameCount(node)) next = Cursor(node, index + 1);
                else if (_nodes[node + 1].ChildStart - _nodes[node].ChildStart == 1) next = Cursor(_children[_nodes[node].ChildStart], 0);
                else
                {
                    if (_nodes[node + 1].ChildStart == _nodes[node].ChildStart) { _pathLength = restorePathLength; return; } // a leaf
                    int floor = _cursors.Count;
                    _cursors.Add(cursor);
                    _cursorKeys.Add(0);
                    Expand(floor, floor + 1, floor, restorePathLength);
                    return;
                }
                int nextNode = Node(next);
                bool last = NameIndex(next) + 1 == NameCount(nextNode);
                var name = NameBytes(NameId(next));
                if (last && AnyNonZero(nextNode))
                {
                    // Its own line sorts before its subtree (the same name followed by ' ' rather than ';').
                    _sink.Bytes(_path.AsSpan(0, _pathLength));
                    if (_pathLength > 0) _sink.Byte((byte)';');
                    _sink.Bytes(name);
                    for (int c = 0; c < _k; c++) { _sink.Byte((byte)' '); _sink.Value(_self[(long)nextNode * _k + c], _decimals[c]); }
                    _sink.Byte((byte)'\n');
                }
                if (last && _nodes[nextNode + 1].ChildStart == _nodes[nextNode].ChildStart) { _pathLength = restorePathLength; return; }
                AppendToPath(name);
                cursor = next;
            }
        }

        /// <summary>
        /// Pushes a level for the group <c>[from, to)</c> of <see cref="_cursors"/>: its members' next cursors
        /// grouped by name, and the group's own-line and subtree entries sorted by key. When the level is done,
        /// <see cref="_cursors"/> is cut back to <paramref name="cursorFloor"/> and the path to
        /// <paramref name="restorePathLength"/>.
        /// </summary>
        private void Expand(int from, int to, int cursorFloor, int restorePathLength)
        {
            int cursorStart = _cursors.Count;
            for (int g = from; g < to; g++)
            {
                long cursor = _cursors[g];
                int node = Node(cursor), index = NameIndex(cursor);
                if (node != 0 && index + 1 < NameCount(node))
                {
                    Add(Cursor(node, index + 1));
                    continue;
                }
                for (int i = _nodes[node].ChildStart; i < _nodes[node + 1].ChildStart; i++) Add(Cursor(_children[i], 0));
            }
            int count = _cursors.Count - cursorStart;
            if (count > 1) _cursorKeys.AsWritableSpan().Slice(cursorStart, count).Sort(_cursors.AsWritableSpan().Slice(cursorStart, count));

            int entryStart = _entries.Count;
            for (int g = cursorStart; g < cursorStart + count;)
            {
                int nameId = NameId(_cursors[g]);
                int end = g + 1;
                while (end < cursorStart + count && _cursorKeys[end] == _cursorKeys[g]) end++;
                bool own = false, subtree = false;
                for (int m = g; m < end; m++)
                {
                    long cursor = _cursors[m];
                    int node = Node(cursor);
                    bool last = NameIndex(cursor) + 1 == NameCount(node);
                    if (!last || _nodes[node + 1].ChildStart > _nodes[node].ChildStart) subtree = true;
                    if (last && !own && AnyNonZero(node)) own = true;
                }
                if (own) _entries.Add(new Entry { Key = _rank[nameId * 2], GroupStart = g, GroupEnd = end, NameId = nameId });
                if (subtree) _entries.Add(new Entry { Key = _rank[nameId * 2 + 1], GroupStart = g, GroupEnd = end, NameId = nameId, Subtree = true });
                g = end;
            }
            int entries = _entries.Count - entryStart;
            if (entries > 2 || (entries == 2 && _entries[entryStart].NameId != _entries[entryStart + 1].NameId))
                _entries.AsWritableSpan().Slice(entryStart, entries).Sort(static (a, b) => a.Key.CompareTo(b.Key));
            _levels.Add(new Level { CursorStart = cursorFloor, EntryStart = entryStart, Next = entryStart, End = entryStart + entries, PathLength = restorePathLength });

            void Add(long cursor)
            {
                _cursors.Add(cursor);
                _cursorKeys.Add(NameId(cursor));
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static long Cursor(int node, int nameIndex) => ((long)node << 32) | (uint)nameIndex;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static int Node(long cursor) => (int)(cursor >> 32);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static int NameIndex(long cursor) => (int)cursor;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private int NameCount(int node)
        {
            int name = _nodes[node].Name;
            if (name >= 0) return 1;
            return _names.Start[~name + 1] - _names.Start[~name];
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private int NameId(long cursor)
        {
            int name = _nodes[Node(cursor)].Name;
            return name >= 0 ? name : _names.Ids[_names.Start[~name] + NameIndex(cursor)];
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private ReadOnlySpan<byte> NameBytes(int nameId) => _names.Flat.AsSpan(_names.FlatStart[nameId], _names.FlatStart[nameId + 1] - _names.FlatStart[nameId]);

        private bool IsLast(long cursor) => NameIndex(cursor) + 1 == NameCount(Node(cursor));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private bool AnyNonZero(int node) => (_hasSelf[node >> 6] & (1UL << node)) != 0;
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

    /// <summary>What every walker reads: the stack trie as child lists, names, ranks and values.</summary>
    private sealed class WalkTables
    {
        public readonly LocationNames Names;
        public readonly long[] Self;
        public readonly int K;
        public readonly int[] Decimals;
        public readonly int[] Rank;
        public readonly NodeRecord[] Nodes;
        public readonly int[] Children;
        public readonly ulong[] HasSelf;
        /// <summary>Trie nodes in each node's subtree, itself included (only for the parallel walk).</summary>
        public readonly int[]? SubtreeSize;

        public struct NodeRecord
        {
            public int ChildStart;
            public int Name; // the name id when the node's location has one name, else ~location
        }

        public WalkTables(Profile profile, LocationNames names, long[] self, int k, int[] decimals, bool withSubtreeSizes)
        {
            Names = names; Self = self; K = k; Decimals = decimals;
            Rank = KeyRanks(names.Bytes);
            // Children lists (CSR) of the stack trie: a counting sort by parent. What the walk reads per node
            // (where its children start, its name) sits in one record, and whether it has a non-zero value in a
            // bitset that stays in cache: the walk jumps between subtrees, and each array it touches per node
            // costs a cache miss there.
            int n = profile.StackCount;
            var nodes = new NodeRecord[n + 1];
            for (int s = 1; s < n; s++) nodes[profile.StackParent(new StackId(s)).Index + 1].ChildStart++;
            for (int i = 1; i <= n; i++) nodes[i].ChildStart += nodes[i - 1].ChildStart;
            Children = new int[Math.Max(0, n - 1)];
            // Fill by advancing each parent's start, which leaves the start of p at the start of p + 1's run;
            // shifting by one restores the starts.
            for (int s = 1; s < n; s++) Children[nodes[profile.StackParent(new StackId(s)).Index].ChildStart++] = s;
            for (int i = n; i > 0; i--) nodes[i].ChildStart = nodes[i - 1].ChildStart;
            nodes[0].ChildStart = 0;
            for (int s = 1; s < n; s++)
            {
                int l = profile.StackLocation(new StackId(s)).Index;
                int single = names.Single[l];
                nodes[s].Name = single >= 0 ? single : ~l;
            }
            Nodes = nodes;
            HasSelf = new ulong[(n + 63) / 64];
            for (int s = 0; s < n; s++)
                for (int c = 0; c < k; c++)
                    if (self[(long)s * k + c] != 0) { HasSelf[s >> 6] |= 1UL << s; break; }
            if (withSubtreeSizes)
            {
                // Children have larger ids than their parents: one backward pass adds each subtree to its parent.
                var size = new int[n];
                for (int s = n - 1; s > 0; s--)
                {
                    size[s]++;
                    size[profile.StackParent(new StackId(s)).Index] += size[s];
                }
                SubtreeSize = size;
            }
        }
    }

    /// <summary>
    /// Writes a big trie on two cores with output in the same order: one thread walks the top of the trie
    /// (as <see cref="SortedWalk"/> does) but hands every subtree of at most <see cref="ParallelSubtreeNodes"/>
    /// nodes to the thread pool instead of descending, together with the lines it wrote itself before it;
    /// the calling thread writes the pieces' text in order. At most a few pieces are in flight, so memory
    /// stays bounded however large the output.
    /// </summary>
    private sealed class ParallelWalk
    {
        private readonly WalkTables _tables;
        private readonly System.Collections.Concurrent.BlockingCollection<Task<PieceText>> _pieces = new(boundedCapacity: 8);
        private readonly CancellationTokenSource _cancel = new();
        private readonly MemoryStream _literal = new(); // what the planner's own sink writes to

        private ParallelWalk(WalkTables tables) => _tables = tables;

        public static void Run(WalkTables tables, Stream output)
        {
            var walk = new ParallelWalk(tables);
            Exception? plannerError = null;
            var planner = new Thread(() =>
            {
                try
                {
                    var sink = new LineSink(walk._literal, 1 << 16);
                    new SortedWalk(tables, sink, walk).RunFromRoot();
                    sink.Flush();
                    walk.EmitLiteral();
                }
                catch (OperationCanceledException) { }
                catch (Exception e) { plannerError = e; }
                finally { walk._pieces.CompleteAdding(); }
            }) { IsBackground = true, Name = "flamekit folded planner" };
            planner.Start();
            try
            {
                foreach (var piece in walk._pieces.GetConsumingEnumerable())
                    piece.GetAwaiter().GetResult().WriteTo(output);
            }
            catch
            {
                walk._cancel.Cancel();
                foreach (var _ in walk._pieces.GetConsumingEnumerable()) { } // let the planner finish
                planner.Join();
                throw;
            }
            planner.Join();
            if (plannerError is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(plannerError);
        }

        /// <summary>
        /// Called by the planner's walk for each subtree it is about to descend into: takes it over as a piece of
        /// parallel work when it is small enough (and returns true), after handing over the lines written so far.
        /// </summary>
        public bool TryHandOff(LineSink plannerSink, ReadOnlySpan<byte> path, ReadOnlySpan<long> cursors)
        {
            long size = 0;
            foreach (long c in cursors) size += _tables.SubtreeSize![(int)(c >> 32)];
            if (size > ParallelSubtreeNodes) return false;
            plannerSink.Flush();
            EmitLiteral();
            byte[] pathCopy = path.ToArray();
            long[] cursorCopy = cursors.ToArray();
            var tables = _tables;
            _pieces.Add(Task.Run(() =>
            {
                var text = new PieceText();
                var sink = new LineSink(text, 1 << 16);
                new SortedWalk(tables, sink, null).RunSubtree(pathCopy, cursorCopy);
                sink.Flush();
                return text;
            }), _cancel.Token);
            return true;
        }

        private void EmitLiteral()
        {
            if (_literal.Length == 0) return;
            var done = new PieceText();
            done.Write(_literal.GetBuffer(), 0, (int)_literal.Length);
            _literal.SetLength(0);
            _pieces.Add(Task.FromResult(done), _cancel.Token);
        }
    }

    /// <summary>
    /// The text of one piece of parallel work, in pooled 64 KiB chunks (growing one array would copy it and
    /// allocate fresh memory for every piece), written out and returned to the pool by the writing thread.
    /// </summary>
    private sealed class PieceText : Stream
    {
        private const int ChunkSize = 1 << 16;
        private readonly List<byte[]> _chunks = [];
        private int _lastLength = ChunkSize;

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> bytes)
        {
            while (!bytes.IsEmpty)
            {
                if (_lastLength == ChunkSize)
                {
                    _chunks.Add(System.Buffers.ArrayPool<byte>.Shared.Rent(ChunkSize));
                    _lastLength = 0;
                }
                int n = Math.Min(bytes.Length, ChunkSize - _lastLength);
                bytes[..n].CopyTo(_chunks[^1].AsSpan(_lastLength));
                _lastLength += n;
                bytes = bytes[n..];
            }
        }

        public void WriteTo(Stream output)
        {
            for (int i = 0; i < _chunks.Count; i++)
            {
                output.Write(_chunks[i], 0, i == _chunks.Count - 1 ? _lastLength : ChunkSize);
                System.Buffers.ArrayPool<byte>.Shared.Return(_chunks[i]);
            }
            _chunks.Clear();
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>Assembles output lines in one large buffer and writes it to the stream whole.</summary>
    private sealed class LineSink(Stream output, int bufferSize)
    {
        private readonly byte[] _buffer = new byte[bufferSize];
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
