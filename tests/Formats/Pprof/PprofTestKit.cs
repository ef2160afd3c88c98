using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;

namespace FlameKit.Tests.Pprof;

/// <summary>Runs the real <c>go tool pprof</c> and normalises its <c>-raw</c> output for comparison.</summary>
internal static partial class GoPprof
{
    private static readonly Lazy<string?> s_go = new(() =>
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            if (dir.Length == 0) continue;
            var p = Path.Combine(dir, "go");
            if (File.Exists(p)) return p;
        }
        return File.Exists("/usr/lib/go/bin/go") ? "/usr/lib/go/bin/go" : null;
    });

    /// <summary>The go binary; fails the test (never skips) when it is missing.</summary>
    public static string Go => s_go.Value ?? throw new InvalidOperationException("go not found: install golang-go");

    /// <summary><c>TZ=UTC go tool pprof -raw -symbolize=none FILE</c>; fails on a non-zero exit or after the timeout.</summary>
    public static string Raw(string file, int timeoutSeconds = 180)
    {
        var psi = new ProcessStartInfo(Go)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "tool", "pprof", "-raw", "-symbolize=none", file }) psi.ArgumentList.Add(a);
        psi.Environment["TZ"] = "UTC";
        psi.Environment["PPROF_TMPDIR"] = Path.GetTempPath();
        using var proc = Process.Start(psi) ?? throw new InvalidOperationException("could not start go");
        var stdout = proc.StandardOutput.ReadToEndAsync();
        var stderr = proc.StandardError.ReadToEndAsync();
        if (!proc.WaitForExit(timeoutSeconds * 1000))
        {
            proc.Kill(entireProcessTree: true);
            throw new TimeoutException($"go tool pprof -raw {file} did not finish in {timeoutSeconds} s");
        }
        proc.WaitForExit();
        if (proc.ExitCode != 0) throw new InvalidOperationException($"go tool pprof -raw {file} exited with {proc.ExitCode}: {stderr.Result}");
        return stdout.Result;
    }

    [GeneratedRegex(@"^\s*(-?\d+(?:\s+-?\d+)*):((?:\s+\d+)*)\s*$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"^\s*(\d+): (.*)$")]
    private static partial Regex NumberedLine();

    [GeneratedRegex(@" M=(\d+) ")]
    private static partial Regex MappingRef();

    /// <summary>
    /// Normalises <c>-raw</c> output so that two dumps of the same profile with different ids compare equal:
    /// location ids in samples become the locations' text, mapping ids become the mappings' text, and
    /// samples, locations and mappings are sorted. Header lines (period, time, duration, sample types) stay.
    /// </summary>
    public static string Normalize(string raw)
    {
        var lines = raw.Replace("\r\n", "\n").Split('\n');
        var header = new List<string>();
        var samples = new List<(string Values, string[] Locs, List<string> Labels)>();
        var locations = new Dictionary<string, List<string>>();
        var mappings = new Dictionary<string, string>();
        string section = "header";
        string? currentLoc = null;
        foreach (var line in lines)
        {
            if (line.Length == 0) continue;
            if (line == "Samples:") { section = "types"; continue; }
            if (line == "Locations") { section = "locations"; continue; }
            if (line == "Mappings") { section = "mappings"; continue; }
            switch (section)
            {
                case "header":
                    header.Add(line);
                    break;
                case "types":
                    header.Add("types: " + line);
                    section = "samples";
                    break;
                case "samples":
                    {
                        var m = SampleLine().Match(line);
                        if (m.Success)
                        {
                            var values = string.Join(" ", m.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
                            var ids = m.Groups[2].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                            samples.Add((values, ids, []));
                        }
                        else if (samples.Count > 0) samples[^1].Labels.Add(line.Trim());
                        else header.Add(line);
                        break;
                    }
                case "locations":
                    {
                        var m = NumberedLine().Match(line);
                        if (m.Success && line.Length - line.TrimStart().Length < 8)
                        {
                            currentLoc = m.Groups[1].Value;
                            locations[currentLoc] = [m.Groups[2].Value.Trim()];
                        }
                        else if (currentLoc is not null) locations[currentLoc].Add(line.Trim());
                        break;
                    }
                case "mappings":
                    {
                        var m = NumberedLine().Match(line);
                        if (m.Success) mappings[m.Groups[1].Value] = m.Groups[2].Value.Trim();
                        else header.Add("mapping-extra: " + line.Trim());
                        break;
                    }
            }
        }
        string LocText(string id)
        {
            if (!locations.TryGetValue(id, out var l)) return "?" + id;
            var text = string.Join(" | ", l);
            return MappingRef().Replace(text, m => " M=[" + (mappings.TryGetValue(m.Groups[1].Value, out var mt) ? mt : "?") + "] ");
        }
        var sb = new StringBuilder();
        foreach (var h in header) sb.Append(h).Append('\n');
        var sampleTexts = samples
            .Select(s => $"{s.Values}: {string.Join(" ; ", s.Locs.Select(LocText))} {{{string.Join(" ", s.Labels.SelectMany(l => l.Split(' ')).Order(StringComparer.Ordinal))}}}")
            .Order(StringComparer.Ordinal);
        sb.Append("Samples:\n");
        foreach (var s in sampleTexts) sb.Append(s).Append('\n');
        sb.Append("Locations:\n");
        foreach (var l in locations.Keys.Select(LocText).Distinct().Order(StringComparer.Ordinal)) sb.Append(l).Append('\n');
        sb.Append("Mappings:\n");
        foreach (var m in mappings.Values.Distinct().Order(StringComparer.Ordinal)) sb.Append(m).Append('\n');
        return sb.ToString();
    }
}

/// <summary>What a committed <c>ref/*.raw.txt</c> says about a profile: sample types, sample count, totals.</summary>
internal sealed record RawSummary(string[] Types, int DefaultIndex, int SampleCount, long[] Totals)
{
    public static RawSummary Load(string fixture)
    {
        var dir = Path.GetDirectoryName(Fixtures.Path(fixture))!;
        var name = Path.GetFileName(fixture);
        var plain = Path.Combine(dir, "ref", name + ".raw.txt");
        string text;
        if (File.Exists(plain)) text = File.ReadAllText(plain);
        else
        {
            using var gz = new GZipStream(File.OpenRead(plain + ".gz"), CompressionMode.Decompress);
            text = new StreamReader(gz).ReadToEnd();
        }
        return Parse(text);
    }

    public static RawSummary Parse(string text)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n');
        int i = Array.IndexOf(lines, "Samples:");
        var rawTypes = lines[i + 1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int dflt = Array.FindIndex(rawTypes, t => t.EndsWith("[dflt]", StringComparison.Ordinal));
        var types = rawTypes.Select(t => t.Replace("[dflt]", "")).ToArray();
        var totals = new long[types.Length];
        int count = 0;
        var sample = new Regex(@"^\s*(-?\d+(?:\s+-?\d+)*):");
        for (int j = i + 2; j < lines.Length && lines[j] != "Locations"; j++)
        {
            var m = sample.Match(lines[j]);
            if (!m.Success) continue;
            var vals = m.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).ToArray();
            if (vals.Length != types.Length) continue;
            count++;
            for (int t = 0; t < vals.Length; t++) totals[t] += vals[t];
        }
        return new RawSummary(types, dflt < 0 ? types.Length - 1 : dflt, count, totals);
    }
}
