namespace FlameKit.Formats.Internal;

/// <summary>
/// Turns open/close events of one thread (speedscope evented profiles, Chrome B/E/X events) into
/// time-ordered samples: between two consecutive event times, the stack of open frames gets one sample
/// whose value is the elapsed time and whose timestamp is the start of that interval. Time with no
/// frame open becomes a sample with the empty stack, so a thread's total is last minus first time, as
/// in speedscope's own importers.
/// </summary>
internal sealed class TimelineStacks(ProfileBuilder builder, ThreadIndex thread, bool timestamps)
{
    private readonly List<(StackId Stack, LocationId Location)> _open = [];
    private readonly long[] _value = new long[1];
    private long _last;
    private bool _started;

    /// <summary>Close events that did not match the innermost open frame.</summary>
    public int Mismatches { get; private set; }

    /// <summary>Frames still open when the timeline finished.</summary>
    public int OpenCount => _open.Count;

    private StackId Top => _open.Count == 0 ? StackId.Empty : _open[^1].Stack;

    /// <summary>Moves time forward to <paramref name="t"/>, emitting the interval since the last event.</summary>
    public void Advance(long t)
    {
        if (!_started) { _started = true; _last = t; return; }
        if (t <= _last) return; // equal times add nothing; earlier times are treated as "now"
        _value[0] = t - _last;
        if (timestamps) builder.AddSample(Top, _value, _last, thread);
        else builder.AddSample(Top, _value, thread: thread);
        _last = t;
    }

    /// <summary>Opens <paramref name="location"/> on top of the open frames at time <paramref name="t"/>.</summary>
    public void Open(LocationId location, long t)
    {
        Advance(t);
        _open.Add((builder.Push(Top, location), location));
    }

    /// <summary>
    /// Closes a frame at time <paramref name="t"/>: the innermost one when <paramref name="location"/> is
    /// null or matches it; otherwise the innermost open frame with that location and everything above it
    /// (counted as a mismatch), or nothing when it is not open (also a mismatch).
    /// </summary>
    public void Close(LocationId? location, long t)
    {
        Advance(t);
        if (_open.Count == 0) { Mismatches++; return; }
        if (location is null || _open[^1].Location == location.Value) { _open.RemoveAt(_open.Count - 1); return; }
        Mismatches++;
        for (int i = _open.Count - 2; i >= 0; i--)
        {
            if (_open[i].Location == location.Value)
            {
                _open.RemoveRange(i, _open.Count - i);
                return;
            }
        }
    }

    /// <summary>Ends the timeline at <paramref name="t"/> (frames still open are closed there).</summary>
    public void Finish(long t)
    {
        Advance(t);
        _open.Clear();
    }
}
