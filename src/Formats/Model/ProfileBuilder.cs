using System.Runtime.InteropServices;

namespace FlameKit;

/// <summary>
/// Builds an immutable <see cref="Profile"/>. Readers feed it strings, functions, locations and stacks,
/// which it interns as they arrive, then samples. Single-threaded; <see cref="Build"/> may be called once.
/// </summary>
/// <example>
/// <code>
/// var b = new ProfileBuilder([new SampleType("samples", "count")]);
/// var stack = b.Push(b.Push(StackId.Empty, b.AddFrame("main")), b.AddFrame("work"));
/// b.AddSample(stack, [42]);
/// Profile p = b.Build();
/// </code>
/// </example>
public sealed class ProfileBuilder
{
    private SampleType[] _sampleTypes;
    private readonly List<Mapping> _mappings = [new Mapping(0, 0, 0, "", "")];
    private readonly Dictionary<Mapping, int> _mappingIndex = new();
    private readonly List<Function> _functions = [];
    private readonly Dictionary<Function, int> _functionIndex = new();
    private readonly List<Location> _locations = [];
    private readonly Dictionary<Location, int> _locationIndex = new();
    private readonly Dictionary<(string, string, long), int> _frameIndex = new();
    private GrowArray<int> _stackLocation = new(64);
    private GrowArray<int> _stackParent = new(64);
    // Not a Dictionary<long, int>: long.GetHashCode is (low ^ high), so (parent, callee) keys collide heavily
    // once the trie has millions of nodes (reading a 1M-sample pprof took 11 s instead of ~1 s).
    private StackInternTable _stackIndex = new(64);
    // With FirstChildIndex: each node's first child, by node (0 = none yet); only later children are in _laterChildren.
    private NodeInternTable _laterChildren;
    private GrowArray<int> _firstChild;
    private readonly List<Label[]> _labelSets = [[]];
    private readonly Dictionary<LabelSetKey, int> _labelSetIndex = new();
    private readonly List<ThreadInfo> _threads = [];
    private readonly Dictionary<ThreadInfo, int> _threadIndex = new();
    private GrowArray<int> _sampleStacks = new(256);
    private GrowArray<long> _values;
    private GrowArray<int> _sampleLabels = new(0);
    private readonly SampleTimestamps _timestamps = new();
    private readonly SampleThreads _sampleThreads = new();
    // With DeriveValuesFromTimestamps: the value column (then _values stays empty).
    private DerivedValues? _derived;
    private bool _anyLabels, _anyThreads;
    // Set by AppendStackNode: stacks were added without interning, so Push must not be used any more.
    private bool _appendOnly;
    private int _timestampedSamples;
    private bool _built, _remapped;

    /// <summary>Creates a builder for profiles with the given value columns.</summary>
    /// <param name="sampleTypes">At least one sample type.</param>
    /// <exception cref="ArgumentException"><paramref name="sampleTypes"/> is empty.</exception>
    public ProfileBuilder(IEnumerable<SampleType> sampleTypes)
    {
        _sampleTypes = sampleTypes.ToArray();
        if (_sampleTypes.Length == 0) throw new ArgumentException("a profile needs at least one sample type", nameof(sampleTypes));
        _values = new GrowArray<long>(256 * _sampleTypes.Length);
        _stackLocation.Add(-1);
        _stackParent.Add(0);
    }

    /// <summary>The string pool; intern names through it so equal strings are shared.</summary>
    public StringPool Strings { get; } = new();

    /// <summary>The sample types this builder was created with.</summary>
    public IReadOnlyList<SampleType> SampleTypes => _sampleTypes;

    /// <summary>Name of the default sample type (pprof's <c>default_sample_type</c>), or null for "the last one".</summary>
    public string? DefaultSampleType { get; set; }

    /// <summary>See <see cref="Profile.PeriodType"/>.</summary>
    public SampleType? PeriodType { get; set; }

    /// <summary>See <see cref="Profile.Period"/>.</summary>
    public long Period { get; set; }

    /// <summary>See <see cref="Profile.TimeNanos"/>.</summary>
    public long TimeNanos { get; set; }

    /// <summary>See <see cref="Profile.DurationNanos"/>.</summary>
    public long DurationNanos { get; set; }

    /// <summary>See <see cref="Profile.Comments"/>.</summary>
    public List<string> Comments { get; } = [];

    /// <summary>See <see cref="Profile.DropFrames"/>.</summary>
    public string DropFrames { get; set; } = "";

    /// <summary>See <see cref="Profile.KeepFrames"/>.</summary>
    public string KeepFrames { get; set; } = "";

