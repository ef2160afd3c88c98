namespace FlameKit.Formats.Pprof;

/// <summary>Writes gzipped pprof <c>profile.proto</c> data.</summary>
public sealed class PprofWriter : IProfileWriter
{
    /// <inheritdoc/>
    public ProfileFormat Format => PprofReader.PprofFormat;

    /// <inheritdoc/>
    public void Write(Profile profile, Stream output, WriteOptions options) => throw new NotImplementedException();
}
