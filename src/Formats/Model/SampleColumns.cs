namespace FlameKit;

/// <summary>
/// Per-sample timestamps in about half the memory of a <see cref="long"/> each: samples come in blocks of
/// 256, each block keeps its first timestamp as a <see cref="long"/> and every sample its offset from it as
/// an <see cref="int"/> (±2.1 s in nanoseconds). Timelines (Chrome traces, evented speedscope profiles, V8
/// CPU profiles) have millions of samples a few microseconds apart, so a 500 MB trace's 9 M timestamps take
/// 37 MB instead of 73 MB. A timestamp whose offset does not fit (the first samples of the next thread in
/// a block, a long pause) is kept aside as an exception; when exceptions get common the column switches to
/// plain longs for good. Append-only while a <see cref="ProfileBuilder"/> fills it, then read-only inside
/// a <see cref="Profile"/>.
/// </summary>
internal sealed class SampleTimestamps
{
    private const int BlockBits = 8;
    private const int Exception = int.MinValue;
    private GrowArray<long> _bases = new(0);
    private GrowArray<int> _offsets = new(0);
    private Dictionary<int, long> _exceptions = [];
    private GrowArray<long> _wide = new(0);
    private bool _isWide;

    /// <summary>Number of timestamps.</summary>
    public int Count => _isWide ? _wide.Count : _offsets.Count;

    /// <summary>The timestamp of sample <paramref name="sample"/>.</summary>
    public long this[int sample]
    {
        get
        {
            if (_isWide) return _wide[sample];
            int offset = _offsets[sample];
            return offset != Exception ? _bases[sample >> BlockBits] + offset : _exceptions[sample];
        }
    }

    /// <summary>Appends a timestamp.</summary>
    public void Add(long timestamp)
    {
        if (_isWide) { _wide.Add(timestamp); return; }
        int n = _offsets.Count;
        if ((n & ((1 << BlockBits) - 1)) == 0) _bases.Add(timestamp);
        long offset = timestamp - _bases[n >> BlockBits];
        if (offset == (int)offset && offset != Exception) { _offsets.Add((int)offset); return; }
        if (_exceptions.Count >= 4096 && _exceptions.Count > n / 16)
        {
            Widen();
            _wide.Add(timestamp);
            return;
        }
        _exceptions.Add(n, timestamp);
        _offsets.Add(Exception);
    }

    /// <summary>Appends zeros up to <paramref name="count"/> timestamps.</summary>
    public void PadTo(int count)
    {
        while (Count < count) Add(0);
    }

    /// <summary>Reserves room for <paramref name="count"/> timestamps.</summary>
    public void EnsureCapacity(int count)
    {
        if (_isWide) { _wide.EnsureCapacity(count); return; }
        _offsets.EnsureCapacity(count);
        _bases.EnsureCapacity((count >> BlockBits) + 1);
    }

    private void Widen()
    {
        int n = _offsets.Count;
        var wide = new GrowArray<long>(Math.Max(16, n + n / 2));
        for (int i = 0; i < n; i++) wide.Add(this[i]);
        _wide = wide;
        _isWide = true;
        _offsets = new(0);
        _bases = new(0);
        _exceptions = [];
    }
}

/// <summary>
/// The thread of each sample, stored as runs (first sample, thread) while samples come thread by thread,
/// as timeline readers add them: a 9 M-sample trace of 8 threads takes 8 runs instead of 36 MB. Once runs
/// get short (more than one per 4 samples, e.g. perf samples interleaving threads) the column switches to
/// one <see cref="int"/> per sample for good. Append-only while a <see cref="ProfileBuilder"/> fills it,
/// then read-only inside a <see cref="Profile"/>.
/// </summary>
internal sealed class SampleThreads
{
    private GrowArray<int> _runStart = new(0);
    private GrowArray<int> _runThread = new(0);
    private GrowArray<int> _plain = new(0);
    private bool _isPlain;
    private int _count;
    private int _lastRun; // the run of the last lookup: readers go through samples in order

    /// <summary>Number of samples.</summary>
    public int Count => _count;

