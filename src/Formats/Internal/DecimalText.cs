using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace FlameKit.Formats.Internal;

/// <summary>
/// Exact conversion of a decimal number's text (as JSON writes it) to an integer count of a smaller unit,
/// e.g. microseconds <c>1732250000123456.789</c> to nanoseconds <c>1732250000123456789</c>.
/// </summary>
/// <remarks>
/// Going through <see cref="double"/> is not enough for absolute timestamps: epoch microseconds (about
/// 1.7e15) times 1000 are past 2^53, so a double holds them only to 256 ns, and events that are 1 ns apart
/// (or at the same time) can come out in the wrong order. Here the digits are shifted as text instead.
/// </remarks>
internal static class DecimalText
{
    /// <summary>
    /// Parses <paramref name="text"/> (<c>-?digits[.digits][e[+-]digits]</c>, the JSON number grammar, also
    /// with a leading <c>+</c> or leading zeros) times 10^<paramref name="scale"/>, rounded to the nearest
    /// integer, halves away from zero (fixed, so the same text always gives the same value).
    /// </summary>
    /// <returns>False when the text is not such a number or the result does not fit a <see cref="long"/>.</returns>
    public static bool TryParseScaled(ReadOnlySpan<byte> text, int scale, out long value)
    {
        value = 0;
        int i = 0;
        bool negative = false;
        if (i < text.Length && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
        int intStart = i;
        while (i < text.Length && (uint)(text[i] - '0') <= 9) i++;
        int intEnd = i, fracStart = i, fracEnd = i;
        if (i < text.Length && text[i] == '.')
        {
            fracStart = ++i;
            while (i < text.Length && (uint)(text[i] - '0') <= 9) i++;
            fracEnd = i;
        }
        if (intEnd == intStart && fracEnd == fracStart) return false; // no digits
        long exponent = 0;
        if (i < text.Length && (text[i] | 0x20) == 'e')
        {
            i++;
            bool expNegative = false;
            if (i < text.Length && (text[i] == '-' || text[i] == '+')) expNegative = text[i++] == '-';
            int expStart = i;
            // Saturate: any exponent this large overflows or rounds to 0 anyway.
            for (; i < text.Length && (uint)(text[i] - '0') <= 9; i++) exponent = Math.Min(exponent * 10 + (text[i] - '0'), 100_000);
            if (i == expStart) return false;
            if (expNegative) exponent = -exponent;
        }
        if (i != text.Length) return false;

        // The digits as one sequence d[0..n) (integer then fraction part) with the decimal point, after
        // scaling, before digit `point`: the result is d[0..point) and d[point] decides the rounding.
        var intDigits = text[intStart..intEnd];
        var fracDigits = text[fracStart..fracEnd];
        int n = intDigits.Length + fracDigits.Length;
        long point = intDigits.Length + exponent + scale;
        int k = 0;
        while (k < n && Digit(intDigits, fracDigits, k) == 0) k++; // leading zeros do not count towards overflow
        if (k == n) return true; // zero
        if (point - k > 19) return false; // 20 or more significant integer digits: past long
        ulong result = 0;
        for (long j = k; j < point; j++)
        {
            int d = j < n ? Digit(intDigits, fracDigits, (int)j) : 0;
            if (result > (ulong.MaxValue - 9) / 10) return false;
            result = result * 10 + (uint)d;
        }
        if (point >= 0 && point < n && Digit(intDigits, fracDigits, (int)point) >= 5) result++;
        if (result > (negative ? (ulong)long.MaxValue + 1 : long.MaxValue)) return false;
        value = negative ? (long)(0 - result) : (long)result;
        return true;
    }

    private static int Digit(ReadOnlySpan<byte> intDigits, ReadOnlySpan<byte> fracDigits, int k) =>
        (k < intDigits.Length ? intDigits[k] : fracDigits[k - intDigits.Length]) - '0';

    /// <summary>
    /// A JSON number (or a string holding a number) times 10^<paramref name="scale"/> as an integer, exactly
    /// as <see cref="TryParseScaled"/> reads it; a string in another form <see cref="double"/> reads (spaces
    /// around it) goes through <see cref="double"/>.
    /// </summary>
    /// <returns>False for other tokens, strings that are not numbers, and values that do not fit a <see cref="long"/>.</returns>
    public static bool TryGetScaled(ref Utf8JsonReader r, int scale, out long value)
    {
        if (r.TokenType == JsonTokenType.Number)
            return TryParseScaled(r.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(r.ValueSequence) : r.ValueSpan, scale, out value);
        value = 0;
        if (r.TokenType != JsonTokenType.String) return false;
        string s = r.GetString()!;
        Span<byte> ascii = stackalloc byte[64];
        if (s.Length <= ascii.Length && System.Text.Encoding.UTF8.TryGetBytes(s, ascii, out int len) && TryParseScaled(ascii[..len], scale, out value)) return true;
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && FromDouble(v, scale, out value);
    }

    /// <summary>A number element times 10^<paramref name="scale"/> as an integer, read from its text (see <see cref="TryParseScaled"/>).</summary>
    public static bool TryGetScaled(JsonElement e, int scale, out long value)
    {
        value = 0;
        return e.ValueKind == JsonValueKind.Number && TryParseScaled(JsonMarshal.GetRawUtf8Value(e), scale, out value);
    }

    /// <summary>
    /// Writes <paramref name="value"/> / 10^<paramref name="scale"/> (0 to 18) as exact decimal text, the inverse of
    /// <see cref="TryParseScaled"/>: no exponent, trailing fraction zeros dropped (<c>1234500, 3</c> → <c>1234.5</c>).
    /// </summary>
    /// <returns>The number of bytes written (at most 41).</returns>
    public static int Format(long value, int scale, Span<byte> dest)
    {
        ulong pow = 1;
        for (int i = 0; i < scale; i++) pow *= 10;
        ulong mag = value < 0 ? 0 - (ulong)value : (ulong)value;
        int n = 0;
        if (value < 0) dest[n++] = (byte)'-';
        (mag / pow).TryFormat(dest[n..], out int len, default, CultureInfo.InvariantCulture);
        n += len;
        ulong frac = mag % pow;
        if (frac == 0) return n;
        dest[n++] = (byte)'.';
        int digits = scale;
        while (frac % 10 == 0) { frac /= 10; digits--; }
        for (int i = digits - 1; i >= 0; i--, frac /= 10) dest[n + i] = (byte)('0' + (int)(frac % 10));
        return n + digits;
    }

    /// <summary>Writes the property <paramref name="name"/> with the value <paramref name="value"/> / 10^<paramref name="scale"/>, exactly (see <see cref="Format"/>).</summary>
    public static void WriteScaled(Utf8JsonWriter w, ReadOnlySpan<byte> name, long value, int scale)
    {
        Span<byte> text = stackalloc byte[48];
        w.WritePropertyName(name);
        w.WriteRawValue(text[..Format(value, scale, text)], skipInputValidation: true);
    }

    private static bool FromDouble(double v, int scale, out long value)
    {
        double scaled = Math.Round(v * Math.Pow(10, scale), MidpointRounding.AwayFromZero);
        bool ok = double.IsFinite(scaled) && scaled >= long.MinValue && scaled < 9.2233720368547758e18;
        value = ok ? (long)scaled : 0;
        return ok;
    }
}
