namespace FlameKit.Formats.Internal;

/// <summary>
/// An append-only list stored in fixed-size chunks: growing it never copies what is there and never
/// holds an old and a new array at once, so a list of millions of records costs its records, not up to
/// three times that as a doubling <see cref="List{T}"/> does while it grows.
/// </summary>
/// <typeparam name="T">The record type.</typeparam>
internal sealed class ChunkedList<T>
{
    private const int ChunkBits = 16;
    private const int ChunkSize = 1 << ChunkBits;
    private readonly List<T[]> _chunks = [];
    private T[]? _last;
    private int _lastCount = ChunkSize;

    /// <summary>Number of records.</summary>
    public int Count { get; private set; }

    /// <summary>Appends a record.</summary>
    public void Add(in T item)
    {
        if (_lastCount == ChunkSize)
        {
            // The first chunk starts small: most lists (threads with a few events) stay tiny.
            _last = new T[_chunks.Count == 0 ? 64 : ChunkSize];
            _chunks.Add(_last);
            _lastCount = 0;
        }
        else if (_lastCount == _last!.Length)
        {
            Array.Resize(ref _last, Math.Min(ChunkSize, _last.Length * 4));
            _chunks[^1] = _last;
        }
        _last[_lastCount++] = item;
        Count++;
    }

    /// <summary>The record at <paramref name="index"/>.</summary>
    public ref readonly T this[int index] => ref _chunks[index >> ChunkBits][index & (ChunkSize - 1)];
}