    /// <summary>See <see cref="Profile.Name"/>.</summary>
    public string Name { get; set; } = "";

    /// <summary>Number of samples added so far.</summary>
    public int SampleCount => _sampleStacks.Count;

    /// <summary>Number of locations interned so far.</summary>
    public int LocationCount => _locations.Count;

    /// <summary>Number of functions interned so far.</summary>
    public int FunctionCount => _functions.Count;

    /// <summary>
    /// Replaces the sample types before any sample was added: for readers that learn the value columns
    /// (or their decimal scaling) only at the end of the input.
    /// </summary>
    /// <param name="sampleTypes">The new sample types.</param>
    internal void SetSampleTypes(SampleType[] sampleTypes)
    {
        if (_sampleStacks.Count != 0) throw new InvalidOperationException("sample types can only change before samples are added");
        if (sampleTypes.Length == 0) throw new ArgumentException("a profile needs at least one sample type", nameof(sampleTypes));
        _sampleTypes = sampleTypes;
    }

    /// <summary>
    /// Gives the value columns their names after samples were added (same number of columns): for the pprof
    /// reader, which reads samples before the string table that names their types.
    /// </summary>
    /// <param name="sampleTypes">The named sample types, as many as before.</param>
    internal void RenameSampleTypes(SampleType[] sampleTypes)
    {
        if (sampleTypes.Length != _sampleTypes.Length) throw new ArgumentException("the number of sample types cannot change", nameof(sampleTypes));
        _sampleTypes = sampleTypes;
    }

    /// <summary>
    /// Replaces the location of every stack node through <paramref name="map"/> (provisional index to
    /// location index), for a reader that interned stacks before it knew the locations. The map must be one
    /// to one, or the trie would hold equal siblings. No <see cref="Push"/> may follow.
    /// </summary>
    /// <param name="map">Location index by provisional index.</param>
    internal void RemapStackLocations(ReadOnlySpan<int> map)
    {
        var locations = _stackLocation.AsWritableSpan();
        for (int i = 1; i < locations.Length; i++) locations[i] = map[locations[i]];
        // The interning tables are keyed by the old indices.
        DropInterningTables();
        _remapped = true;
    }

    /// <summary>Replaces every sample's label set through <paramref name="map"/> (provisional id to label set id).</summary>
    /// <param name="map">Label set id by provisional id; entry 0 (no labels) must map to 0.</param>
    internal void RemapSampleLabels(ReadOnlySpan<int> map)
    {
        if (!_anyLabels) return;
        var labels = _sampleLabels.AsWritableSpan();
        for (int i = 0; i < labels.Length; i++) labels[i] = map[labels[i]];
    }

    /// <summary>Interns a mapping.</summary>
    /// <param name="mapping">The mapping; its strings are interned.</param>
    public MappingId AddMapping(Mapping mapping)
    {
        mapping = mapping with { File = Strings.Intern(mapping.File), BuildId = Strings.Intern(mapping.BuildId) };
        if (_mappingIndex.TryGetValue(mapping, out int i)) return new(i);
        i = _mappings.Count;
        _mappings.Add(mapping);
        _mappingIndex.Add(mapping, i);
        return new(i);
    }

    /// <summary>Interns a function.</summary>
    /// <param name="name">Display name.</param>
    /// <param name="systemName">System (mangled) name, or "".</param>
    /// <param name="file">Source file, or "".</param>
    /// <param name="startLine">First line, or 0.</param>
    public FunctionId AddFunction(string name, string systemName = "", string file = "", long startLine = 0)
    {
        var f = new Function(Strings.Intern(name), Strings.Intern(systemName), Strings.Intern(file), startLine);
        if (_functionIndex.TryGetValue(f, out int i)) return new(i);
        i = _functions.Count;
        _functions.Add(f);
        _functionIndex.Add(f, i);
        return new(i);
    }

    /// <summary>Interns a location.</summary>
    /// <param name="address">Instruction address, or 0.</param>
    /// <param name="mapping">Its mapping, or <see cref="MappingId.None"/>.</param>
    /// <param name="lines">Lines, innermost first (profile.proto order); empty when unsymbolized.</param>
    /// <param name="isFolded">pprof's <c>is_folded</c>.</param>
    public LocationId AddLocation(ulong address, MappingId mapping, ReadOnlySpan<Line> lines, bool isFolded = false)
    {
        var loc = new Location(address, mapping, lines.ToArray(), isFolded);
        if (_locationIndex.TryGetValue(loc, out int i)) return new(i);
        i = _locations.Count;
        _locations.Add(loc);
        _locationIndex.Add(loc, i);
        return new(i);
    }

