using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace FlameKit.Tests.Formats.GoText;

/// <summary>
/// The parts of <c>go tool pprof -raw</c> output the conformance tests compare: sample types, period,
/// and the values of each address stack (leaf first), summed over samples with the same stack.
/// </summary>
internal sealed class PprofRaw
{
    public List<string> SampleTypes { get; } = [];
    public string PeriodType { get; private set; } = "";
    public long Period { get; private set; }
    public Dictionary<string, long[]> ByStack { get; } = new(StringComparer.Ordinal);
    public int SampleLines { get; private set; }

    public static PprofRaw Parse(string text)
    {
        var r = new PprofRaw();
        var lines = text.Replace("\r\n", "\n").Split('\n');
        var samples = new List<(long[] Values, int[] Locs)>();
        var locAddr = new Dictionary<int, string>();
        string section = "";
        foreach (var line in lines)
        {
            if (line.StartsWith("PeriodType: ", StringComparison.Ordinal)) { r.PeriodType = line["PeriodType: ".Length..].Trim(); continue; }
            if (line.StartsWith("Period: ", StringComparison.Ordinal)) { r.Period = long.Parse(line["Period: ".Length..], CultureInfo.InvariantCulture); continue; }
            if (line == "Samples:") { section = "types"; continue; }
            if (line == "Locations") { section = "locs"; continue; }
            if (line == "Mappings") { section = "maps"; continue; }
            if (section == "types")
            {
                r.SampleTypes.AddRange(line.Split(' ', StringSplitOptions.RemoveEmptyEntries));
                section = "samples";
                continue;
            }
            if (section == "samples")
            {
                int colon = line.IndexOf(": ", StringComparison.Ordinal);
                if (colon < 0 || line.TrimStart().Contains(":[", StringComparison.Ordinal)) continue; // label line
                var head = line[..colon].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (head.Length != r.SampleTypes.Count || !head.All(h => long.TryParse(h, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))) continue;
                var values = head.Select(h => long.Parse(h, CultureInfo.InvariantCulture)).ToArray();
                var locs = line[(colon + 2)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
                samples.Add((values, locs));
                r.SampleLines++;
            }
            else if (section == "locs")
            {
                var t = line.Trim();
                int colon = t.IndexOf(": 0x", StringComparison.Ordinal);
                if (colon > 0 && int.TryParse(t[..colon], out int id))
                {
                    var rest = t[(colon + 2)..];
                    int sp = rest.IndexOf(' ');
                    locAddr[id] = sp < 0 ? rest : rest[..sp];
                }
            }
        }
        foreach (var (values, locs) in samples)
            r.Add(string.Join(" ", locs.Select(l => locAddr[l])), values);
        return r;
    }

    /// <summary>The same view of a FlameKit profile (all-zero samples dropped, as pprof's merge drops them).</summary>
    public static PprofRaw FromProfile(Profile p)
    {
        var r = new PprofRaw();
        r.SampleTypes.AddRange(p.SampleTypes.Select(t => t.ToString()));
        r.PeriodType = p.PeriodType is { } pt ? $"{pt.Type} {pt.Unit}" : "";
        r.Period = p.Period;
        var buf = new LocationId[4096];
        for (int i = 0; i < p.SampleCount; i++)
        {
            var v = p.SampleValues(i).ToArray();
            if (v.All(x => x == 0)) continue;
            int n = p.CopyStackLeafFirst(p.SampleStack(i), buf);
            r.Add(string.Join(" ", buf.Take(n).Select(l => "0x" + p.Locations[l.Index].Address.ToString("x", CultureInfo.InvariantCulture))), v);
            r.SampleLines++;
        }
        return r;
    }

    private void Add(string key, long[] values)
    {
        if (ByStack.TryGetValue(key, out var sum)) for (int k = 0; k < sum.Length; k++) sum[k] += values[k];
        else ByStack[key] = (long[])values.Clone();
    }

    /// <summary>Asserts both views agree; the message lists the first differences.</summary>
    public static void AssertEqual(PprofRaw expected, PprofRaw actual, string what)
    {
        Assert.Equal(expected.SampleTypes, actual.SampleTypes);
        Assert.Equal(expected.PeriodType, actual.PeriodType);
        Assert.Equal(expected.Period, actual.Period);
        var diffs = new List<string>();
        foreach (var (k, v) in expected.ByStack)
        {
            if (!actual.ByStack.TryGetValue(k, out var a)) diffs.Add($"missing stack [{k}] = {string.Join(",", v)}");
            else if (!a.SequenceEqual(v)) diffs.Add($"stack [{k}]: expected {string.Join(",", v)}, got {string.Join(",", a)}");
        }
        foreach (var (k, v) in actual.ByStack)
            if (!expected.ByStack.ContainsKey(k)) diffs.Add($"extra stack [{k}] = {string.Join(",", v)}");
        Assert.True(diffs.Count == 0, $"{what}: {diffs.Count} differences:\n" + string.Join("\n", diffs.Take(10)));
    }
}

/// <summary>Runs the real <c>go tool pprof</c>. A missing <c>go</c> fails the test (never skips it).</summary>
internal static class GoTool
{
    public static string Pprof(params string[] args)
    {
        var psi = new ProcessStartInfo("go") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("tool");
        psi.ArgumentList.Add("pprof");
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["TZ"] = "UTC";
        Process proc;
        try { proc = Process.Start(psi) ?? throw new InvalidOperationException("could not start go"); }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("the conformance tests need the 'go' command (Go 1.19+ with 'go tool pprof') on PATH: " + e.Message, e);
        }
        using (proc)
        {
            var stdout = proc.StandardOutput.ReadToEndAsync();
            var stderr = proc.StandardError.ReadToEndAsync();
            if (!proc.WaitForExit(120_000)) { proc.Kill(true); throw new TimeoutException("go tool pprof took over 120 s"); }
            if (proc.ExitCode != 0) throw new InvalidOperationException($"go tool pprof {string.Join(" ", args)} failed ({proc.ExitCode}): {stderr.Result}");
            return stdout.Result;
        }
    }

    public static string Raw(string path) => Pprof("-symbolize=none", "-raw", path);
}
