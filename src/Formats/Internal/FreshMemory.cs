using System.Runtime.CompilerServices;

namespace FlameKit.Formats.Internal;

/// <summary>
/// Touches a freshly allocated hash table's pages by writing, before it is probed.
/// </summary>
/// <remarks>
/// A probe reads a slot before it writes it, and the first read of a fresh page maps the shared zero page;
/// the write that follows faults a second time and, in a process with a second thread, flushes the other
/// core's TLB by interrupt. One write per 4 KB page up front costs one fault instead: on a 100 MB folded file
/// about 3,000 fewer faults and 15-20 ms less (`/usr/bin/time -f "%e %R"`, six alternating pairs). Tables of
/// 16 MB and more are left alone: they are advised to use 2 MB pages (<see cref="HugePages"/>) and may be
/// presized beyond what is used.
/// </remarks>
internal static class FreshMemory
{
    private const long Limit = 16 << 20;

    /// <summary>Writes the default value to one element per 4 KB page of <paramref name="array"/>.</summary>
    /// <param name="array">A freshly allocated (all-default) array.</param>
    public static void Prefault<T>(T[] array) where T : unmanaged
    {
        int size = Unsafe.SizeOf<T>();
        if ((long)array.Length * size >= Limit) return;
        int step = Math.Max(1, 4096 / size);
        for (int i = 0; i < array.Length; i += step) array[i] = default;
    }
}