    /// <summary>
    /// Interns a plain frame: a location with no address holding a single line of a function with this name.
    /// This is how name-only formats (folded stacks, speedscope) describe frames.
    /// </summary>
    /// <param name="name">Function name.</param>
    /// <param name="file">Source file, or "".</param>
    /// <param name="line">Line number, or 0.</param>
    public LocationId AddFrame(string name, string file = "", long line = 0)
    {
        if (_frameIndex.TryGetValue((name, file, line), out int i)) return new(i);
        var fn = AddFunction(name, "", file);
        var loc = AddLocation(0, MappingId.None, [new Line(fn, line)]);
        _frameIndex.Add((Strings.Intern(name), Strings.Intern(file), line), loc.Index);
        return loc;
    }

    /// <summary>
    /// Keep each stack node's first child in an array indexed by node, and only its later children in the
    /// hash table. Big pprof profiles are mostly long chains of new nodes (a 1M-sample profile: 12.8M nodes
    /// from 21.7M pushes, about 1M of them not a first child), so a new node costs an array write next to
    /// its parent's instead of a probe into a table of hundreds of megabytes: on that profile peak memory
    /// went from 855-870 MB to 749 MB, with the same CPU time. Looking up an existing node may cost one more
    /// memory access (the first child's location), so readers of bushy tries (folded files of random
    /// distinct stacks) keep the default. Must be chosen before the first <see cref="Push"/>. Default: false.
    /// </summary>
    internal bool FirstChildIndex
    {
        get => _firstChild.Count != 0;
        set
        {
            if (value == FirstChildIndex) return;
            if (_stackLocation.Count > 1) throw new InvalidOperationException("the stack interning mode must be chosen before the first Push");
            _firstChild = value ? new GrowArray<int>(64) : default;
            _laterChildren = value ? new NodeInternTable(64) : default;
            _stackIndex = value ? default : new StackInternTable(64);
            if (value) _firstChild.Add(0);
        }
    }

    /// <summary>
    /// Do not store sample values: each is the next sample's timestamp minus its own (see
    /// <see cref="DerivedValues"/>), as for the samples a timeline is cut into. Chrome traces and evented
    /// speedscope profiles set it; on a 500 MB trace it saves 73 MB. Any sample whose value is not that
    /// difference is still kept exactly (as an exception), and if that gets common, or a sample without a
    /// timestamp is added, the builder goes back to storing every value: the profile is the same either
    /// way, only its memory differs. Needs a single sample type; must be chosen before the first sample.
    /// </summary>
    internal bool DeriveValuesFromTimestamps
    {
        get => _derived is not null;
        set
        {
            if (value == DeriveValuesFromTimestamps) return;
            if (_sampleStacks.Count != 0) throw new InvalidOperationException("the value storage must be chosen before the first sample");
            if (value && _sampleTypes.Length != 1) throw new InvalidOperationException("derived values need a single sample type");
            _derived = value ? new DerivedValues(_timestamps) : null;
        }
    }

    /// <summary>Stops deriving values: every value so far is written out into the stored column.</summary>
    private void StoreValues()
    {
        var derived = _derived!;
        _derived = null;
        derived.Finish();
        _values = new GrowArray<long>(Math.Max(256, _sampleStacks.Count + _sampleStacks.Count / 2));
        for (int i = 0; i < derived.Count; i++) _values.Add(derived[i]);
    }

    /// <summary>Interns the stack <paramref name="parent"/> extended by one callee location.</summary>
    /// <param name="parent">The caller's stack (<see cref="StackId.Empty"/> at the root).</param>
    /// <param name="callee">The location called from <paramref name="parent"/>'s leaf.</param>
    /// <returns>The stack whose leaf is <paramref name="callee"/>.</returns>
    public StackId Push(StackId parent, LocationId callee)
    {
        if (_remapped || _appendOnly)
            throw new InvalidOperationException(_remapped ? "stacks cannot be added after their locations were renumbered"
                : "Push cannot follow AppendStackNode: the interning tables do not know the appended nodes");
        long key = ((long)parent.Index << 32) | (uint)callee.Index;
        int id;
        bool added;
        if (_firstChild.Count != 0)
        {
            int first = _firstChild[parent.Index];
            if (first == 0)
            {
                id = _stackLocation.Count;
                _firstChild.AsWritableSpan()[parent.Index] = id;
                added = true;
            }
            else if (_stackLocation[first] == callee.Index) return new(first);
            else id = _laterChildren.GetOrAdd(parent.Index, callee.Index, _stackLocation.Count, _stackLocation.AsSpan(), _stackParent.AsSpan(), out added);
        }
        else id = _stackIndex.GetOrAdd(key, local: false, _stackLocation.Count, out added);
        if (!added) return new(id);
        _stackLocation.Add(callee.Index);
        _stackParent.Add(parent.Index);
        if (_firstChild.Count != 0) _firstChild.Add(0);
        return new(id);
    }

