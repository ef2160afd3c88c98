using System.Runtime.CompilerServices;

namespace FlameKit.Formats.PerfScript;

/// <summary>
/// The line rules of stackcollapse-perf.pl, written as span scanners that give the same matches as its
/// regular expressions (including their backtracking corner cases), and its frame-naming rules.
/// </summary>
internal static class Syntax
{
    /// <summary>Perl's <c>\s</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsSpace(byte c) => c is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or (byte)'\f' or 0x0B;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsDigit(byte c) => (uint)(c - '0') <= 9;

    /// <summary>Perl's <c>\w</c> on bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsWord(byte c) => (uint)((c | 0x20) - 'a') <= 'z' - 'a' || IsDigit(c) || c == (byte)'_';

    /// <summary>
    /// The sample header rule <c>^(\S.+?)\s+(\d+)\/*(\d+)*\s+</c>: the shortest command name (two characters at
    /// least) followed by whitespace, a PID (or TID), optionally <c>/TID</c>, and whitespace.
    /// </summary>
    public static bool TryParseHeader(ReadOnlySpan<byte> line, out ReadOnlySpan<byte> comm, out ReadOnlySpan<byte> pid, out ReadOnlySpan<byte> tid) =>
        TryParseHeader(line, out comm, out pid, out tid, out _);

    /// <summary>As the four-argument form; <paramref name="end"/> is where the fields after the PID/TID start.</summary>
    public static bool TryParseHeader(ReadOnlySpan<byte> line, out ReadOnlySpan<byte> comm, out ReadOnlySpan<byte> pid, out ReadOnlySpan<byte> tid, out int end)
    {
        comm = pid = tid = default;
        end = 0;
        if (line.Length < 4 || IsSpace(line[0])) return false;
        for (int i = 2; i < line.Length; i++)
        {
            if (!IsSpace(line[i])) continue;
            int j = i;
            while (j < line.Length && IsSpace(line[j])) j++;
            int p0 = j;
            while (j < line.Length && IsDigit(line[j])) j++;
            if (j == p0) continue;
            int p1 = j;
            while (j < line.Length && line[j] == (byte)'/') j++;
            int t0 = j;
            if (t0 > p1) while (j < line.Length && IsDigit(line[j])) j++;
            if (j >= line.Length || !IsSpace(line[j])) continue;
            comm = line[..i];
            pid = line[p0..p1];
            tid = line[t0..j];
            end = j;
            return true;
        }
        return false;
    }

    /// <summary>
    /// The sample time among the header fields after the PID/TID (<c>[cpu] secs.frac: [period] event:</c>): the
    /// first field of digits with one dot that ends with a colon (perf prints microseconds, or nanoseconds
    /// with <c>--ns</c>). Returns false when the header has no time (<c>perf script -F</c> without <c>time</c>).
    /// </summary>
    public static bool TryParseTime(ReadOnlySpan<byte> fields, out long nanos)
    {
        nanos = 0;
        while (!fields.IsEmpty)
        {
            int i = 0;
            while (i < fields.Length && IsSpace(fields[i])) i++;
            int j = i;
            while (j < fields.Length && !IsSpace(fields[j])) j++;
            var field = fields[i..j];
            fields = fields[j..];
            if (field.Length < 4 || field[^1] != (byte)':') continue;
            field = field[..^1];
            int dot = field.IndexOf((byte)'.');
            if (dot <= 0 || dot == field.Length - 1) continue;
            var secs = field[..dot];
            var frac = field[(dot + 1)..];
            if (secs.Length > 10 || frac.Length > 9 || secs.ContainsAnyExceptInRange((byte)'0', (byte)'9') || frac.ContainsAnyExceptInRange((byte)'0', (byte)'9')) continue;
            long s = 0, f = 0;
            foreach (byte c in secs) s = s * 10 + (c - '0');
            foreach (byte c in frac) f = f * 10 + (c - '0');
            for (int k = frac.Length; k < 9; k++) f *= 10;
            nanos = s * 1_000_000_000 + f;
            return true;
        }
        return false;
    }

