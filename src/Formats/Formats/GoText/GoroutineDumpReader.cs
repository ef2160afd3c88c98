using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FlameKit.Formats.Internal;
using static FlameKit.Formats.GoText.GoTextSyntax;

namespace FlameKit.Formats.GoText;

/// <summary>
/// Reads Go goroutine dumps: <c>/debug/pprof/goroutine?debug=2</c>, and the tracebacks a Go program
/// prints when it panics or gets SIGQUIT. Each <c>goroutine ID [STATE, WAIT, locked to thread]:</c>
/// block lists frames as pairs of lines, <c>pkg.func(args)</c> then <c>\tfile:line +0xOFF</c>, and may end
/// with <c>created by pkg.func [in goroutine N]</c> (and its file line) or <c>...additional frames elided...</c>.
/// </summary>
/// <remarks>
/// <para>Goroutines with the same stack and the same labels are aggregated into one sample of type
/// goroutine/count (what <c>?debug=1</c> reports). Labels: <c>state</c> (e.g. <c>chan receive</c>),
/// <c>wait</c> (e.g. <c>3 minutes</c>, when Go printed one), <c>created_by</c> (the creating function; the
/// creator's goroutine id is dropped so that it does not split samples), <c>locked_to_thread</c> and
/// <c>frames_elided</c> (<c>true</c> when present). With <see cref="ReadOptions.GoroutineStateAsRootFrame"/>
/// the state also becomes the root frame, e.g. <c>[chan receive]</c>.</para>
/// <para>Frames have no addresses (the dump has none; <c>+0xOFF</c> is relative to the function entry), so
/// locations hold only lines. Inlined calls, printed with <c>(...)</c> arguments and no offset, are joined
/// with the frame below them into one location with several lines, innermost first, as in
/// <c>profile.proto</c>. Generic (<c>Map[...]</c>) and closure (<c>func1.2</c>) names are kept as printed.</para>
/// <para>Lines before the first goroutine (a panic message, <c>SIGQUIT: quit</c>) become
/// <see cref="Profile.Comments"/> (at most <see cref="MaxComments"/>); other unrecognised lines are skipped
/// and reported through <see cref="ReadOptions.Diagnostics"/>. A dump cut off mid-goroutine keeps the frames
/// read so far. Input with no goroutine at all is an error.</para>
/// </remarks>
public sealed class GoroutineDumpReader : IProfileReader
{
    /// <summary>The most leading lines kept as comments.</summary>
    public const int MaxComments = 64;

    /// <summary>The format description.</summary>
    public static ProfileFormat GoroutineDumpFormat { get; } = new("gostack",
        "Go goroutine dump (?debug=2, panic or SIGQUIT traceback)", [".debug2.txt", ".txt"]);

    /// <inheritdoc/>
    public ProfileFormat Format => GoroutineDumpFormat;

    /// <inheritdoc/>
    public Detection Detect(ReadOnlySpan<byte> head, bool isComplete)
    {
        head = SkipBom(head);
        int lines = 0;
        while (!head.IsEmpty && lines < 2000)
        {
            int nl = head.IndexOf((byte)'\n');
            if (nl < 0 && !isComplete) break;
            var line = TrimEnd(nl < 0 ? head : head[..nl]);
            head = nl < 0 ? default : head[(nl + 1)..];
            lines++;
            if (line.IndexOf((byte)0) >= 0) return Detection.No;
            if (TryParseHeader(line, out _, out _)) return Detection.Yes;
        }
        return Detection.No;
    }

    /// <summary>Parses <c>goroutine 18 [chan receive, 3 minutes]:</c>, returning the bracket's content.</summary>
    internal static bool TryParseHeader(ReadOnlySpan<byte> line, out long id, out ReadOnlySpan<byte> status)
    {
        id = 0; status = default;
        if (!line.StartsWith("goroutine "u8)) return false;
        var s = line["goroutine "u8.Length..];
        int n = ParseInt(s, out id);
        if (n == 0 || id < 0 || n >= s.Length || s[n] != (byte)' ') return false;
        s = s[n..];
        if (!s.EndsWith("]:"u8)) return false;
        int open = s.IndexOf((byte)'['); // newer Go may print "gp=0x… m=0 mp=0x…" before it
        if (open < 0) return false;
        status = s[(open + 1)..^2];
        return true;
    }

    /// <inheritdoc/>
    public Profile Read(Stream input, ReadOptions options)
    {
        var p = new Parser(options);
        Feed(input, p);
        return p.Finish();
    }

    private readonly record struct Frame(FunctionId Function, long Line, bool Inlined);

