namespace FlameKit.Formats;

/// <summary>How sure a reader is that some bytes are in its format.</summary>
public enum Detection
{
    /// <summary>Certainly not this format.</summary>
    No,
    /// <summary>Could be this format; a more specific reader should win.</summary>
    Maybe,
    /// <summary>Certainly this format (a magic number or an unmistakable header).</summary>
    Yes,
}

/// <summary>Describes a profile file format.</summary>
/// <param name="Name">Canonical name used on the command line, e.g. <c>pprof</c>, <c>folded</c>.</param>
/// <param name="Description">One-line description for help texts.</param>
/// <param name="Extensions">Conventional file name endings, e.g. <c>.pb.gz</c>; used only to break ties.</param>
public sealed record ProfileFormat(string Name, string Description, IReadOnlyList<string> Extensions)
{
    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>A warning a reader or writer reports without failing (lossy conversion, ignored lines).</summary>
/// <param name="Message">One human-readable line.</param>
public readonly record struct Diagnostic(string Message);

/// <summary>Options for reading a profile.</summary>
public sealed record ReadOptions
{
    /// <summary>Receives warnings such as "ignored 3 lines with invalid format". Default: none (warnings are dropped).</summary>
    public Action<Diagnostic>? Diagnostics { get; init; }

    /// <summary>A name for the input used in messages and as the profile name (a file name). Default: null.</summary>
    public string? SourceName { get; init; }

    /// <summary>
    /// For files that hold several profiles (speedscope): which one to read, by name or zero-based index;
    /// <c>all</c> reads every profile, each as a thread of one model profile (they must share a unit kind).
    /// Default: null (the file's active profile, <c>activeProfileIndex</c>, else the first).
    /// </summary>
    public string? ProfileSelector { get; init; }

    /// <summary>
    /// For Go goroutine dumps (<c>?debug=2</c>, panics, SIGQUIT): put each goroutine's state, e.g.
    /// <c>[chan receive]</c>, as the root frame of its stack, so a flame graph splits by state first.
    /// The state is a label either way. Default: false.
    /// </summary>
    public bool GoroutineStateAsRootFrame { get; init; }

    /// <summary>
    /// For Linux <c>perf script</c> text: how frames and the root (process) frame are named, as
    /// stackcollapse-perf.pl's options would. Default: <see cref="PerfScriptOptions.Default"/> (its default output).
    /// </summary>
    public PerfScriptOptions Perf { get; init; } = PerfScriptOptions.Default;

    /// <summary>
    /// For .NET <c>.nettrace</c> traces: all thread time or CPU time only, and which grouping frames to keep.
    /// Default: <see cref="NettraceOptions.Default"/> (the picture <c>dotnet-trace convert</c> gives).
    /// </summary>
    public NettraceOptions Nettrace { get; init; } = NettraceOptions.Default;

    /// <summary>The default options.</summary>
    public static ReadOptions Default { get; } = new();
}

/// <summary>
/// Options for reading <c>perf script</c> text, named after stackcollapse-perf.pl's flags
/// (<c>--pid</c>, <c>--tid</c>, <c>--kernel</c>, <c>--jit</c>, <c>--all</c>, <c>--addrs</c>, <c>--event-filter</c>).
/// </summary>
public sealed record PerfScriptOptions
{
    /// <summary>Root frame <c>comm-PID</c> instead of <c>comm</c> (<c>--pid</c>). Default: false.</summary>
    public bool IncludePid { get; init; }

    /// <summary>Root frame <c>comm-PID/TID</c> (<c>--tid</c>); wins over <see cref="IncludePid"/>. Default: false.</summary>
    public bool IncludeTid { get; init; }

    /// <summary>Suffix kernel frames with <c>_[k]</c> (<c>--kernel</c>). Default: false.</summary>
    public bool AnnotateKernel { get; init; }

    /// <summary>Suffix JIT frames (from <c>/tmp/perf-PID.map</c>) with <c>_[j]</c> (<c>--jit</c>). Default: false.</summary>
    public bool AnnotateJit { get; init; }

    /// <summary>Both annotations, as <c>--all</c>. Default: false.</summary>
    public bool All { get; init; }

    /// <summary>Name unresolved frames <c>[module &lt;address&gt;]</c> instead of <c>[module]</c> (<c>--addrs</c>). Default: false.</summary>
    public bool Addrs { get; init; }

    /// <summary>
    /// Keep only samples of this event, e.g. <c>cycles</c> or <c>cpu-clock:pppH</c> (<c>--event-filter</c>).
    /// Default: null (the first event in the input, as stackcollapse-perf.pl does).
    /// </summary>
    public string? EventFilter { get; init; }

