namespace FlameKit;

/// <summary>A memory mapping of a binary, as pprof's <c>Mapping</c>.</summary>
/// <param name="Start">Start address of the mapping.</param>
/// <param name="Limit">Address just past the end of the mapping.</param>
/// <param name="Offset">File offset of <paramref name="Start"/>.</param>
/// <param name="File">Path of the mapped object, or "" when unknown.</param>
/// <param name="BuildId">Build id of the object, or "".</param>
public sealed record Mapping(ulong Start, ulong Limit, ulong Offset, string File, string BuildId)
{
    /// <summary>The symbols of this mapping are resolved to functions.</summary>
    public bool HasFunctions { get; init; }
    /// <summary>File names are resolved.</summary>
    public bool HasFilenames { get; init; }
    /// <summary>Line numbers are resolved.</summary>
    public bool HasLineNumbers { get; init; }
    /// <summary>Inlined frames are resolved.</summary>
    public bool HasInlineFrames { get; init; }

    /// <summary>The last path component of <see cref="File"/> ("" when unknown).</summary>
    public string FileBaseName
    {
        get
        {
            int slash = Math.Max(File.LastIndexOf('/'), File.LastIndexOf('\\'));
            return slash < 0 ? File : File[(slash + 1)..];
        }
    }
}

/// <summary>A function, as pprof's <c>Function</c>. Equal functions are interned to one <see cref="FunctionId"/>.</summary>
/// <param name="Name">Human-readable name, e.g. <c>main.(*Server).Handle</c>.</param>
/// <param name="SystemName">Name as the system knows it (mangled), or "".</param>
/// <param name="File">Source file, or "".</param>
/// <param name="StartLine">Line of the function's start, or 0.</param>
public readonly record struct Function(string Name, string SystemName, string File, long StartLine);

/// <summary>One source line of a location: a function and a line number within it.</summary>
/// <param name="Function">The function this line belongs to.</param>
/// <param name="Number">Line number, or 0 when unknown.</param>
/// <param name="Column">Column number, or 0 when unknown.</param>
public readonly record struct Line(FunctionId Function, long Number, long Column = 0);

/// <summary>
/// A code location (one program counter), as pprof's <c>Location</c>. Several <see cref="Lines"/> mean
/// inlined calls: as in <c>profile.proto</c>, the first line is the innermost (inlined callee) and the
/// last is the caller into which the others were inlined. A location without lines is unsymbolized.
/// </summary>
public readonly struct Location : IEquatable<Location>
{
    private readonly Line[] _lines;

    /// <summary>Creates a location.</summary>
    /// <param name="address">Instruction address, or 0 when unknown.</param>
    /// <param name="mapping">The mapping containing the address.</param>
    /// <param name="lines">The source lines, innermost first.</param>
    /// <param name="isFolded">Whether the location was folded by the linker (pprof's <c>is_folded</c>).</param>
    public Location(ulong address, MappingId mapping, Line[] lines, bool isFolded = false)
    {
        Address = address;
        Mapping = mapping;
        _lines = lines;
        IsFolded = isFolded;
    }

    /// <summary>Instruction address, or 0 when unknown.</summary>
    public ulong Address { get; }
    /// <summary>The mapping the address belongs to.</summary>
    public MappingId Mapping { get; }
    /// <summary>Whether the linker folded several functions into this location.</summary>
    public bool IsFolded { get; }
    /// <summary>Source lines, innermost (inlined callee) first; empty when unsymbolized.</summary>
    public ReadOnlySpan<Line> Lines => _lines;

    /// <inheritdoc/>
    public bool Equals(Location other)
    {
        if (Address != other.Address || Mapping != other.Mapping || IsFolded != other.IsFolded) return false;
        return ((ReadOnlySpan<Line>)_lines).SequenceEqual(other._lines);
    }

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Location l && Equals(l);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(Address);
        h.Add(Mapping);
        h.Add(IsFolded);
        foreach (var l in _lines) h.Add(l);
        return h.ToHashCode();
    }
}

/// <summary>
/// A label attached to a sample: a key with either a string value or a numeric value (with an optional unit),
/// as pprof's <c>Label</c>.
/// </summary>
/// <param name="Key">Label key, e.g. <c>tenant</c> or <c>bytes</c>.</param>
/// <param name="Str">String value, or null for a numeric label.</param>
/// <param name="Num">Numeric value (meaningful when <paramref name="Str"/> is null).</param>
/// <param name="NumUnit">Unit of the numeric value, or null.</param>
public readonly record struct Label(string Key, string? Str, long Num = 0, string? NumUnit = null)
{
    /// <summary>True for a numeric label.</summary>
    public bool IsNumeric => Str is null;

    /// <inheritdoc/>
    public override string ToString() => Str is not null ? $"{Key}={Str}" : $"{Key}={Num}{(NumUnit is null ? "" : " " + NumUnit)}";
}

/// <summary>A thread (and its process) that samples can be attributed to.</summary>
/// <param name="Id">Operating system or runtime thread id (goroutine id for Go dumps).</param>
/// <param name="Name">Thread name, or "".</param>
/// <param name="ProcessId">Process id, or 0.</param>
/// <param name="ProcessName">Process name, or "".</param>
public sealed record ThreadInfo(long Id, string Name, long ProcessId = 0, string ProcessName = "");
