using System.CommandLine;

namespace FlameKit.Cli;

/// <summary>Options and arguments shared by several commands, defined once so their help never drifts.</summary>
internal static class CommonOptions
{
    public static Argument<string?> Input() => new("FILE")
    {
        Description = "Profile to read (any supported format, gzipped or not, detected from content); '-' or none reads stdin",
        Arity = ArgumentArity.ZeroOrOne,
    };

    public static Option<string?> Output() => new("--output", "-o")
    {
        Description = "Write to this file (written whole or not at all) instead of stdout",
        HelpName = "OUT",
    };

    public static Option<string?> From() => new("--from")
    {
        Description = "Input format, skipping detection: " + string.Join(", ", Formats.ProfileFormats.Readers.Select(r => r.Format.Name)),
        HelpName = "FORMAT",
    };

    public static Option<string?> Profile() => new("--profile")
    {
        Description = "For files holding several profiles (speedscope): which one, by name or index, or 'all' (one thread each); default: the file's active profile",
        HelpName = "NAME|N",
    };

    public static Option<bool> StateRoot() => new("--goroutine-state-root")
    {
        Description = "Goroutine dumps (debug=2): put each goroutine's state, e.g. [chan receive], as the root frame so the graph splits by state",
    };

    public static Option<string?> SampleIndex() => new("--sample-index")
    {
        Description = "Sample type to use, by name (inuse_space, alloc_objects, cpu, ...) or index; default: the profile's default (else the last), as pprof",
        HelpName = "NAME|N",
    };
}
