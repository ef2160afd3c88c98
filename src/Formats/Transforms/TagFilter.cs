using System.Text.RegularExpressions;

namespace FlameKit.Transforms;

/// <summary>
/// A sample label filter, as pprof's <c>-tagfocus</c>/<c>-tagignore</c> value <c>[KEY=]RE[,RE...]</c>.
/// With a key, a sample matches when any of its values for that key matches any expression. Without a
/// key, every expression must match some <c>key:value</c> string label of the sample.
/// </summary>
public sealed class TagFilter
{
    private readonly Regex[] _patterns;

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
        var res = new List<Regex>();
        foreach (var part in text.Split(','))
        {
            try { res.Add(new Regex(part, RegexOptions.CultureInvariant)); }
            catch (ArgumentException e) { throw new ArgumentException($"invalid regular expression \"{part}\": {e.Message}", e); }
        }
        return new TagFilter(key, res);
    }

    /// <summary>Whether a sample with these labels matches.</summary>
    /// <param name="labels">The sample's labels.</param>
    public bool Matches(ReadOnlySpan<Label> labels)
    {
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
