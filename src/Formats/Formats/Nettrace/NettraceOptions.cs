namespace FlameKit.Formats;

/// <summary>Options for reading .NET <c>.nettrace</c> (EventPipe) traces.</summary>
public sealed record NettraceOptions
{
    /// <summary>
    /// Keep only time the sample profiler saw a thread running managed code (the <c>CPU_TIME</c> leaves),
    /// dropping the time threads spent in native code or blocked (<c>UNMANAGED_CODE_TIME</c>). Default: false
    /// (all thread time, as <c>dotnet-trace convert</c> shows it).
    /// </summary>
    public bool CpuOnly { get; init; }

    /// <summary>
    /// Keep dotnet-trace's grouping frames above each thread: the process (<c>Process64 NAME (PID) Args: …</c>),
    /// <c>(Non-Activities)</c> and <c>Threads</c>. Default: true, so a FlameKit graph and speedscope's view of a
    /// dotnet-trace conversion show the same frames. The <c>Thread (TID)</c> frame stays either way.
    /// </summary>
    public bool ProcessFrames { get; init; } = true;

    /// <summary>The default options (dotnet-trace's picture).</summary>
    public static NettraceOptions Default { get; } = new();
}