    /// <summary>
    /// The event rule <c>:\s*(\d+)*\s+(\S+):\s*$</c>: the line ends with <c>event:</c>, preceded by whitespace,
    /// optionally a period, and a colon.
    /// </summary>
    public static bool TryParseEvent(ReadOnlySpan<byte> line, out ReadOnlySpan<byte> eventName, out ReadOnlySpan<byte> period)
    {
        eventName = period = default;
        int end = line.Length;
        while (end > 0 && IsSpace(line[end - 1])) end--;
        if (end < 2 || line[end - 1] != (byte)':') return false;
        int t = end - 1;
        while (t > 0 && !IsSpace(line[t - 1])) t--;
        if (t == end - 1 || t == 0) return false;
        int k = t;
        while (k > 0 && IsSpace(line[k - 1])) k--;
        int d1 = k;
        while (k > 0 && IsDigit(line[k - 1])) k--;
        int d0 = k;
        while (k > 0 && IsSpace(line[k - 1])) k--;
        if (k == 0 || line[k - 1] != (byte)':') return false;
        eventName = line[t..(end - 1)];
        period = line[d0..d1];
        return true;
    }

    /// <summary>
    /// The frame rule <c>^\s*(\w+)\s*(.+) \((\S*)\)</c>: an address, the symbol, and the module in parentheses
    /// (the last <c> (…)</c> group without whitespace); the symbol comes back without its <c>+0x…</c> offset.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryParseFrame(ReadOnlySpan<byte> line, out ReadOnlySpan<byte> pc, out ReadOnlySpan<byte> func, out ReadOnlySpan<byte> mod)
    {
        pc = func = mod = default;
        int i = 0;
        while (i < line.Length && IsSpace(line[i])) i++;
        int w0 = i;
        while (i < line.Length && IsWord(line[i])) i++;
        int w1 = i;
        if (w1 == w0) return false;
        while (i < line.Length && IsSpace(line[i])) i++;
        int f0 = i;
        // Greedy `.+` takes the last " (" whose parenthesis closes before the next whitespace.
        int limit = line.Length;
        int p, m0 = 0, m1 = 0;
        while (true)
        {
            p = line[..limit].LastIndexOf(" ("u8);
            if (p < w0 + 1) return false;
            int j = p + 2, close = -1;
            while (j < line.Length && !IsSpace(line[j])) { if (line[j] == (byte)')') close = j; j++; }
            if (close >= 0) { m0 = p + 2; m1 = close; break; }
            limit = p + 1; // search the " (" pairs that end before this one
        }
        int fs;
        if (p >= f0 + 1) { pc = line[w0..w1]; fs = f0; }
        else if (p - 1 >= w1) { pc = line[w0..w1]; fs = p - 1; }
        else { pc = line[w0..(p - 1)]; fs = p - 1; }
        func = StripOffset(line[fs..p]);
        mod = line[m0..m1];
        return true;
    }

    /// <summary><c>s/\+0x[\da-f]+$//</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ReadOnlySpan<byte> StripOffset(ReadOnlySpan<byte> f)
    {
        int k = f.Length;
        while (k > 0 && (IsDigit(f[k - 1]) || (uint)(f[k - 1] - 'a') <= 'f' - 'a')) k--;
        if (k == f.Length || k < 3 || f[k - 1] != (byte)'x' || f[k - 2] != (byte)'0' || f[k - 3] != (byte)'+') return f;
        return f[..(k - 3)];
    }

