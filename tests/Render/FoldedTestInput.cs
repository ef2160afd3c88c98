using System.Globalization;
using System.Text.RegularExpressions;

namespace FlameKit.Tests.Render;

/// <summary>
/// A tiny folded-stack parser for renderer tests, until the real FoldedReader lands: one sample per valid
/// <c>stack count</c> line (in input order), frames via <see cref="ProfileBuilder.AddFrame"/>; fractional counts are
/// scaled by 10^DecimalPlaces; two counts per line give the sample types "before" and "after".
/// Lines are matched like flamegraph.pl (<c>^(.*)\s+?(\d+(?:\.\d*)?)$</c>); other lines are ignored.
/// </summary>
internal static partial class FoldedTestInput
{
    [GeneratedRegex(@"^(.*?)\s+(\d+(?:\.\d*)?)(?:\s+(\d+(?:\.\d*)?))?$")]
    private static partial Regex LineRegex();

    public static Profile Parse(string text)
    {
        // The real reader, forced to the folded format; an input without any stack (flamegraph.pl's
        // "No valid input" case) is an error there, so it becomes an empty profile for rendering tests.
        try
        {
            return FlameKit.Formats.ProfileFormats.Read(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)), null, "folded").Profile;
        }
        catch (FlameKit.Formats.ProfileFormatException)
        {
            return ParseWithRegex(text);
        }
    }

    /// <summary>The original regex-based parser, kept for inputs the real reader rejects (no valid line).</summary>
    public static Profile ParseWithRegex(string text)
    {
        var rows = new List<(string Stack, string A, string? B)>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            var m = LineRegex().Match(line);
            if (!m.Success) continue;
            rows.Add((m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Success ? m.Groups[3].Value : null));
        }
        bool diff = rows.Count > 0 && rows.All(r => r.B is not null);
        int dp = 0;
        foreach (var r in rows)
        {
            dp = Math.Max(dp, Decimals(r.A));
            if (diff) dp = Math.Max(dp, Decimals(r.B!));
        }
        var types = diff
            ? new[] { new SampleType("before", "count") { DecimalPlaces = dp }, new SampleType("after", "count") { DecimalPlaces = dp } }
            : new[] { new SampleType("samples", "count") { DecimalPlaces = dp } };
        var b = new ProfileBuilder(types);
        long scale = (long)Math.Pow(10, dp);
        foreach (var r in rows)
        {
            var frames = r.Stack.Split(';').ToList();
            while (frames.Count > 0 && frames[^1].Length == 0) frames.RemoveAt(frames.Count - 1);
            var s = StackId.Empty;
            foreach (var f in frames) s = b.Push(s, b.AddFrame(f));
            long a = Scale(r.A, scale);
            if (diff) b.AddSample(s, [a, Scale(r.B!, scale)]);
            else b.AddSample(s, [a]);
        }
        return b.Build();
    }

    public static Profile ParseFile(string path) => Parse(File.ReadAllText(path));

    private static int Decimals(string n)
    {
        int dot = n.IndexOf('.');
        return dot < 0 ? 0 : n.Length - dot - 1;
    }

    private static long Scale(string n, long scale) =>
        (long)Math.Round(decimal.Parse(n.EndsWith('.') ? n + "0" : n, CultureInfo.InvariantCulture) * scale);
}