    private sealed class Parser : ILineParser
    {
        private const string F = "gostack";
        private readonly ReadOptions _options;
        private readonly ProfileBuilder _b = new([new SampleType("goroutine", "count")]);
        private readonly bool _stateRoot;
        private readonly Dictionary<UInt128, string> _names = new();
        private readonly Dictionary<UInt128, int> _frameIndex = new();
        private readonly List<Frame> _frames = [];
        private readonly Dictionary<(string State, string Wait, string Creator, bool Locked, bool Elided), LabelSetId> _labelSets = new();
        private readonly Dictionary<string, LocationId> _stateFrames = new(ReferenceEqualityComparer.Instance as IEqualityComparer<string>);
        private readonly Dictionary<UInt128, int> _sampleIndex = new();
        private GrowArray<int> _sampleStack = new(256);
        private GrowArray<int> _sampleLabels = new(256);
        private readonly List<long> _sampleCounts = new(256);
        private readonly List<int> _stack = new(128);
        private readonly List<LocationId> _locs = new(128);
        private readonly List<Line> _lineScratch = new(8);

        // The goroutine being read.
        private bool _inGoroutine, _any;
        private string _state = "", _wait = "", _creator = "";
        private bool _locked, _elided, _expectCreatorFile;
        private UInt128 _pendingName;   // hash of a function line waiting for its file line
        private bool _hasPending, _pendingInlined;
        private long _ignored, _firstIgnored, _goroutines;

