using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FlameKit.Formats.Internal;

/// <summary>
/// Asks Linux to back a large, randomly accessed array with 2 MB pages (<c>madvise(MADV_HUGEPAGE)</c>), for
/// systems whose transparent huge pages are in "madvise" mode (the default of many distributions).
/// </summary>
/// <remarks>
/// The stack-interning tables of a big profile are hundreds of megabytes probed at scattered offsets; with
/// 4 KB pages nearly every probe also misses the TLB, which costs a page walk on top of the cache miss (more
/// so in a virtual machine). Only the whole 2 MB blocks inside the array are advised, and only pages not
/// touched yet are affected, so this is called right after allocation. A hint: failure is ignored, and
/// other systems are left alone.
/// </remarks>
internal static partial class HugePages
{
    private const int MadvHugePage = 14;
    private const long HugePageSize = 2 << 20;
    private const long MinBytes = 16 << 20;
    private static bool s_unavailable = !OperatingSystem.IsLinux();

    /// <summary>Advises the array's memory; does nothing for arrays under 16 MB.</summary>
    /// <param name="array">A freshly allocated array.</param>
    public static unsafe void Advise<T>(T[] array) where T : unmanaged
    {
        long bytes = (long)array.Length * Unsafe.SizeOf<T>();
        if (s_unavailable || bytes < MinBytes) return;
        try
        {
            fixed (T* p = array)
            {
                long start = ((long)p + HugePageSize - 1) & ~(HugePageSize - 1);
                long end = ((long)p + bytes) & ~(HugePageSize - 1);
                if (end > start) _ = Madvise((nint)start, (nuint)(end - start), MadvHugePage);
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            s_unavailable = true;
        }
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);
}
