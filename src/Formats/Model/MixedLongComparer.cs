namespace FlameKit;

/// <summary>
/// Equality for 64-bit keys made of two 32-bit halves (parent, child). <see cref="long.GetHashCode"/> is
/// <c>low ^ high</c>, under which (parent, child) pairs of a big trie collide by the million; this mixes
/// all 64 bits with a multiply instead.
/// </summary>
internal sealed class MixedLongComparer : IEqualityComparer<long>
{
    public static readonly MixedLongComparer Instance = new();

    public bool Equals(long x, long y) => x == y;

    public int GetHashCode(long key) => (int)(((ulong)key * 0x9E3779B97F4A7C15UL) >> 32);
}
