using System.Runtime.CompilerServices;

namespace FlameKit.Formats.Internal;

/// <summary>
/// An open-addressing hash table from UTF-8 byte strings to ints that stores each distinct key once in
/// an arena. Text readers use it to map a frame name's bytes straight to its id without decoding the
/// bytes or allocating a string for names already seen.
/// </summary>
internal sealed class Utf8KeyTable
{
    private int[] _slots;          // index into _entries + 1; 0 = empty
    private Entry[] _entries;
    private int _count;
    private byte[] _arena;
    private int _arenaUsed;

    private struct Entry
    {
        public ulong Hash;
        public int Offset;
        public int Length;
        public int Value;
    }

    public Utf8KeyTable(int capacity = 1024)
    {
        int size = 16;
        while (size < capacity * 2) size <<= 1;
        _slots = new int[size];
        _entries = new Entry[capacity];
        _arena = new byte[Math.Max(4096, capacity * 32)];
    }

    public int Count => _count;

    /// <summary>Finds <paramref name="key"/>; returns false (and the slot to fill via <see cref="Add"/>) when absent.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGetValue(ReadOnlySpan<byte> key, out int value, out ulong hash)
    {
        hash = StackHash.Hash64(key);
        int mask = _slots.Length - 1;
        int i = (int)hash & mask;
        while (true)
        {
            int e = _slots[i];
            if (e == 0) { value = 0; return false; }
            ref Entry entry = ref _entries[e - 1];
            if (entry.Hash == hash && _arena.AsSpan(entry.Offset, entry.Length).SequenceEqual(key))
            {
                value = entry.Value;
                return true;
            }
            i = (i + 1) & mask;
        }
    }

    /// <summary>Adds a key known to be absent (after <see cref="TryGetValue"/> returned false with this hash).</summary>
    public void Add(ReadOnlySpan<byte> key, ulong hash, int value)
    {
        if ((_count + 1) * 2 > _slots.Length) Rehash();
        if (_count == _entries.Length) Array.Resize(ref _entries, _entries.Length * 2);
        if (_arenaUsed + key.Length > _arena.Length) Array.Resize(ref _arena, Math.Max(_arena.Length * 2, _arenaUsed + key.Length));
        key.CopyTo(_arena.AsSpan(_arenaUsed));
        _entries[_count] = new Entry { Hash = hash, Offset = _arenaUsed, Length = key.Length, Value = value };
        _arenaUsed += key.Length;
        _count++;
        Insert(_count, hash);
    }

    private void Insert(int entryPlusOne, ulong hash)
    {
        int mask = _slots.Length - 1;
        int i = (int)hash & mask;
        while (_slots[i] != 0) i = (i + 1) & mask;
        _slots[i] = entryPlusOne;
    }

    private void Rehash()
    {
        _slots = new int[_slots.Length * 2];
        for (int e = 0; e < _count; e++) Insert(e + 1, _entries[e].Hash);
    }
}