        public Parser(ReadOptions options)
        {
            _options = options;
            _stateRoot = options.GoroutineStateAsRootFrame;
            _b.PeriodType = new SampleType("goroutine", "count");
            _b.Period = 1;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void AddLine(ReadOnlySpan<byte> line, long lineNo)
        {
            if (line.IsEmpty) { EndGoroutine(); return; }
            byte c = line[0];
            if (c == (byte)'\t' && _inGoroutine)
            {
                FileLine(line[1..], lineNo);
                return;
            }
            if (c == (byte)'g' && TryParseHeader(line, out _, out var status))
            {
                EndGoroutine();
                StartGoroutine(status);
                return;
            }
            if (!_inGoroutine)
            {
                if (!_any && _b.Comments.Count < MaxComments) _b.Comments.Add(System.Text.Encoding.UTF8.GetString(line));
                else Ignore(lineNo);
                return;
            }
            FlushPendingWithoutFile();
            if (line.StartsWith("created by "u8))
            {
                var name = line["created by "u8.Length..];
                int inG = name.IndexOf(" in goroutine "u8);
                if (inG >= 0) name = name[..inG];
                _creator = Name(Trim(name));
                _expectCreatorFile = true;
                return;
            }
            if (line.StartsWith("...additional frames elided..."u8)) { _elided = true; return; }
            int paren = line.LastIndexOf((byte)'(');
            if (paren <= 0) { Ignore(lineNo); return; }
            var fn = line[..paren];
            _pendingName = StackHash.Hash(fn);
            // Keep the name's bytes: the line buffer moves on, and the name is decoded only for a new frame.
            if (_pendingBytes.Length < fn.Length) _pendingBytes = new byte[Math.Max(fn.Length, 2 * _pendingBytes.Length)];
            fn.CopyTo(_pendingBytes);
            _pendingLength = fn.Length;
            _pendingInlined = line[paren..].SequenceEqual("(...)"u8);
            _hasPending = true;
        }

        private byte[] _pendingBytes = new byte[256];
        private int _pendingLength;

        private string PendingName()
        {
            ref var s = ref CollectionsMarshal.GetValueRefOrAddDefault(_names, _pendingName, out bool exists);
            if (!exists) s = _b.Strings.InternUtf8(_pendingBytes.AsSpan(0, _pendingLength));
            return s!;
        }

        private string Name(ReadOnlySpan<byte> name)
        {
            var h = StackHash.Hash(name);
            ref var s = ref CollectionsMarshal.GetValueRefOrAddDefault(_names, h, out bool exists);
            if (!exists) s = _b.Strings.InternUtf8(name);
            return s!;
        }

        private void StartGoroutine(ReadOnlySpan<byte> status)
        {
            _inGoroutine = true;
            _any = true;
            _goroutines++;
            _stack.Clear();
            _wait = ""; _creator = ""; _locked = false; _elided = false; _expectCreatorFile = false; _hasPending = false;
            int comma = status.IndexOf(", "u8);
            _state = Name(comma < 0 ? status : status[..comma]);
            while (comma >= 0)
            {
                status = status[(comma + 2)..];
                comma = status.IndexOf(", "u8);
                var part = comma < 0 ? status : status[..comma];
                if (part.SequenceEqual("locked to thread"u8)) _locked = true;
                else if (part.Length > 0 && IsDigit(part[0])) _wait = Name(part);
                // Anything else (newer runtimes' annotations) is dropped.
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void FileLine(ReadOnlySpan<byte> s, long lineNo)
        {
            if (_expectCreatorFile) { _expectCreatorFile = false; return; }
            if (!_hasPending)
            {
                // "\tgoroutine running on other thread; stack unavailable" and the like.
                if (s.IndexOf("stack unavailable"u8) < 0) Ignore(lineNo);
                return;
            }
            _hasPending = false;
            bool hasOffset = false;
            int off = s.LastIndexOf(" +0x"u8);
            if (off >= 0) { s = s[..off]; hasOffset = true; }
            else
            {
                int fp = s.IndexOf(" fp="u8); // GOTRACEBACK=system adds frame and stack pointers
                if (fp >= 0) s = s[..fp];
            }
            bool inlined = _pendingInlined && !hasOffset;
            // Key on the raw "file:line" bytes: the line number is parsed only for a new frame.
            var key = StackHash.Hash(s) ^ (_pendingName * 0x9E3779B97F4A7C15UL) ^ (inlined ? UInt128.One : UInt128.Zero);
            ref int idx = ref CollectionsMarshal.GetValueRefOrAddDefault(_frameIndex, key, out bool exists);
            if (!exists)
            {
                if (!SplitFileLine(s, out var file, out long line)) { file = s; line = 0; }
                string name = PendingName();
                string fileName = _b.Strings.InternUtf8(file);
                idx = _frames.Count;
                _frames.Add(new Frame(_b.AddFunction(name, name, fileName), line, inlined));
            }
            _stack.Add(idx);
        }

        /// <summary>A function line whose file line never came (a truncated dump): keep it without a file.</summary>
        private void FlushPendingWithoutFile()
        {
            if (!_hasPending) return;
            _hasPending = false;
            var key = _pendingName ^ (UInt128.One << 100);
            ref int idx = ref CollectionsMarshal.GetValueRefOrAddDefault(_frameIndex, key, out bool exists);
            if (!exists)
            {
                string name = PendingName();
                idx = _frames.Count;
                _frames.Add(new Frame(_b.AddFunction(name, name), 0, false));
            }
            _stack.Add(idx);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void EndGoroutine()
        {
            if (!_inGoroutine) return;
            FlushPendingWithoutFile();
            _inGoroutine = false;
            var labelKey = (_state, _wait, _creator, _locked, _elided);
            ref var labels = ref CollectionsMarshal.GetValueRefOrAddDefault(_labelSets, labelKey, out bool known);
            if (!known) labels = MakeLabels();
            var key = StackHash.Hash(MemoryMarshal.AsBytes(CollectionsMarshal.AsSpan(_stack))) ^ ((UInt128)(uint)labels.Index << 64);
            ref int sample = ref CollectionsMarshal.GetValueRefOrAddDefault(_sampleIndex, key, out bool exists);
            if (exists) { CollectionsMarshal.AsSpan(_sampleCounts)[sample]++; return; }
            sample = _sampleCounts.Count;
            _sampleStack.Add(BuildStack().Index);
            _sampleLabels.Add(labels.Index);
            _sampleCounts.Add(1);
        }

        private LabelSetId MakeLabels()
        {
            var l = new List<Label>(5) { new Label("state", _state) };
            if (_wait.Length > 0) l.Add(new Label("wait", _wait));
            if (_creator.Length > 0) l.Add(new Label("created_by", _creator));
            if (_locked) l.Add(new Label("locked_to_thread", "true"));
            if (_elided) l.Add(new Label("frames_elided", "true"));
            return _b.AddLabelSet(CollectionsMarshal.AsSpan(l));
        }

        /// <summary>Turns the goroutine's frames (innermost first) into locations, joining inlined frames.</summary>
        private StackId BuildStack()
        {
            _locs.Clear();
            _lineScratch.Clear();
            foreach (int fi in _stack)
            {
                var f = _frames[fi];
                _lineScratch.Add(new Line(f.Function, f.Line));
                if (f.Inlined) continue; // joins the next (calling) frame's location
                _locs.Add(_b.AddLocation(0, MappingId.None, CollectionsMarshal.AsSpan(_lineScratch)));
                _lineScratch.Clear();
            }
            if (_lineScratch.Count > 0) _locs.Add(_b.AddLocation(0, MappingId.None, CollectionsMarshal.AsSpan(_lineScratch)));
            if (_stateRoot)
            {
                ref var root = ref CollectionsMarshal.GetValueRefOrAddDefault(_stateFrames, _state, out bool exists);
                if (!exists) root = _b.AddFrame("[" + _state + "]");
                _locs.Add(root);
            }
            return _b.StackFromLeafFirst(CollectionsMarshal.AsSpan(_locs));
        }

        private void Ignore(long lineNo)
        {
            if (_ignored++ == 0) _firstIgnored = lineNo;
        }

        public Profile Finish()
        {
            EndGoroutine();
            if (!_any)
                throw new ProfileFormatException(F, "no goroutine found: expected 'goroutine ID [STATE]:' followed by its stack",
                    _ignored > 0 ? _firstIgnored : 1);
            if (_ignored > 0)
                _options.Diagnostics?.Invoke(new Diagnostic($"gostack: ignored {_ignored} unrecognised line{(_ignored == 1 ? "" : "s")} (first at line {_firstIgnored})"));
            Span<long> v = stackalloc long[1];
            for (int i = 0; i < _sampleCounts.Count; i++)
            {
                v[0] = _sampleCounts[i];
                _b.AddSample(new StackId(_sampleStack[i]), v, new LabelSetId(_sampleLabels[i]));
            }
            if (_options.SourceName is not null) _b.Name = Path.GetFileName(_options.SourceName);
            return _b.Build();
        }
    }
}