    /// <summary>
    /// Adds the stack node <paramref name="parent"/> + <paramref name="callee"/> without looking it up, for a
    /// caller that knows it is new: a copy of an already interned trie, or of a part of one, made in the source's
    /// node order (parents first), has no two nodes with the same parent and location. That copy then costs
    /// two array writes per node instead of a probe into a table of hundreds of megabytes (a sub-trie of the
    /// 12.8M-node pprof). Because the appended nodes are not entered in the interning tables, a builder is
    /// either appended to or pushed to: <see cref="Push"/> throws once this was used, and this throws after a
    /// <see cref="Push"/>.
    /// </summary>
    /// <param name="parent">An existing node of this builder (<see cref="StackId.Empty"/> at the root).</param>
    /// <param name="callee">The location called from <paramref name="parent"/>'s leaf.</param>
    /// <returns>The new node.</returns>
    /// <exception cref="InvalidOperationException"><see cref="Push"/> was used on this builder.</exception>
    internal StackId AppendStackNode(StackId parent, LocationId callee)
    {
        if (!_appendOnly)
        {
            if (_stackLocation.Count > 1) throw new InvalidOperationException("AppendStackNode cannot follow Push: the appended node might duplicate an interned one");
            _appendOnly = true;
        }
        if ((uint)parent.Index >= (uint)_stackLocation.Count) throw new ArgumentOutOfRangeException(nameof(parent));
        int id = _stackLocation.Count;
        _stackLocation.Add(callee.Index);
        _stackParent.Add(parent.Index);
        return new(id);
    }

    /// <summary>
    /// Reserves room for about <paramref name="nodes"/> stack nodes, so that readers which can estimate the
    /// size of the trie up front (pprof: from the bytes of its samples) avoid repeated regrowth of the
    /// stack tables. Added for the pprof reader; an over-estimate costs only untouched (uncommitted) memory.
    /// </summary>
    /// <param name="nodes">Expected number of stack nodes.</param>
    internal void EnsureStackCapacity(int nodes)
    {
        nodes = Math.Clamp(nodes, 0, 1 << 27);
        if (FirstChildIndex) _firstChild.EnsureCapacity(nodes); else if (!_appendOnly) _stackIndex.EnsureCapacity(nodes);
        _stackLocation.EnsureCapacity(nodes);
        _stackParent.EnsureCapacity(nodes);
    }

    /// <summary>
    /// Reserves room for about <paramref name="samples"/> samples (and their timestamps when asked), so
    /// that readers that know the number of samples up front (Chrome traces: at most one per event) build
    /// the per-sample arrays once instead of regrowing them by half again and again, each time holding the
    /// old and the new copy. Added for the Chrome trace reader; a slight over-estimate costs only the
    /// untouched tail. (Threads are stored as runs and need no reservation.)
    /// </summary>
    /// <param name="samples">Expected number of samples.</param>
    /// <param name="timestamps">Whether the samples will carry timestamps.</param>
    internal void EnsureSampleCapacity(int samples, bool timestamps)
    {
        samples = Math.Clamp(samples, 0, Array.MaxLength / _sampleTypes.Length);
        _sampleStacks.EnsureCapacity(samples);
        if (_derived is null) _values.EnsureCapacity(samples * _sampleTypes.Length);
        else _derived.EnsureCapacity(samples);
        if (timestamps) _timestamps.EnsureCapacity(samples);
    }

    /// <summary>Interns a stack given leaf first, as pprof lists a sample's locations.</summary>
    /// <param name="leafFirst">Locations, leaf (callee) first.</param>
    public StackId StackFromLeafFirst(ReadOnlySpan<LocationId> leafFirst)
    {
        var s = StackId.Empty;
        for (int i = leafFirst.Length - 1; i >= 0; i--) s = Push(s, leafFirst[i]);
        return s;
    }

    /// <summary>Interns a stack given root first.</summary>
    /// <param name="rootFirst">Locations, root (outermost caller) first.</param>
    public StackId StackFromRootFirst(ReadOnlySpan<LocationId> rootFirst)
    {
        var s = StackId.Empty;
        foreach (var l in rootFirst) s = Push(s, l);
        return s;
    }