    /// <summary>The event of the first header that names one, or null.</summary>
    public static byte[]? FirstEvent(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            int nl = data.IndexOf((byte)'\n');
            var line = nl < 0 ? data : data[..nl];
            data = nl < 0 ? default : data[(nl + 1)..];
            if (line.IsEmpty || line[0] == (byte)'#' || IsSpace(line[0])) continue;
            if (TryParseHeader(line, out _, out _, out _) && TryParseEvent(line, out var ev, out _)) return ev.ToArray();
        }
        return null;
    }

    /// <summary>
    /// The frames one frame line becomes (usually one; none for <c>(…)</c> symbols; several for perf's
    /// <c>a-&gt;b</c> inline chains), named as stackcollapse-perf.pl names them.
    /// </summary>
    public static byte[][] NameFrames(ReadOnlySpan<byte> func, ReadOnlySpan<byte> mod, ReadOnlySpan<byte> pc, bool java, bool kernel, bool jit, bool addrs)
    {
        if (!func.IsEmpty && func[0] == (byte)'(') return []; // the script skips these ("process names")
        // Perl's split /->/ keeps leading empty fields and drops trailing ones.
        var pieces = new List<byte[]>();
        var rest = func;
        while (true)
        {
            int a = rest.IndexOf("->"u8);
            if (a < 0) { pieces.Add(rest.ToArray()); break; }
            pieces.Add(rest[..a].ToArray());
            rest = rest[(a + 2)..];
        }
        while (pieces.Count > 0 && pieces[^1].Length == 0) pieces.RemoveAt(pieces.Count - 1);

        bool isKernel = kernel && (mod.StartsWith("["u8) || mod.EndsWith("vmlinux"u8)) && mod.IndexOf("unknown"u8) < 0;
        bool isJit = jit && IsPerfMap(mod);
        var result = new byte[pieces.Count][];
        for (int n = 0; n < pieces.Count; n++)
        {
            var f = new List<byte>(pieces[n]);
            if (f.Count == 9 && pieces[n].AsSpan().SequenceEqual("[unknown]"u8))
            {
                // Use the module's file name when it is known.
                var name = mod.SequenceEqual("[unknown]"u8) ? "unknown"u8 : mod[(mod.LastIndexOf((byte)'/') + 1)..];
                f.Clear();
                f.Add((byte)'[');
                f.AddRange(name);
                if (addrs)
                {
                    f.AddRange(" <"u8);
                    f.AddRange(pc);
                    f.Add((byte)'>');
                }
                f.Add((byte)']');
            }
            // Generic tidying.
            for (int i = 0; i < f.Count; i++) if (f[i] == (byte)';') f[i] = (byte)':';
            var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(f);
            if (!LooksLikeGoMethod(span))
            {
                int cut = FirstParenNotAnonymousNamespace(span);
                if (cut >= 0) f.RemoveRange(cut, f.Count - cut);
            }
            f.RemoveAll(c => c == (byte)'"' || c == (byte)'\'');
            // Java: drop the L of a JVM class path.
            if (java && f.Count > 0 && f[0] == (byte)'L' && f.Contains((byte)'/')) f.RemoveAt(0);
            span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(f);
            if (n > 0)
            {
                if (span.IndexOf("_[i]"u8) < 0) f.AddRange("_[i]"u8);
            }
            else if (isKernel) f.AddRange("_[k]"u8);
            else if (isJit && span.IndexOf("_[j]"u8) < 0) f.AddRange("_[j]"u8);
            result[n] = [.. f];
        }
        return result;
    }

    /// <summary><c>m:/tmp/perf-\d+\.map:</c>.</summary>
    private static bool IsPerfMap(ReadOnlySpan<byte> mod)
    {
        int from = 0;
        while (true)
        {
            int a = mod[from..].IndexOf("/tmp/perf-"u8);
            if (a < 0) return false;
            int j = from + a + 10, d = j;
            while (j < mod.Length && IsDigit(mod[j])) j++;
            if (j > d && mod[j..].StartsWith(".map"u8)) return true;
            from += a + 1;
        }
    }

    /// <summary><c>m/\.\(.*\)\./</c>: a Go method such as <c>net/http.(*Client).Do</c>.</summary>
    private static bool LooksLikeGoMethod(ReadOnlySpan<byte> f)
    {
        int a = f.IndexOf(".("u8);
        if (a < 0) return false;
        int b = f.LastIndexOf(")."u8);
        return b >= a + 2;
    }

    /// <summary>The first <c>(</c> that does not open <c>(anonymous namespace)</c>, or -1.</summary>
    private static int FirstParenNotAnonymousNamespace(ReadOnlySpan<byte> f)
    {
        for (int i = 0; i < f.Length; i++)
            if (f[i] == (byte)'(' && !f[(i + 1)..].StartsWith("anonymous namespace)"u8)) return i;
        return -1;
    }
}
