using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace FlameKit.Formats.Internal;

/// <summary>
/// A fast 128-bit hash of byte strings, used to recognise a folded stack seen before without keeping
/// its bytes: two independent 64-bit lanes over 8-byte words. At 128 bits the chance that two of a
/// million distinct stacks collide is about 10^-27, far below the chance of a memory error, and it
/// saves holding a copy of every distinct line (which for a 600 MB file of distinct stacks would be
/// another 600 MB).
/// </summary>
internal static class StackHash
{
    private const ulong P1 = 0x9E3779B185EBCA87UL;
    private const ulong P2 = 0xC2B2AE3D27D4EB4FUL;
    private const ulong P3 = 0x165667B19E3779F9UL;
    private const ulong P4 = 0x85EBCA77C2B2AE63UL;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static UInt128 Hash(ReadOnlySpan<byte> data)
    {
        ulong a = P3 ^ (ulong)data.Length, b = P4 + (ulong)data.Length;
        int i = 0;
        for (; i + 16 <= data.Length; i += 16)
        {
            ulong x = BinaryPrimitives.ReadUInt64LittleEndian(data[i..]);
            ulong y = BinaryPrimitives.ReadUInt64LittleEndian(data[(i + 8)..]);
            a = BitOperations.RotateLeft((a ^ x) * P1, 31) * P2;
            b = BitOperations.RotateLeft((b ^ y) * P2, 29) * P1;
            a += y;
            b ^= x;
        }
        if (i + 8 <= data.Length)
        {
            ulong x = BinaryPrimitives.ReadUInt64LittleEndian(data[i..]);
            a = BitOperations.RotateLeft((a ^ x) * P1, 31) * P2;
            b ^= x * P3;
            i += 8;
        }
        ulong tail = 0;
        for (int s = 0; i < data.Length; i++, s += 8) tail |= (ulong)data[i] << s;
        a = BitOperations.RotateLeft((a ^ tail) * P1, 27) * P2;
        b = BitOperations.RotateLeft((b ^ tail) * P3, 33) * P4;
        return new UInt128(Mix(a ^ (b >> 17)), Mix(b + a));
    }

    /// <summary>A cheaper 64-bit hash for short keys (frame names) whose equality is checked anyway.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash64(ReadOnlySpan<byte> data)
    {
        ulong h = P3 ^ ((ulong)data.Length * P1);
        int i = 0;
        for (; i + 8 <= data.Length; i += 8)
            h = BitOperations.RotateLeft(h ^ (BinaryPrimitives.ReadUInt64LittleEndian(data[i..]) * P2), 29) * P1;
        ulong tail = 0;
        for (int s = 0; i < data.Length; i++, s += 8) tail |= (ulong)data[i] << s;
        h = BitOperations.RotateLeft(h ^ (tail * P2), 29) * P1;
        return Mix(h);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong h)
    {
        h ^= h >> 33; h *= 0xff51afd7ed558ccdUL;
        h ^= h >> 33; h *= 0xc4ceb9fe1a85ec53UL;
        h ^= h >> 33;
        return h;
    }
}