    /// <summary>Interns a set of labels (order is kept).</summary>
    /// <param name="labels">The labels; an empty span gives <see cref="LabelSetId.Empty"/>.</param>
    public LabelSetId AddLabelSet(ReadOnlySpan<Label> labels)
    {
        if (labels.IsEmpty) return LabelSetId.Empty;
        var arr = new Label[labels.Length];
        for (int j = 0; j < labels.Length; j++)
        {
            var l = labels[j];
            arr[j] = new Label(Strings.Intern(l.Key), l.Str is null ? null : Strings.Intern(l.Str), l.Num, l.NumUnit is null ? null : Strings.Intern(l.NumUnit));
        }
        var key = new LabelSetKey(arr);
        if (_labelSetIndex.TryGetValue(key, out int i)) return new(i);
        i = _labelSets.Count;
        _labelSets.Add(arr);
        _labelSetIndex.Add(key, i);
        return new(i);
    }

    /// <summary>Interns a thread.</summary>
    /// <param name="thread">Thread identity.</param>
    public ThreadIndex AddThread(ThreadInfo thread)
    {
        if (_threadIndex.TryGetValue(thread, out int i)) return new(i);
        i = _threads.Count;
        _threads.Add(thread);
        _threadIndex.Add(thread, i);
        return new(i);
    }

    /// <summary>Adds a sample.</summary>
    /// <param name="stack">Its leaf-most stack node.</param>
    /// <param name="values">One value per sample type.</param>
    /// <param name="labels">Its labels.</param>
    /// <param name="thread">Its thread, or <see cref="ThreadIndex.None"/> (the default).</param>
    /// <exception cref="ArgumentException">The number of values differs from the number of sample types.</exception>
    public void AddSample(StackId stack, ReadOnlySpan<long> values, LabelSetId labels = default, ThreadIndex? thread = null)
    {
        if (_derived is not null) StoreValues(); // no timestamp to derive this value from
        AddSampleCore(stack, values, labels, thread ?? ThreadIndex.None);
    }

    /// <summary>Adds a timestamped sample. Either every sample of a profile has a timestamp or none has.</summary>
    /// <param name="stack">Its leaf-most stack node.</param>
    /// <param name="values">One value per sample type.</param>
    /// <param name="timestampNanos">When it was taken, in nanoseconds (see <see cref="Profile.SampleTimestamp"/>).</param>
    /// <param name="thread">Its thread.</param>
    /// <param name="labels">Its labels.</param>
    public void AddSample(StackId stack, ReadOnlySpan<long> values, long timestampNanos, ThreadIndex thread, LabelSetId labels = default)
    {
        int n = _sampleStacks.Count;
        AddSampleCore(stack, values, labels, thread);
        if (_timestamps.Count < n) _timestamps.PadTo(n);
        _timestamps.Add(timestampNanos);
        _timestampedSamples++;
        if (_derived is not null)
        {
            _derived.Add(values[0]);
            // Mostly exceptions (samples of threads interleaved, gaps between samples): storing is cheaper.
            if (_derived.ExceptionCount >= 4096 && _derived.ExceptionCount > n / 16) StoreValues();
        }
    }

    private void AddSampleCore(StackId stack, ReadOnlySpan<long> values, LabelSetId labels, ThreadIndex thread)
    {
        if (values.Length != _sampleTypes.Length)
            throw new ArgumentException($"sample has {values.Length} values but the profile has {_sampleTypes.Length} sample types", nameof(values));
        if ((uint)stack.Index >= (uint)_stackLocation.Count) throw new ArgumentOutOfRangeException(nameof(stack));
        int n = _sampleStacks.Count;
        _sampleStacks.Add(stack.Index);
        if (_derived is null) _values.AddRange(values); // else the caller adds the value with the timestamp
        if (labels.Index != 0 || _anyLabels)
        {
            if (!_anyLabels) { _anyLabels = true; _sampleLabels.PadTo(n); }
            _sampleLabels.Add(labels.Index);
        }
        if (!thread.IsNone || _anyThreads)
        {
            if (!_anyThreads) { _anyThreads = true; _sampleThreads.PadTo(n, -1); }
            _sampleThreads.Add(thread.Index);
        }
    }

