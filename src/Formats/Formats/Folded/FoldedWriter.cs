namespace FlameKit.Formats.Folded;

/// <summary>Writes folded (collapsed) stacks.</summary>
public sealed class FoldedWriter : IProfileWriter
{
    /// <inheritdoc/>
    public ProfileFormat Format => FoldedReader.FoldedFormat;

    /// <inheritdoc/>
    public void Write(Profile profile, Stream output, WriteOptions options) => throw new NotImplementedException();
}
