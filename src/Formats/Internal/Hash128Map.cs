using System.Runtime.CompilerServices;

namespace FlameKit.Formats.Internal;

/// <summary>
/// An open-addressing map from 128-bit hashes to ints with interleaved entries (one cache line per probe):
/// the folded reader's "have I seen this whole stack line before" table.
/// </summary>
internal sealed class Hash128Map
{
    private Entry[] _entries;
    private int _count;
    private int _mask;

    private struct Entry
    {
        public ulong Lo, Hi;
        public int ValuePlusOne; // 0 = empty slot
    }

    public Hash128Map(int capacity = 1024)
    {
        int size = 16;
        while (size < capacity * 2) size <<= 1;
        _entries = new Entry[size];
        FreshMemory.Prefault(_entries);
        _mask = size - 1;
    }

    public int Count => _count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGetValue(UInt128 key, out int value)
    {
        ulong lo = (ulong)key, hi = (ulong)(key >> 64);
        int i = (int)lo & _mask;
        var entries = _entries;
        while (true)
        {
            ref Entry e = ref entries[i];
            if (e.ValuePlusOne == 0) { value = 0; return false; }
            if (e.Lo == lo && e.Hi == hi) { value = e.ValuePlusOne - 1; return true; }
            i = (i + 1) & _mask;
        }
    }

    /// <summary>Adds a key known to be absent.</summary>
    public void Add(UInt128 key, int value)
    {
        if ((_count + 1) * 4 > _entries.Length * 3) Grow();
        Insert(_entries, _mask, (ulong)key, (ulong)(key >> 64), value + 1);
        _count++;
    }

    private static void Insert(Entry[] entries, int mask, ulong lo, ulong hi, int valuePlusOne)
    {
        int i = (int)lo & mask;
        while (entries[i].ValuePlusOne != 0) i = (i + 1) & mask;
        entries[i] = new Entry { Lo = lo, Hi = hi, ValuePlusOne = valuePlusOne };
    }

    private void Grow()
    {
        var old = _entries;
        var entries = new Entry[old.Length * 2];
        FreshMemory.Prefault(entries);
        int mask = entries.Length - 1;
        foreach (ref readonly var e in old.AsSpan())
            if (e.ValuePlusOne != 0) Insert(entries, mask, e.Lo, e.Hi, e.ValuePlusOne);
        _entries = entries;
        _mask = mask;
    }
}
