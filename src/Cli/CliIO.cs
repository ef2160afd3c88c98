using FlameKit.Formats;

namespace FlameKit.Cli;

/// <summary>The process's standard streams, abstracted so tests can run commands in-process.</summary>
internal sealed class CliConsole(Stream stdin, Stream stdout, TextWriter stderr, bool stderrIsTerminal = false)
{
    public Stream StdIn { get; } = stdin;
    public Stream StdOut { get; } = stdout;
    public TextWriter StdErr { get; } = stderr;
    public bool StdErrIsTerminal { get; } = stderrIsTerminal;

    public static CliConsole FromProcess() => new(
        Console.OpenStandardInput(), Console.OpenStandardOutput(), Console.Error, !Console.IsErrorRedirected);

    /// <summary>Prints a warning line on stderr.</summary>
    public void Warn(string message) => StdErr.WriteLine("flamekit: warning: " + message);
}

/// <summary>Opening inputs (a file or stdin) and writing outputs whole or not at all.</summary>
internal static class CliIO
{
    /// <summary>Display name of an input path ("-" or none means stdin).</summary>
    public static string NameOf(string? path) => string.IsNullOrEmpty(path) || path == "-" ? "<stdin>" : path;

    /// <summary>Reads and detects a profile from a path or stdin; errors become one-line CLI errors.</summary>
    public static (Profile Profile, ProfileFormat Format) ReadProfile(CliConsole console, string? path, string? format, string? profileSelector = null, bool stateAsRoot = false, PerfScriptOptions? perf = null)
        => ReadProfile(console, path, format, profileSelector, null, stateAsRoot, perf);

    /// <summary>As <see cref="ReadProfile(CliConsole, string?, string?, string?)"/>, optionally listing the file's profiles first.</summary>
    public static (Profile Profile, ProfileFormat Format) ReadProfile(CliConsole console, string? path, string? format, string? profileSelector,
        Action<IReadOnlyList<ProfileEntry>?>? listProfiles, bool stateAsRoot = false, PerfScriptOptions? perf = null,
        NettraceOptions? nettrace = null)
    {
        string name = NameOf(path);
        Stream input;
        bool own = false;
        if (name == "<stdin>")
        {
            input = console.StdIn;
            if (listProfiles is not null)
            {
                // Listing reads the input once more: keep stdin's bytes.
                var copy = new MemoryStream();
                console.StdIn.CopyTo(copy);
                copy.Position = 0;
                input = copy;
            }
        }
        else
        {
            if (Directory.Exists(path)) throw CliException.Input($"{name}: is a directory, expected a profile file");
            try { input = new FileStream(path!, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16); own = true; }
            catch (FileNotFoundException) { throw CliException.Input($"{name}: no such file"); }
            catch (DirectoryNotFoundException) { throw CliException.Input($"{name}: no such file"); }
            catch (UnauthorizedAccessException) { throw CliException.Input($"{name}: permission denied"); }
            catch (IOException e) { throw CliException.Input($"{name}: cannot read: {e.Message}"); }
        }
        try
        {
            var opts = new ReadOptions
            {
                SourceName = name == "<stdin>" ? null : name,
                Diagnostics = d => console.Warn($"{name}: {d.Message}"),
                ProfileSelector = profileSelector,
                GoroutineStateAsRootFrame = stateAsRoot,
                Perf = perf ?? PerfScriptOptions.Default,
                Nettrace = nettrace ?? NettraceOptions.Default,
            };
            if (listProfiles is not null)
            {
                long start = input.CanSeek ? input.Position : 0;
                if (input.CanSeek)
                {
                    listProfiles(ProfileFormats.ListProfiles(input, opts, format));
                    input.Position = start;
                }
            }
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var result = ProfileFormats.Read(input, opts, format);
            Timing.Report(console, $"read {name} as {result.Format.Name}", sw);
            return result;
        }
        catch (ProfileFormatException e) { throw CliException.Input($"{name}: {e.Message}"); }
        catch (ArgumentException e) { throw CliException.Usage(e); }
        catch (IOException e) { throw CliException.Input($"{name}: cannot read: {e.Message}"); }
        finally { if (own) input.Dispose(); }
    }

    /// <summary>
    /// Runs <paramref name="write"/> after the input was fully read and validated: into a temporary file
    /// renamed over <paramref name="path"/> (a failure leaves no file), or straight to stdout.
    /// </summary>
    public static void WriteOutput(CliConsole console, string? path, Action<Stream> write)
    {
        if (string.IsNullOrEmpty(path) || path == "-")
        {
            // Every reader validates its whole input before a writer runs, so bad input can never produce
            // partial output; streaming straight to stdout avoids buffering a gigabyte of folded text.
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var stdout = new BufferedStream(console.StdOut, 1 << 20);
            try
            {
                write(stdout);
                stdout.Flush();
                console.StdOut.Flush();
            }
            catch (IOException e) when (IsBrokenPipe(e))
            {
                // The reader went away (`flamekit ... | head`): stop quietly, as Unix tools do.
                throw new CliException("", ExitCode.Ok);
            }
            Timing.Report(console, "write", sw);
            return;
        }
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir)) throw CliException.Usage($"{path}: directory {dir} does not exist");
        string tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
                write(fs);
            File.Move(tmp, full, overwrite: true);
        }
        catch (UnauthorizedAccessException) { TryDelete(tmp); throw CliException.Input($"{path}: permission denied"); }
        catch (IOException e) when (e is not EndOfStreamException) { TryDelete(tmp); throw CliException.Input($"{path}: cannot write: {e.Message}"); }
        catch { TryDelete(tmp); throw; }
    }

    private static bool IsBrokenPipe(IOException e) =>
        e.Message.Contains("pipe", StringComparison.OrdinalIgnoreCase) || e.HResult == 32 || (e.HResult & 0xFFFF) == 32;

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Phase timings on stderr when FLAMEKIT_TIMING=1 (for benchmarking and bug reports).</summary>
internal static class Timing
{
    private static readonly bool s_enabled = Environment.GetEnvironmentVariable("FLAMEKIT_TIMING") == "1";

    public static void Report(CliConsole console, string phase, System.Diagnostics.Stopwatch sw)
    {
        // Process CPU time so far (all threads), since wall time alone misleads on a busy machine.
        if (s_enabled) console.StdErr.WriteLine($"flamekit: timing: {phase}: {sw.Elapsed.TotalMilliseconds:F1} ms (GC heap {GC.GetTotalMemory(false) >> 20} MB, process CPU so far {System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds:F0} ms)");
    }
}
