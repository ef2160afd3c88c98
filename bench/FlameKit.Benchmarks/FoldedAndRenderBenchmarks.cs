using System.Text;
using BenchmarkDotNet.Attributes;
using FlameKit.Formats;
using FlameKit.Rendering;

namespace FlameKit.Benchmarks;

/// <summary>
/// Micro benchmarks of the folded path that needs no input files: a deterministic folded text of
/// 20,000 lines over 4,000 distinct stacks (depth 5–40, 600 frame names) is built in memory, then read,
/// written back as folded, laid out and rendered to SVG.
/// </summary>
[MemoryDiagnoser]
public class FoldedAndRenderBenchmarks
{
    private byte[] _folded = [];
    private Profile _profile = null!;

    /// <summary>Builds the input.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(42);
        var names = Enumerable.Range(0, 600).Select(i => $"pkg{i % 17}.Type{i % 29}.Method{i}(int, std::string const&)").ToArray();
        var stacks = new string[4000];
        for (int s = 0; s < stacks.Length; s++)
        {
            int depth = 5 + rng.Next(36);
            var sb = new StringBuilder("main");
            for (int d = 1; d < depth; d++) sb.Append(';').Append(names[rng.Next(names.Length)]);
            stacks[s] = sb.ToString();
        }
        var text = new StringBuilder();
        for (int i = 0; i < 20000; i++) text.Append(stacks[rng.Next(stacks.Length)]).Append(' ').Append(1 + rng.Next(100)).Append('\n');
        _folded = Encoding.UTF8.GetBytes(text.ToString());
        _profile = ReadFolded();
    }

    /// <summary>Folded text → model.</summary>
    [Benchmark]
    public Profile ReadFolded() => ProfileFormats.Read(new MemoryStream(_folded)).Profile;

    /// <summary>Model → folded text (sorted, merged).</summary>
    [Benchmark]
    public long WriteFolded()
    {
        var ms = new MemoryStream();
        ProfileFormats.FindWriter("folded")!.Write(_profile, ms, WriteOptions.Default);
        return ms.Length;
    }

    /// <summary>Model → flame graph layout (value space).</summary>
    [Benchmark]
    public int Layout() => FlameGraphLayout.Compute(_profile, FlameGraph.ToLayoutOptions(new FlameGraphOptions())).Frames.Length;

    /// <summary>Model → SVG bytes.</summary>
    [Benchmark]
    public long RenderSvg()
    {
        var ms = new MemoryStream();
        FlameGraph.Render(_profile, new FlameGraphOptions(), ms);
        return ms.Length;
    }
}
