using System.IO.Compression;
using BenchmarkDotNet.Attributes;
using FlameKit.Formats;
using FlameKit.Formats.Pprof;

namespace FlameKit.Benchmarks;

/// <summary>
/// Reading the 1M-sample pprof benchmark profile (<c>pprof-1M.pb.gz</c> from shared/bench/gen-pprof) into the
/// model: FlameKit's field-by-field <c>CodedInputStream</c> reader against protoc-generated types plus a
/// conversion to the model. Both start from the decompressed bytes; <see cref="ReaderFromGzip"/> adds gzip.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class PprofReadBenchmarks
{
    private byte[] _gz = [];
    private byte[] _raw = [];

    /// <summary>Directory with the benchmark inputs: $FLAMEKIT_BENCH_DATA, default bench/data.</summary>
    public static string DataDir => Environment.GetEnvironmentVariable("FLAMEKIT_BENCH_DATA") is { Length: > 0 } d ? d : Path.Combine("bench", "data");

    /// <summary>Loads the input once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var path = Path.Combine(DataDir, "pprof-1M.pb.gz");
        _gz = File.ReadAllBytes(path);
        using var gz = new GZipStream(new MemoryStream(_gz), CompressionMode.Decompress);
        var ms = new MemoryStream();
        gz.CopyTo(ms);
        _raw = ms.ToArray();
    }

    /// <summary>FlameKit's reader on the uncompressed bytes.</summary>
    [Benchmark(Baseline = true)]
    public int CodedInputStreamReader() => new PprofReader().Read(new MemoryStream(_raw, writable: false), ReadOptions.Default).SampleCount;

    /// <summary>Generated types, then the model.</summary>
    [Benchmark]
    public int GeneratedTypesThenModel() => GeneratedPprof.Read(_raw).SampleCount;

    /// <summary>FlameKit's reader including gzip decompression (what <c>convert</c> pays).</summary>
    [Benchmark]
    public int ReaderFromGzip() => ProfileFormats.Read(new MemoryStream(_gz, writable: false)).Profile.SampleCount;
}