    /// <summary>The thread index of sample <paramref name="sample"/> (-1: none).</summary>
    public int this[int sample]
    {
        get
        {
            if (_isPlain) return _plain[sample];
            int runs = _runStart.Count;
            int k = _lastRun; // a stale value from another reader is still a valid run index, checked below
            if (k >= runs || _runStart[k] > sample || k + 1 < runs && _runStart[k + 1] <= sample)
            {
                int lo = 0, hi = runs - 1;
                while (lo < hi)
                {
                    int mid = (lo + hi + 1) >> 1;
                    if (_runStart[mid] <= sample) lo = mid; else hi = mid - 1;
                }
                _lastRun = k = lo;
            }
            return _runThread[k];
        }
    }

    /// <summary>Appends the thread of the next sample.</summary>
    public void Add(int thread)
    {
        if (_isPlain) { _plain.Add(thread); _count++; return; }
        int runs = _runThread.Count;
        if (runs == 0 || _runThread[runs - 1] != thread)
        {
            if (runs >= 64 && runs > _count / 4)
            {
                ToPlain();
                _plain.Add(thread);
                _count++;
                return;
            }
            _runStart.Add(_count);
            _runThread.Add(thread);
        }
        _count++;
    }

    /// <summary>Appends <paramref name="thread"/> up to <paramref name="count"/> samples.</summary>
    public void PadTo(int count, int thread)
    {
        while (_count < count) Add(thread);
    }

    private void ToPlain()
    {
        var plain = new GrowArray<int>(Math.Max(16, _count + _count / 2));
        for (int i = 0; i < _count; i++) plain.Add(this[i]);
        _plain = plain;
        _isPlain = true;
        _runStart = new(0);
        _runThread = new(0);
    }
}

/// <summary>
/// A one-type value column that is not stored: the value of sample <c>i</c> is the timestamp of sample
/// <c>i + 1</c> minus its own, as for the samples a timeline (Chrome trace events, evented speedscope
/// profiles) is cut into, where each interval ends where the next one starts. A 500 MB trace's 9 M values
/// would take 73 MB as <see cref="long"/>s. Samples whose value is not that difference (the last sample of
/// each thread, whose successor starts another thread's timeline) keep theirs as exceptions, marked in a
/// bitmap so that reading a value costs no hash lookup. Filled by <see cref="ProfileBuilder"/> one sample
/// behind: a sample's value can only be checked once the next timestamp is known.
/// </summary>
internal sealed class DerivedValues(SampleTimestamps timestamps)
{
    private readonly Dictionary<int, long> _exceptions = [];
    private GrowArray<ulong> _isException = new(0);
    private long _pending;
    private int _count;
    private bool _finished;

    /// <summary>Number of values.</summary>
    public int Count => _count;

    /// <summary>Number of values kept as exceptions.</summary>
    public int ExceptionCount => _exceptions.Count;

    /// <summary>The value of sample <paramref name="sample"/> (only after <see cref="Finish"/>).</summary>
    public long this[int sample]
    {
        get
        {
            if ((_isException[sample >> 6] & (1UL << sample)) != 0) return _exceptions[sample];
            return timestamps[sample + 1] - timestamps[sample];
        }
    }

    /// <summary>
    /// Appends the value of the sample whose timestamp was just appended to the timestamp column (which
    /// therefore holds <see cref="Count"/> + 1 timestamps).
    /// </summary>
    public void Add(long value)
    {
        int n = _count;
        if ((n & 63) == 0) _isException.Add(0);
        if (n > 0 && _pending != timestamps[n] - timestamps[n - 1]) MarkException(n - 1, _pending);
        _pending = value;
        _count = n + 1;
    }

    /// <summary>Ends the column: the last value has no successor and is kept as an exception.</summary>
    public void Finish()
    {
        if (_finished || _count == 0) { _finished = true; return; }
        MarkException(_count - 1, _pending);
        _finished = true;
    }

    /// <summary>Reserves room for the bitmap of <paramref name="count"/> samples.</summary>
    public void EnsureCapacity(int count) => _isException.EnsureCapacity((count >> 6) + 1);

    private void MarkException(int sample, long value)
    {
        _exceptions[sample] = value;
        _isException.AsWritableSpan()[sample >> 6] |= 1UL << sample;
    }
}
