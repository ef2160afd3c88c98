using System.Runtime.CompilerServices;

namespace FlameKit;

/// <summary>
/// A compact open-addressing map from non-zero 64-bit keys to ints (linear probing, power-of-two size).
/// The stack trie interns tens of millions of (parent, location) pairs on big inputs; this uses 16 bytes
/// per slot where <see cref="Dictionary{TKey,TValue}"/> uses about 28 per entry, and rehashes without
/// allocating per-entry objects.
/// </summary>
internal sealed class Int64Map
{
    // Keys and values interleaved so a probe touches one cache line, not two arrays.
    private Entry[] _entries;
    private int _count;
    private int _mask;

    private struct Entry
    {
        public long Key;
        public int Value;
    }

    public Int64Map(int capacity = 256)
    {
        int size = 16;
        while (size < capacity * 2) size <<= 1;
        _entries = new Entry[size];
        _mask = size - 1;
    }

    public int Count => _count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Slot(long key, int mask)
    {
        ulong h = (ulong)key * 0x9E3779B97F4A7C15UL;
        return (int)(h >> 32) & mask;
    }

    /// <summary>Returns a reference to the value for <paramref name="key"/> (which must not be 0), adding a 0 value when absent.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref int GetValueRefOrAddDefault(long key, out bool exists)
    {
        var entries = _entries;
        int i = Slot(key, _mask);
        while (true)
        {
            long k = entries[i].Key;
            if (k == key) { exists = true; return ref entries[i].Value; }
            if (k == 0) break;
            i = (i + 1) & _mask;
        }
        if ((_count + 1) * 4 > entries.Length * 3)
        {
            Grow();
            entries = _entries;
            i = Slot(key, _mask);
            while (entries[i].Key != 0) i = (i + 1) & _mask;
        }
        entries[i].Key = key;
        _count++;
        exists = false;
        return ref entries[i].Value;
    }

    private void Grow()
    {
        var old = _entries;
        var entries = new Entry[old.Length * 2];
        _mask = entries.Length - 1;
        foreach (ref readonly var e in old.AsSpan())
        {
            if (e.Key == 0) continue;
            int i = Slot(e.Key, _mask);
            while (entries[i].Key != 0) i = (i + 1) & _mask;
            entries[i] = e;
        }
        _entries = entries;
    }
}
