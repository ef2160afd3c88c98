namespace FlameKit.Formats.Folded;

/// <summary>Reads folded (collapsed) stacks.</summary>
public sealed class FoldedReader : IProfileReader
{
    /// <summary>The folded format description.</summary>
    public static ProfileFormat FoldedFormat { get; } = new("folded", "folded stacks (flamegraph.pl collapsed text)", [".folded", ".collapsed", ".txt"]);

    /// <inheritdoc/>
    public ProfileFormat Format => FoldedFormat;

    /// <inheritdoc/>
    public Detection Detect(ReadOnlySpan<byte> head, bool isComplete) => Detection.No;

    /// <inheritdoc/>
    public Profile Read(Stream input, ReadOptions options) => throw new NotImplementedException();
}