    /// <summary>
    /// Keep every perf sample, in input order, with its time (the header's <c>secs.usecs:</c>) and thread
    /// (PID/TID, named after the thread's <c>comm</c>), instead of one sample per distinct stack. Folded output
    /// is the same either way; speedscope and Chrome trace output, flame charts and thread or time selection
    /// need it. Costs memory per sample rather than per distinct stack. Default: false.
    /// </summary>
    public bool KeepTimeline { get; init; }

    /// <summary>The default options (stackcollapse-perf.pl without flags).</summary>
    public static PerfScriptOptions Default { get; } = new();
}

/// <summary>One profile of a file that holds several (a speedscope file), as listed before reading.</summary>
/// <param name="Index">Zero-based index in the file.</param>
/// <param name="Name">The profile's name.</param>
/// <param name="Kind">The profile's kind, e.g. <c>sampled</c> or <c>evented</c>.</param>
/// <param name="Unit">The unit of its values, as the file names it.</param>
/// <param name="IsActive">Whether it is the profile read by default.</param>
public sealed record ProfileEntry(int Index, string Name, string Kind, string Unit, bool IsActive);

/// <summary>A reader for files that hold several profiles; <see cref="ReadOptions.ProfileSelector"/> chooses one.</summary>
public interface IMultiProfileReader : IProfileReader
{
    /// <summary>Lists the profiles of a file without building them.</summary>
    /// <param name="input">The (decompressed) input, positioned at its start.</param>
    /// <exception cref="ProfileFormatException">The input is not valid in this format.</exception>
    IReadOnlyList<ProfileEntry> ListProfiles(Stream input);
}

/// <summary>Options for writing a profile.</summary>
public sealed record WriteOptions
{
    /// <summary>
    /// For formats that hold one value per sample (folded): which sample type, by name or index;
    /// null means the profile's default (<see cref="Profile.DefaultSampleTypeIndex"/>). Default: null.
    /// </summary>
    public string? SampleType { get; init; }

    /// <summary>For name-only formats (folded): how frames are named. Default: <see cref="FrameGranularity.Functions"/>.</summary>
    public FrameGranularity Granularity { get; init; } = FrameGranularity.Functions;

    /// <summary>Receives a line for each kind of information the target format cannot hold. Default: none.</summary>
    public Action<Diagnostic>? Diagnostics { get; init; }

    /// <summary>The default options.</summary>
    public static WriteOptions Default { get; } = new();
}

/// <summary>Reads one profile format into the common model.</summary>
public interface IProfileReader
{
    /// <summary>The format this reader reads.</summary>
    ProfileFormat Format { get; }

    /// <summary>
    /// Decides from the first bytes of (decompressed) input whether it is in this format. Must not throw.
    /// </summary>
    /// <param name="head">Up to the first 64 KiB of the input; may be the whole input.</param>
    /// <param name="isComplete">True when <paramref name="head"/> is the whole input.</param>
    Detection Detect(ReadOnlySpan<byte> head, bool isComplete);

    /// <summary>Reads a whole profile.</summary>
    /// <param name="input">The (decompressed) input, positioned at its start.</param>
    /// <param name="options">Read options.</param>
    /// <exception cref="ProfileFormatException">The input is not a valid profile in this format.</exception>
    Profile Read(Stream input, ReadOptions options);
}

/// <summary>Writes the common model in one format.</summary>
public interface IProfileWriter
{
    /// <summary>The format this writer writes.</summary>
    ProfileFormat Format { get; }

    /// <summary>Writes <paramref name="profile"/> to <paramref name="output"/>.</summary>
    /// <param name="profile">The profile.</param>
    /// <param name="output">Destination; not closed.</param>
    /// <param name="options">Write options.</param>
    void Write(Profile profile, Stream output, WriteOptions options);
}

/// <summary>
/// Input that is not valid in the format being read. The message names the position (line or byte offset)
/// and what was expected, and never contains a stack trace.
/// </summary>
public sealed class ProfileFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="format">The format being read.</param>
    /// <param name="message">What was expected.</param>
    /// <param name="line">1-based line number for text formats, or null.</param>
    /// <param name="byteOffset">Byte offset into the (decompressed) input, or null.</param>
    /// <param name="inner">The underlying exception, if any.</param>
    public ProfileFormatException(string format, string message, long? line = null, long? byteOffset = null, Exception? inner = null)
        : base(Compose(format, message, line, byteOffset), inner)
    {
        FormatName = format;
        Detail = message;
        LineNumber = line;
        ByteOffset = byteOffset;
    }

    /// <summary>The format being read.</summary>
    public string FormatName { get; }
    /// <summary>What was wrong, without position.</summary>
    public string Detail { get; }
    /// <summary>1-based line number, when known.</summary>
    public long? LineNumber { get; }
    /// <summary>Byte offset, when known.</summary>
    public long? ByteOffset { get; }

    private static string Compose(string format, string message, long? line, long? offset)
    {
        string where = line is not null ? $"line {line}: " : offset is not null ? $"byte {offset}: " : "";
        return $"{format}: {where}{message}";
    }
}
