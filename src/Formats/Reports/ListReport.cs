using System.Globalization;
using System.Text.RegularExpressions;

namespace FlameKit.Reports;

/// <summary>
/// pprof's <c>-list</c> report: for each function whose name matches an expression, the flat and cum values
/// of each of its source lines, printed beside the source when the file can be found (at its recorded path, or
/// under a search path by its trailing path components, as pprof searches), else the lines with values alone.
/// </summary>
public sealed class ListReport
{
    private const int Margin = 5; // lines shown before the first and after the last line with samples, as pprof

    /// <summary>One source line: its number, text (null without source) and values.</summary>
    /// <param name="Number">Line number.</param>
    /// <param name="Text">The source text, or null when the file was not found.</param>
    /// <param name="Flat">Flat value of the line.</param>
    /// <param name="Cum">Cumulative value of the line.</param>
    public readonly record struct SourceLine(int Number, string? Text, long Flat, long Cum);

    /// <summary>One function in one source file.</summary>
    /// <param name="Function">Function name.</param>
    /// <param name="File">Source file as recorded (cleaned, with pprof's path trimming).</param>
    /// <param name="Flat">Sum of the flat values of its lines.</param>
    /// <param name="Cum">Sum of the cum values of its lines.</param>
    /// <param name="Lines">The lines shown.</param>
    /// <param name="SourceError">Why the source could not be read, or null.</param>
    public sealed record Routine(string Function, string File, long Flat, long Cum, IReadOnlyList<SourceLine> Lines, string? SourceError);

    private ListReport(Profile p, int st, long total, IReadOnlyList<Routine> routines)
    {
        Profile = p;
        SampleTypeIndex = st;
        Total = total;
        Routines = routines;
    }

    /// <summary>The profile reported on.</summary>
    public Profile Profile { get; }
    /// <summary>The sample type reported on.</summary>
    public int SampleTypeIndex { get; }
    /// <summary>The report total.</summary>
    public long Total { get; }
    /// <summary>Matching functions by name, then by file; a function whose lines carry no file name has one entry with an empty <see cref="Routine.File"/>.</summary>
    public IReadOnlyList<Routine> Routines { get; }

    /// <summary>Builds the report; null when no function with samples matches <paramref name="symbol"/>.</summary>
    /// <param name="p">The profile (already filtered).</param>
    /// <param name="symbol">Which functions to list.</param>
    /// <param name="sampleType">Index into <see cref="Profile.SampleTypes"/>.</param>
    /// <param name="total">The total percentages are relative to.</param>
    /// <param name="sourcePath">Directories to search for source files, separated by ':' (pprof <c>-source_path</c>); null or "" means the current directory.</param>
    public static ListReport? Create(Profile p, Regex symbol, int sampleType, long total, string? sourcePath)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(symbol);
        if (string.IsNullOrEmpty(sourcePath)) sourcePath = Directory.GetCurrentDirectory();
        var src = CallGraph.Source.Create(p, sampleType, (loc, line) =>
        {
            var f = p.Functions[line.Function.Index];
            string file = f.File.Length == 0 ? "" : TrimPath(CleanPath(f.File), sourcePath);
            return f.Name + "\n" + file + "\n" + line.Number.ToString(CultureInfo.InvariantCulture);
        });
        var g = CallGraph.Build(src, null, withEdges: false);

        // Nodes of the matching functions, in graph order, grouped by function and then by file.
        var byFunction = new Dictionary<string, List<(string File, int Line, long Flat, long Cum)>>(StringComparer.Ordinal);
        var firstKey = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (int n in g.Nodes)
        {
            var parts = g.Names[n].Split('\n');
            if (parts.Length != 3 || !symbol.IsMatch(parts[0])) continue;
            if (!byFunction.TryGetValue(parts[0], out var list))
            {
                byFunction[parts[0]] = list = [];
                firstKey[parts[0]] = g.Names[n];
            }
            list.Add((parts[1], int.Parse(parts[2], CultureInfo.InvariantCulture), g.Flat[n], g.Cum[n]));
        }
        if (byFunction.Count == 0) return null;

        // pprof orders functions by the printable name of their first node ("name file:line").
        var functions = byFunction.Keys.OrderBy(k => Printable(firstKey[k]), StringComparer.Ordinal).ToList();
        var files = new Dictionary<string, (string[]? Lines, string? Error)>(StringComparer.Ordinal);
        var routines = new List<Routine>();
        foreach (var name in functions)
        {
            var nodes = byFunction[name].Where(x => x.File.Length > 0).ToList();
            if (nodes.Count == 0) { routines.Add(new Routine(name, "", 0, 0, [], null)); continue; }
            foreach (var file in nodes.Select(x => x.File).Distinct().Order(StringComparer.Ordinal))
            {
                var fns = nodes.Where(x => x.File == file).ToList();
                if (!files.TryGetValue(file, out var text)) files[file] = text = ReadSource(file, sourcePath);
                routines.Add(new Routine(name, file, fns.Sum(x => x.Flat), fns.Sum(x => x.Cum), Lines(fns, text.Lines), text.Error));
            }
        }
        return new ListReport(p, sampleType, total, routines);

