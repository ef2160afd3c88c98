using System.Text.Json;
using FlameKit.Formats;
using FlameKit.Formats.Speedscope;

namespace FlameKit.Tests.Formats;

/// <summary>
/// Compares FlameKit's reading of a file with what speedscope 1.25.0's importer made of it
/// (<c>fixtures/expected/speedscope-reference.json</c>): per profile (thread) the total, and the
/// self weight of each of speedscope's top 10 frames.
/// </summary>
internal static class ReferenceSummaries
{
    private static readonly Lazy<JsonDocument> s_ref = new(() => JsonDocument.Parse(File.ReadAllBytes(Fixtures.Path("expected/speedscope-reference.json"))));

    public static JsonElement Entry(string fixture) => s_ref.Value.RootElement.GetProperty("files").GetProperty(fixture);

    public static Profile Read(string fixture, string? selector = null, List<string>? diagnostics = null)
    {
        using var f = File.OpenRead(Fixtures.Path(fixture));
        return ProfileFormats.Read(f, new ReadOptions { SourceName = fixture, ProfileSelector = selector, Diagnostics = d => diagnostics?.Add(d.Message) }).Profile;
    }

    /// <summary>Per thread label: total and self weight per leaf frame (name, file, line, column).</summary>
    public static Dictionary<string, (long Total, List<(string Name, long Self)> Frames)> Summaries(Profile p)
    {
        var result = new Dictionary<string, (long, Dictionary<int, long>)>();
        for (int i = 0; i < p.SampleCount; i++)
        {
            var t = p.SampleThread(i);
            string label = t.IsNone ? p.Name : SpeedscopeWriter.ThreadLabel(p.Threads[t.Index]);
            if (!result.TryGetValue(label, out var e)) result[label] = e = (0, []);
            long v = p.SampleValue(i, 0);
            e.Item1 += v;
            var s = p.SampleStack(i);
            if (!s.IsEmpty)
            {
                int loc = p.StackLocation(s).Index;
                e.Item2[loc] = e.Item2.GetValueOrDefault(loc) + v;
            }
            result[label] = e;
        }
        return result.ToDictionary(kv => kv.Key, kv => (kv.Value.Item1,
            kv.Value.Item2.Select(x => (p.Functions[p.Locations[x.Key].Lines[0].Function.Index].Name, x.Value)).ToList()));
    }

    /// <summary>Asserts totals and top frames agree within rounding (nanoseconds per speedscope unit).</summary>
    public static void AssertAgrees(string fixture, Profile p, bool compareTopFrames = true)
    {
        var entry = Entry(fixture);
        var mine = Summaries(p);
        var profiles = entry.GetProperty("profiles").EnumerateArray().ToList();
        Assert.Equal(profiles.Count, mine.Count);
        foreach (var rp in profiles)
        {
            string name = rp.GetProperty("name").GetString()!;
            double factor = rp.GetProperty("unit").GetString() switch
            {
                "milliseconds" => 1e6, "microseconds" => 1e3, "seconds" => 1e9, _ => 1,
            };
            Assert.True(mine.TryGetValue(name, out var m), $"no profile/thread named \"{name}\"; have: {string.Join(" | ", mine.Keys)}");
            double total = rp.GetProperty("total").GetDouble() * factor;
            Assert.True(Close(total, m.Total), $"{name}: total {m.Total} ns, speedscope {total} ns");
            if (!compareTopFrames) continue;
            foreach (var top in rp.GetProperty("top").EnumerateArray())
            {
                string fname = top.GetProperty("name").GetString()!;
                double self = top.GetProperty("self").GetDouble() * factor;
                var candidates = m.Frames.Where(f => f.Name == fname).Select(f => f.Self).ToList();
                if (self < 5000 && candidates.Count == 0) continue; // float noise in the source (< 5 µs): rounds away in whole nanoseconds
                Assert.True(candidates.Any(c => Close(self, c)), $"{name}: frame \"{fname}\" self {self} ns; FlameKit has [{string.Join(", ", candidates)}]");
            }
        }
    }

    private static bool Close(double expected, long actual) => Math.Abs(expected - actual) <= Math.Max(5000, Math.Abs(expected) * 2e-6);
}
