using System.Text.RegularExpressions;

namespace FlameKit.Transforms;

/// <summary>
/// A sample label filter, as pprof's <c>-tagfocus</c>/<c>-tagignore</c> value <c>[KEY=]RE[,RE...]</c> or
/// <c>[KEY=]RANGE</c>. With a key, a sample matches when any of its values for that key matches any expression.
/// Without a key, every expression must match some <c>key:value</c> string label of the sample. A range
/// (<c>1kb:64kb</c>, <c>:1mb</c>, <c>2mb:</c>, <c>512</c>, <c>10ms</c>) matches numeric labels (of that key, or of any
/// key) whose value, in the range's unit, lies within it; values in other kinds of unit never match.
/// </summary>
public sealed partial class TagFilter
{
    private readonly Regex[] _patterns;
    private readonly NumericRange? _range;

    /// <summary>A numeric range in one display unit (pprof's <c>parseTagFilterRange</c>); null ends are open.</summary>
    private sealed record NumericRange(double? Low, double? High, string Unit);

    /// <summary>Creates a filter.</summary>
    /// <param name="key">The label key, or null to match <c>key:value</c> across all string labels.</param>
    /// <param name="patterns">The expressions (unanchored).</param>
    public TagFilter(string? key, IEnumerable<Regex> patterns)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        Key = key;
        _patterns = patterns.ToArray();
        if (_patterns.Length == 0) throw new ArgumentException("a tag filter needs at least one expression", nameof(patterns));
    }

    private TagFilter(string? key, NumericRange range)
    {
        Key = key;
        _patterns = [];
        _range = range;
    }

    /// <summary>Whether the filter is a numeric range rather than expressions.</summary>
    public bool IsRange => _range is not null;

    /// <summary>The label key, or null.</summary>
    public string? Key { get; }

    /// <summary>Parses pprof's <c>[KEY=]RE[,RE...]</c> syntax.</summary>
    /// <param name="text">The option value.</param>
    /// <returns>The filter.</returns>
    /// <exception cref="ArgumentException">An expression is invalid.</exception>
    public static TagFilter Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string? key = null;
        int eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq >= 0) { key = text[..eq]; text = text[(eq + 1)..]; }
        if (ParseRange(text) is { } range) return new TagFilter(key, range);
        var res = new List<Regex>();
        foreach (var part in text.Split(','))
        {
            try { res.Add(new Regex(part, RegexOptions.CultureInvariant)); }
            catch (ArgumentException e) { throw new ArgumentException($"invalid regular expression \"{part}\": {e.Message}", e); }
        }
        return new TagFilter(key, res);
    }

    [GeneratedRegex("([+-]?[0-9]+)([A-Za-z]+)?", RegexOptions.CultureInvariant)]
    private static partial Regex RangePart();

    /// <summary>
    /// pprof's range syntax: <c>V</c>, <c>V:</c>, <c>:V</c> or <c>V1:V2</c>, each V an integer with an optional
    /// unit (<c>kb</c>, <c>ms</c>, ...); null when <paramref name="text"/> is not a range (it is then a regexp).
    /// </summary>
    private static NumericRange? ParseRange(string text)
    {
        var parts = RangePart().Matches(text);
        if (parts.Count == 0) return null;
        (double Value, string Unit)? Scaled(Match m, string toUnit)
        {
            if (!long.TryParse(m.Groups[1].Value, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out long v)) return null;
            string unit = m.Groups[2].Value;
            return FlameKit.Reports.PprofMeasurement.Scale(v, unit, toUnit.Length > 0 ? toUnit : unit);
        }
        var first = parts[0];
        if (Scaled(first, "") is not { } a) return null;
        if (text == first.Value) return new NumericRange(a.Value, a.Value, a.Unit);
        if (text == first.Value + ":") return new NumericRange(a.Value, null, a.Unit);
        if (text == ":" + first.Value) return new NumericRange(null, a.Value, a.Unit);
        if (parts.Count < 2 || text != first.Value + ":" + parts[1].Value) return null;
        if (Scaled(parts[1], a.Unit) is not { } b || b.Unit != a.Unit) return null;
        return new NumericRange(a.Value, b.Value, a.Unit);
    }

    /// <summary>
    /// pprof's unit of each numeric label key in <paramref name="p"/>: the first unit a label of that key declares,
    /// else <c>bytes</c> for <c>alignment</c> and <c>request</c>, else the key itself.
    /// </summary>
    /// <param name="p">The profile.</param>
    public static Dictionary<string, string> NumLabelUnits(Profile p)
    {
        ArgumentNullException.ThrowIfNull(p);
        var units = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < p.LabelSetCount; i++)
            foreach (var l in p.Labels(new LabelSetId(i)))
            {
                if (!l.IsNumeric) continue;
                if (!string.IsNullOrEmpty(l.NumUnit)) { if (!units.TryGetValue(l.Key, out var u) || u.Length == 0) units[l.Key] = l.NumUnit; }
                else units.TryAdd(l.Key, "");
            }
        foreach (var k in units.Keys.ToList())
            if (units[k].Length == 0) units[k] = k is "alignment" or "request" ? "bytes" : k;
        return units;
    }

    /// <summary>Whether a sample with these labels matches.</summary>
    /// <param name="labels">The sample's labels.</param>
    /// <param name="numLabelUnits">For ranges: each numeric key's unit (<see cref="NumLabelUnits"/>); null takes each label's own unit, else its key.</param>
    public bool Matches(ReadOnlySpan<Label> labels, IReadOnlyDictionary<string, string>? numLabelUnits = null)
    {
        if (_range is { } range)
        {
            foreach (var l in labels)
            {
                if (!l.IsNumeric || (Key is not null && l.Key != Key)) continue;
                string unit = numLabelUnits is not null && numLabelUnits.TryGetValue(l.Key, out var u) ? u : l.NumUnit ?? l.Key;
                var (v, vu) = FlameKit.Reports.PprofMeasurement.Scale(l.Num, unit, range.Unit);
                if (vu == range.Unit && (range.Low is null || v >= range.Low) && (range.High is null || v <= range.High)) return true;
            }
            return false;
        }
        if (Key is not null)
        {
            foreach (var l in labels)
            {
                if (l.Key != Key) continue;
                string v = l.Str ?? l.Num.ToString(System.Globalization.CultureInfo.InvariantCulture);
                foreach (var re in _patterns) if (re.IsMatch(v)) return true;
            }
            return false;
        }
        foreach (var re in _patterns)
        {
            bool any = false;
            foreach (var l in labels)
                if (l.Str is not null && re.IsMatch(l.Key + ":" + l.Str)) { any = true; break; }
            if (!any) return false;
        }
        return true;
    }
}