    /// <summary>Freezes everything into an immutable <see cref="Profile"/>.</summary>
    /// <exception cref="InvalidOperationException">Called twice, or only some samples have timestamps.</exception>
    public Profile Build()
    {
        if (_built) throw new InvalidOperationException("Build was already called");
        _built = true;
        // The interning tables are done (hundreds of megabytes for a big trie): let the GC have them while
        // the profile's own arrays are made.
        DropInterningTables();
        int n = _sampleStacks.Count;
        if (_timestampedSamples != 0 && _timestampedSamples != n)
            throw new InvalidOperationException($"{_timestampedSamples} of {n} samples have timestamps; either all or none must");
        _derived?.Finish();
        int dflt = _sampleTypes.Length - 1;
        if (!string.IsNullOrEmpty(DefaultSampleType))
        {
            int i = Array.FindIndex(_sampleTypes, t => t.Type == DefaultSampleType);
            if (i >= 0) dflt = i;
        }
        if (_anyLabels) _sampleLabels.PadTo(n);
        if (_anyThreads) _sampleThreads.PadTo(n, -1);
        var snap = new Snapshot
        {
            SampleTypes = _sampleTypes,
            DefaultSampleTypeIndex = dflt,
            PeriodType = PeriodType,
            Period = Period,
            TimeNanos = TimeNanos,
            DurationNanos = DurationNanos,
            Comments = Comments.ToArray(),
            DropFrames = DropFrames,
            KeepFrames = KeepFrames,
            Name = Name,
            Mappings = _mappings.ToArray(),
            Functions = _functions.ToArray(),
            Locations = _locations.ToArray(),
            // The stack columns are the largest arrays of a big profile (13M nodes for a 1M-sample pprof):
            // handed over without copying too, like the per-sample ones.
            StackLocation = _stackLocation.Detach(),
            StackParent = _stackParent.Detach(),
            StackDepth = ComputeDepths(),
            StackCount = _stackLocation.Count,
            LabelSets = _labelSets.ToArray(),
            Threads = _threads.ToArray(),
            // Per-sample arrays are indexed below SampleCount only: handed over without copying.
            SampleStacks = _sampleStacks.Detach(),
            Values = _derived is null ? _values.Detach() : null,
            DerivedValues = _derived,
            SampleLabels = _anyLabels ? _sampleLabels.Detach() : null,
            Timestamps = _timestampedSamples != 0 ? _timestamps : null,
            SampleThreads = _anyThreads ? _sampleThreads : null,
            SampleCount = n,
        };
        return new Profile(snap);
    }

    /// <summary>Lets the GC have the stack-interning tables (hundreds of megabytes for a big trie).</summary>
    private void DropInterningTables()
    {
        _stackIndex = default;
        _firstChild = default;
        _laterChildren = default;
    }

    /// <summary>Depths are computed once at the end: parents are interned before their children, so one pass suffices.</summary>
    private int[] ComputeDepths()
    {
        var parents = _stackParent.AsSpan();
        var depth = new int[parents.Length];
        for (int s = 1; s < parents.Length; s++) depth[s] = depth[parents[s]] + 1;
        return depth;
    }

    internal sealed class Snapshot
    {
        public required SampleType[] SampleTypes;
        public int DefaultSampleTypeIndex;
        public SampleType? PeriodType;
        public long Period, TimeNanos, DurationNanos;
        public required string[] Comments;
        public required string DropFrames, KeepFrames, Name;
        public required Mapping[] Mappings;
        public required Function[] Functions;
        public required Location[] Locations;
        public required int[] StackLocation, StackParent, StackDepth;
        public int StackCount;
        public required Label[][] LabelSets;
        public required ThreadInfo[] Threads;
        public required int[] SampleStacks;
        public long[]? Values;
        public DerivedValues? DerivedValues;
        public int[]? SampleLabels;
        public SampleTimestamps? Timestamps;
        public SampleThreads? SampleThreads;
        public int SampleCount;
    }

    private readonly struct LabelSetKey(Label[] labels) : IEquatable<LabelSetKey>
    {
        private readonly Label[] _labels = labels;
        public bool Equals(LabelSetKey other) => ((ReadOnlySpan<Label>)_labels).SequenceEqual(other._labels);
        public override bool Equals(object? obj) => obj is LabelSetKey k && Equals(k);
        public override int GetHashCode()
        {
            var h = new HashCode();
            foreach (var l in _labels) h.Add(l);
            return h.ToHashCode();
        }
    }
}

/// <summary>A minimal growable array (a List without bounds checks on the hot path and with padding).</summary>
internal struct GrowArray<T>(int capacity)
{
    private T[] _items = capacity == 0 ? [] : new T[capacity];
    private int _count;

    public readonly int Count => _count;
    public readonly T this[int i] => _items[i];

    public void Add(T item)
    {
        if (_count == _items.Length) Grow(_count + 1);
        _items[_count++] = item;
    }

    public void AddRange(ReadOnlySpan<T> items)
    {
        if (_count + items.Length > _items.Length) Grow(_count + items.Length);
        items.CopyTo(_items.AsSpan(_count));
        _count += items.Length;
    }

    public void EnsureCapacity(int capacity)
    {
        if (capacity > _items.Length) Array.Resize(ref _items, capacity);
    }