        static string Printable(string key)
        {
            var parts = key.Split('\n');
            return parts.Length == 3 ? $"{parts[0]} {parts[1]}:{parts[2]}" : key;
        }
    }

    /// <summary>The lines pprof shows: from 5 before the first sampled line to 5 after (widened as pprof does), or only the sampled ones without source.</summary>
    private static List<SourceLine> Lines(List<(string File, int Line, long Flat, long Cum)> fns, string[]? text)
    {
        var values = new Dictionary<int, (long Flat, long Cum)>();
        foreach (var n in fns)
        {
            values.TryGetValue(n.Line, out var v);
            values[n.Line] = (v.Flat + n.Flat, v.Cum + n.Cum);
        }
        var result = new List<SourceLine>();
        if (text is null)
        {
            foreach (var (line, v) in values.OrderBy(kv => kv.Key)) result.Add(new SourceLine(line, null, v.Flat, v.Cum));
            return result;
        }
        int start = fns[0].Line - Margin, end = fns[0].Line + Margin;
        foreach (var n in fns)
        {
            // pprof widens the window this way (an "else if"): a node both before and after it only moves the start.
            if (n.Line - Margin < start) start = n.Line - Margin;
            else if (n.Line + Margin > end) end = n.Line + Margin;
        }
        if (start < 1) start = 1;
        for (int line = start; line <= end && line <= text.Length; line++)
        {
            values.TryGetValue(line, out var v);
            result.Add(new SourceLine(line, text[line - 1], v.Flat, v.Cum));
        }
        return result;
    }

    /// <summary>Go's <c>filepath.Clean</c> for the paths profiles record.</summary>
    internal static string CleanPath(string path)
    {
        if (path.Length == 0) return ".";
        bool rooted = path[0] == '/';
        var parts = new List<string>();
        foreach (var part in path.Split('/'))
        {
            if (part.Length == 0 || part == ".") continue;
            if (part == "..")
            {
                if (parts.Count > 0 && parts[^1] != "..") { parts.RemoveAt(parts.Count - 1); continue; }
                if (rooted) continue;
            }
            parts.Add(part);
        }
        string joined = string.Join('/', parts);
        return rooted ? "/" + joined : joined.Length == 0 ? "." : joined;
    }

    /// <summary>
    /// pprof's path heuristic: when the name of a search directory appears as a path component of
    /// <paramref name="path"/>, the part after it is taken as relative to that directory; <c>/proc/self/cwd/</c> is dropped.
    /// </summary>
    internal static string TrimPath(string path, string searchPath)
    {
        foreach (var dir in searchPath.Split(':'))
        {
            string want = "/" + PprofHeader.BaseName(dir) + "/";
            int found = path.IndexOf(want, StringComparison.Ordinal);
            if (found >= 0) return path[(found + want.Length)..];
        }
        foreach (var prefix in (string[])["/proc/self/cwd/./", "/proc/self/cwd/"])
            if (path.StartsWith(prefix, StringComparison.Ordinal)) return path[prefix.Length..];
        return path;
    }

    /// <summary>
    /// Reads a source file as pprof's <c>openSourceFile</c> finds it: an absolute path as it is; a relative one
    /// under each search directory or any of its parents.
    /// </summary>
    private static (string[]? Lines, string? Error) ReadSource(string path, string searchPath)
    {
        string? found = null;
        if (path.StartsWith('/'))
        {
            if (!File.Exists(path)) return (null, $"open {path}: no such file or directory");
            found = path;
        }
        else
        {
            foreach (var d in searchPath.Split(':'))
            {
                for (string? dir = d; dir is not null && found is null; dir = Path.GetDirectoryName(dir))
                {
                    string candidate = Path.Combine(dir.Length == 0 ? "." : dir, path);
                    if (File.Exists(candidate)) found = candidate;
                }
                if (found is not null) break;
            }
            if (found is null) return (null, $"could not find file {path} on path {searchPath}");
        }
        try
        {
            var lines = File.ReadAllLines(found);
            return (lines, null);
        }
        catch (IOException e) { return (null, $"open {path}: {e.Message}"); }
        catch (UnauthorizedAccessException) { return (null, $"open {path}: permission denied"); }
    }

    /// <summary>
    /// Writes the report as <c>go tool pprof -list</c> does. Where the source was not found, pprof prints an error
    /// line and nothing else; this prints that line as a note and then the lines with samples, values alone.
    /// </summary>
    /// <param name="w">The destination.</param>
    public void WriteText(TextWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        string unit = Profile.SampleTypes[SampleTypeIndex].Unit;
        string Format(long v) => PprofMeasurement.ScaledLabel(v, unit, "minimum");
        string ValueOrDot(long v) => v == 0 ? "." : Format(v);
        w.Write($"Total: {Format(Total)}\n");
        foreach (var r in Routines)
        {
            if (r.File.Length == 0) { w.Write($"No source information for {r.Function}\n"); continue; }
            w.Write($"ROUTINE ======================== {r.Function} in {r.File}\n");
            w.Write(string.Format(CultureInfo.InvariantCulture, "{0,10} {1,10} (flat, cum) {2} of Total\n", Format(r.Flat), Format(r.Cum), PprofMeasurement.Percentage(r.Cum, Total)));
            if (r.SourceError is not null) w.Write($" Error: {r.SourceError}\n");
            foreach (var l in r.Lines)
                w.Write(string.Format(CultureInfo.InvariantCulture, "{0,10} {1,10} {2,6}:{3}\n", ValueOrDot(l.Flat), ValueOrDot(l.Cum), l.Number, l.Text ?? ""));
        }
    }
}
