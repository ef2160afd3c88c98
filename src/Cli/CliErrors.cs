namespace FlameKit.Cli;

/// <summary>Process exit codes.</summary>
internal enum ExitCode
{
    Ok = 0,
    /// <summary>Bad input: unreadable file, malformed profile.</summary>
    BadInput = 1,
    /// <summary>Bad usage: unknown option, invalid option value.</summary>
    Usage = 2,
    /// <summary>A bug: an unexpected exception (stack trace only with FLAMEKIT_DEBUG=1).</summary>
    Internal = 70,
}

/// <summary>An anticipated failure, printed as one line without a stack trace.</summary>
internal sealed class CliException(string message, ExitCode code) : Exception(message)
{
    public ExitCode Code { get; } = code;

    public static CliException Usage(string message) => new(message, ExitCode.Usage);

    /// <summary>A usage error from an <see cref="ArgumentException"/>, without its "(Parameter 'x')" suffix.</summary>
    public static CliException Usage(ArgumentException e) =>
        new(e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal), ExitCode.Usage);
    public static CliException Input(string message) => new(message, ExitCode.BadInput);
}