    public void PadTo(int count, T value = default!)
    {
        while (_count < count) Add(value);
    }

    private void Grow(int min)
    {
        // Doubling while small; by half beyond a million items, so the slack and the old+new copy during a
        // grow stay smaller for huge profiles (tens of millions of samples).
        long grown = _items.Length < (1 << 20) ? _items.Length * 2L : _items.Length + _items.Length / 2L;
        int cap = (int)Math.Min(Array.MaxLength, Math.Max(min, Math.Max(16, grown)));
        Array.Resize(ref _items, cap);
    }

    public readonly T[] ToArray() => _items.AsSpan(0, _count).ToArray();

    public readonly ReadOnlySpan<T> AsSpan() => _items.AsSpan(0, _count);

    /// <summary>The items, writable in place (valid until the next Add).</summary>
    public readonly Span<T> AsWritableSpan() => _items.AsSpan(0, _count);

    /// <summary>Drops the items from <paramref name="count"/> on (the array keeps its size).</summary>
    public void Truncate(int count) => _count = Math.Min(_count, count);

    /// <summary>
    /// The backing array itself (its length may exceed <see cref="Count"/>), for a builder that is done:
    /// per-sample arrays are handed to the profile without a copy, so building a huge profile does not
    /// need twice its memory at the end.
    /// </summary>
    public readonly T[] Detach() => _items;
}

/// <summary>
/// An open-addressing hash map from a (parent, callee) stack key to a stack node id, with linear probing over
/// one array of 12-byte entries, kept at most half full. Node ids are never 0 (0 is the empty stack), so a
/// value of 0 marks a free slot.
/// </summary>
/// <remarks>
/// Big profiles have millions of stack nodes, and a well-mixed hash makes every insert touch a random cache
/// line and page of a table of hundreds of megabytes. Instead, children of a parent created after the
/// first <see cref="LocalAfter"/> nodes get the home slot <c>2 * parent</c> with its low 10 bits scrambled
/// by the callee: node ids are given out in creation order and a new stack mostly extends the node created
/// just before it, so inserts walk the table nearly sequentially. The first nodes are the ones near the
/// roots, which have many children each (hundreds of callees under <c>main</c>); they keep a well-mixed
/// hash so they do not pile up in one window, and <see cref="FrameTrie"/> keeps them in a second, small
/// table that stays in cache, since nearly every sample starts with them. The kind of home slot is remembered in bit 30 of the stored
/// value, so the table can grow without consulting the trie. On a 1M-sample pprof (13M nodes) this took
/// about a third less CPU time than a well-mixed hash alone (which in turn replaced a Dictionary whose
/// long hash, low ^ high, collided badly).
/// </remarks>
internal struct StackInternTable
{
    /// <summary>Parents with an id at least this use the locality-preserving home slot.</summary>
    public const int LocalAfter = 4096;
    private const int LocalFlag = 1 << 30;
    private const int IdMask = LocalFlag - 1;

    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    private struct Entry
    {
        public long Key;
        public int Value;
    }

    private Entry[] _entries;
    private int _count;
    private int _shift;

    public StackInternTable(int capacity)
    {
        int bits = 4;
        while ((1 << bits) < capacity * 2 && bits < 30) bits++;
        _entries = new Entry[1 << bits];
        FlameKit.Formats.Internal.HugePages.Advise(_entries);
        FlameKit.Formats.Internal.FreshMemory.Prefault(_entries);
        _shift = 64 - bits;
    }

    /// <summary>Number of keys held.</summary>
    public readonly int Count => _count;

