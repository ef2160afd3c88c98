namespace FlameKit.Formats.Pprof;

/// <summary>Reads pprof <c>profile.proto</c> data (gzip is unwrapped by <see cref="ProfileFormats"/>).</summary>
public sealed class PprofReader : IProfileReader
{
    /// <summary>The pprof format description.</summary>
    public static ProfileFormat PprofFormat { get; } = new("pprof", "pprof protobuf (profile.proto, gzipped or raw)", [".pb.gz", ".pb", ".pprof", ".prof"]);

    /// <inheritdoc/>
    public ProfileFormat Format => PprofFormat;

    /// <inheritdoc/>
    public Detection Detect(ReadOnlySpan<byte> head, bool isComplete) => Detection.No;

    /// <inheritdoc/>
    public Profile Read(Stream input, ReadOptions options) => throw new NotImplementedException();
}
