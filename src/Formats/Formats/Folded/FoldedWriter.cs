using System.Runtime.CompilerServices;
using System.Buffers;
using System.Globalization;
using System.Text;

namespace FlameKit.Formats.Folded;

/// <summary>
/// Writes folded (collapsed) stacks: one line per distinct stack, frames root first separated by
/// <c>;</c>, a space, then the value of one sample type; identical stacks merged and lines sorted
/// bytewise, as stackcollapse output is. A profile read from a differential folded file (sample types
/// <see cref="FoldedReader.BeforeType"/> and <see cref="FoldedReader.AfterType"/>) is written in the
/// two-count form unless a sample type is chosen.
/// </summary>
/// <remarks>
/// Folded text holds names and one number per stack. It cannot hold other sample types, labels,
/// addresses, mappings, timestamps or threads; the writer reports each kind of loss through
/// <see cref="WriteOptions.Diagnostics"/>. Stacks whose value is zero are omitted. A <c>;</c> inside a
/// frame name would split the frame on reading, so it is written as <c>:</c>; newlines become spaces.
/// </remarks>
public sealed class FoldedWriter : IProfileWriter
{
    /// <inheritdoc/>
    public ProfileFormat Format => FoldedReader.FoldedFormat;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once over the whole input: skip tier-0
    public void Write(Profile profile, Stream output, WriteOptions options)
    {
        bool diff = options.SampleType is null && IsDifferential(profile);
        int[] columns = diff ? [0, 1] : [profile.ResolveSampleType(options.SampleType)];
        ReportLosses(profile, columns, options);

        var trie = FrameTrie.Build(profile, new FrameTrieOptions { Granularity = options.Granularity });
        int k = columns.Length;
        var self = new long[trie.Count * k];
        for (int i = 0; i < profile.SampleCount; i++)
        {
            int node = trie.NodeOf(profile.SampleStack(i));
            for (int c = 0; c < k; c++) self[node * k + c] += profile.SampleValue(i, columns[c]);
        }

        // Build each non-zero line once as UTF-8 into one arena, then sort line indices bytewise (C locale).
        var arena = new ArrayBufferWriter<byte>(1 << 16);
        var spans = new List<(int Start, int Length)>();
        var path = new List<string>();
        var utf8 = Encoding.UTF8;
        for (int node = 0; node < trie.Count; node++)
        {
            bool any = false;
            for (int c = 0; c < k; c++) any |= self[node * k + c] != 0;
            if (!any) continue;
            trie.PathRootFirst(node, path);
            int start = arena.WrittenCount;
            for (int f = 0; f < path.Count; f++)
            {
                if (f > 0) Put(arena, ";"u8);
                string name = Sanitize(path[f]);
                var dst = arena.GetSpan(utf8.GetMaxByteCount(name.Length));
                arena.Advance(utf8.GetBytes(name, dst));
            }
            for (int c = 0; c < k; c++)
            {
                Put(arena, " "u8);
                var st = profile.SampleTypes[columns[c]];
                string v = FormatValue(self[node * k + c], st.DecimalPlaces);
                var dst = arena.GetSpan(v.Length);
                arena.Advance(Encoding.ASCII.GetBytes(v, dst));
            }
            spans.Add((start, arena.WrittenCount - start));
        }
        var bytes = arena.WrittenMemory;
        var order = spans.ToArray();
        Array.Sort(order, (a, b) => bytes.Span.Slice(a.Start, a.Length).SequenceCompareTo(bytes.Span.Slice(b.Start, b.Length)));
        // Not disposed: disposing a BufferedStream would close the caller's stream.
        var buffered = new BufferedStream(output, 1 << 16);
        foreach (var (start, length) in order)
        {
            buffered.Write(bytes.Span.Slice(start, length));
            buffered.WriteByte((byte)'\n');
        }
        buffered.Flush();
    }

    /// <summary>True when the profile came from a differential (two-count) folded file.</summary>
    /// <param name="profile">A profile.</param>
    public static bool IsDifferential(Profile profile) =>
        profile.SampleTypes.Count == 2 && profile.SampleTypes[0].Type == FoldedReader.BeforeType && profile.SampleTypes[1].Type == FoldedReader.AfterType;

    /// <summary>Formats a stored value with its implied decimal places, invariantly, without trailing zeros.</summary>
    /// <param name="stored">Stored value.</param>
    /// <param name="decimalPlaces">Implied decimal places.</param>
    public static string FormatValue(long stored, int decimalPlaces)
    {
        if (decimalPlaces == 0) return stored.ToString(CultureInfo.InvariantCulture);
        decimal d = stored / (decimal)Math.Pow(10, decimalPlaces);
        return d.ToString("0.#########", CultureInfo.InvariantCulture);
    }

    private static void ReportLosses(Profile profile, int[] columns, WriteOptions options)
    {
        if (options.Diagnostics is null) return;
        int dropped = profile.SampleTypes.Count - columns.Length;
        if (dropped > 0)
            options.Diagnostics(new Diagnostic($"folded output keeps one sample type ({string.Join(", ", columns.Select(c => profile.SampleTypes[c].Type))}); dropped {dropped} other{(dropped == 1 ? "" : "s")} ({string.Join(", ", profile.SampleTypes.Where((_, i) => !columns.Contains(i)).Select(t => t.Type))})"));
        var lost = new List<string>();
        if (profile.HasLabels) lost.Add("labels");
        if (profile.HasTimestamps) lost.Add("timestamps");
        if (profile.HasThreads) lost.Add("threads");
        if (lost.Count > 0) options.Diagnostics(new Diagnostic($"folded output cannot hold {string.Join(", ", lost)}; dropped"));
    }

    private static string Sanitize(string name)
    {
        if (name.AsSpan().IndexOfAny(";\n\r") < 0) return name;
        return name.Replace(';', ':').Replace('\n', ' ').Replace('\r', ' ');
    }

    private static void Put(ArrayBufferWriter<byte> w, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(w.GetSpan(bytes.Length));
        w.Advance(bytes.Length);
    }
}