    /// <summary>Grows the table (once) so that <paramref name="keys"/> keys fit without regrowth.</summary>
    public void EnsureCapacity(int keys)
    {
        int size = _entries.Length;
        while ((size >> 1) < keys && size < (1 << 28)) size <<= 1;
        if (size != _entries.Length) Resize(size);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static int Home(long key, bool local, int mask, int shift)
    {
        if (!local) return (int)(((ulong)key * 0x9E3779B97F4A7C15UL) >> shift);
        uint parent = (uint)(key >> 32), callee = (uint)key;
        uint scramble = (callee * 0x9E3779B1u) >> 22; // 10 well-mixed bits of the callee
        return (int)(((parent << 1) ^ scramble) & (uint)mask);
    }

    /// <summary>
    /// Finds <paramref name="key"/>, or adds it with <paramref name="newId"/>.
    /// </summary>
    /// <param name="key">(parent &lt;&lt; 32) | callee.</param>
    /// <param name="local">Whether to use the locality-preserving home slot (see <see cref="LocalAfter"/>); must be the same every time for a key.</param>
    /// <param name="newId">The id to store when the key is new (non-zero, below 2^30).</param>
    /// <param name="added">True when the key was added.</param>
    /// <returns>The key's id.</returns>
    public int GetOrAdd(long key, bool local, int newId, out bool added)
    {
        if (_count >= _entries.Length >> 1) Grow();
        var entries = _entries;
        int mask = entries.Length - 1;
        int i = Home(key, local, mask, _shift);
        while (true)
        {
            ref Entry e = ref entries[i];
            if (e.Value == 0)
            {
                if ((uint)newId > IdMask || newId == 0) throw new InvalidOperationException("too many stack nodes");
                e.Key = key;
                e.Value = newId | (local ? LocalFlag : 0);
                _count++;
                added = true;
                return newId;
            }
            if (e.Key == key)
            {
                added = false;
                return e.Value & IdMask;
            }
            i = (i + 1) & mask;
        }
    }

    private void Grow() => Resize(_entries.Length * 2);

    private void Resize(int size)
    {
        var old = _entries;
        var entries = new Entry[size];
        FlameKit.Formats.Internal.HugePages.Advise(entries);
        FlameKit.Formats.Internal.FreshMemory.Prefault(entries);
        int shift = 64 - System.Numerics.BitOperations.Log2((uint)size);
        int mask = entries.Length - 1;
        foreach (var e in old)
        {
            if (e.Value == 0) continue;
            int i = Home(e.Key, (e.Value & LocalFlag) != 0, mask, shift);
            while (entries[i].Value != 0) i = (i + 1) & mask;
            entries[i] = e;
        }
        _entries = entries;
        _shift = shift;
    }
}

/// <summary>
/// The hash table of <see cref="ProfileBuilder.FirstChildIndex"/> mode: stack nodes that are not their
/// parent's first child, found by (parent, callee). Open addressing with linear probing, kept at most half
/// full, like <see cref="StackInternTable"/>, but a slot holds only the node id (4 bytes instead of 12):
/// the key is checked against the trie's own parent and location columns. On a 500 MB Chrome trace
/// (1.5 M such nodes) the table takes 16 MB instead of 48 MB, and its last doubling 24 MB less. The cost
/// is one more memory access per probe, into columns that the caller is filling anyway.
/// </summary>
internal struct NodeInternTable
{
    private int[] _slots;
    private int _count;
    private int _shift;

    public NodeInternTable(int capacity)
    {
        int bits = 4;
        while ((1 << bits) < capacity * 2 && bits < 30) bits++;
        _slots = new int[1 << bits];
        _shift = 64 - bits;
    }

    /// <summary>Number of nodes held.</summary>
    public readonly int Count => _count;

    private static int Home(int parent, int callee, int shift) =>
        (int)(((((ulong)(uint)parent << 32) | (uint)callee) * 0x9E3779B97F4A7C15UL) >> shift);

    /// <summary>Finds the child of <paramref name="parent"/> at <paramref name="callee"/>, or adds <paramref name="newId"/> for it.</summary>
    /// <param name="parent">The parent node.</param>
    /// <param name="callee">The child's location.</param>
    /// <param name="newId">The id to store when there is no such child (non-zero); the caller adds it to the columns next.</param>
    /// <param name="location">The trie's location column (every id held is below its length).</param>
    /// <param name="parents">The trie's parent column.</param>
    /// <param name="added">True when <paramref name="newId"/> was added.</param>
    /// <returns>The child's id.</returns>
    public int GetOrAdd(int parent, int callee, int newId, ReadOnlySpan<int> location, ReadOnlySpan<int> parents, out bool added)
    {
        if (_count >= _slots.Length >> 1) Grow(location, parents);
        var slots = _slots;
        int mask = slots.Length - 1;
        int i = Home(parent, callee, _shift);
        while (true)
        {
            int id = slots[i];
            if (id == 0)
            {
                if (newId == 0) throw new InvalidOperationException("too many stack nodes");
                slots[i] = newId;
                _count++;
                added = true;
                return newId;
            }
            if (parents[id] == parent && location[id] == callee)
            {
                added = false;
                return id;
            }
            i = (i + 1) & mask;
        }
    }

    private void Grow(ReadOnlySpan<int> location, ReadOnlySpan<int> parents)
    {
        var slots = new int[_slots.Length * 2];
        int shift = _shift - 1;
        int mask = slots.Length - 1;
        foreach (int id in _slots)
        {
            if (id == 0) continue;
            int i = Home(parents[id], location[id], shift);
            while (slots[i] != 0) i = (i + 1) & mask;
            slots[i] = id;
        }
        _slots = slots;
        _shift = shift;
    }
}
