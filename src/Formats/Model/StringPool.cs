using System.Buffers;
using System.Text;

namespace FlameKit;

/// <summary>
/// Interns strings so that every distinct name, file or label value is held once, however many frames,
/// samples or lines refer to it. Lookups from <see cref="ReadOnlySpan{T}"/> of chars or UTF-8 bytes do not
/// allocate when the string is already known, which is what keeps text readers fast.
/// </summary>
public sealed class StringPool
{
    private readonly HashSet<string> _set = new(StringComparer.Ordinal);
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    /// <summary>Creates an empty pool.</summary>
    public StringPool() => _lookup = _set.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>Number of distinct strings held.</summary>
    public int Count => _set.Count;

    /// <summary>Returns the pooled instance equal to <paramref name="value"/>.</summary>
    /// <param name="value">The string to intern.</param>
    public string Intern(string value)
    {
        if (value.Length == 0) return "";
        if (_set.TryGetValue(value, out var existing)) return existing;
        _set.Add(value);
        return value;
    }

    /// <summary>Returns the pooled string equal to <paramref name="chars"/>, creating it only when new.</summary>
    /// <param name="chars">The characters of the string.</param>
    public string Intern(ReadOnlySpan<char> chars)
    {
        if (chars.IsEmpty) return "";
        if (_lookup.TryGetValue(chars, out var existing)) return existing;
        var s = chars.ToString();
        _set.Add(s);
        return s;
    }

    /// <summary>Decodes <paramref name="utf8"/> and returns the pooled string equal to it.</summary>
    /// <param name="utf8">UTF-8 bytes; invalid sequences become U+FFFD.</param>
    public string InternUtf8(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty) return "";
        if (utf8.Length <= 512)
        {
            Span<char> buf = stackalloc char[utf8.Length];
            int n = Encoding.UTF8.GetChars(utf8, buf);
            return Intern(buf[..n]);
        }
        char[] rented = ArrayPool<char>.Shared.Rent(utf8.Length);
        try
        {
            int n = Encoding.UTF8.GetChars(utf8, rented);
            return Intern(rented.AsSpan(0, n));
        }
        finally { ArrayPool<char>.Shared.Return(rented); }
    }
}
