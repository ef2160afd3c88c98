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
        Action<IReadOnlyList<ProfileEntry>?>? listProfiles, bool stateAsRoot = false, PerfScriptOptions? perf = null)
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
    /// Runs <paramref name="write"/> into a buffer and only then publishes it: to a temporary file
    /// renamed over <paramref name="path"/>, or copied to stdout. A failure leaves no partial output.
    /// </summary>
    public static void WriteOutput(CliConsole console, string? path, Action<Stream> write)
    {
        if (string.IsNullOrEmpty(path) || path == "-")
        {
            using var spill = new SpillStream();
            var sw = System.Diagnostics.Stopwatch.StartNew();
            write(spill);
            Timing.Report(console, "write", sw);
            spill.CopyTo(console.StdOut);
            console.StdOut.Flush();
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

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>A write-then-read buffer that keeps up to 64 MiB in memory and spills the rest to a temporary file.</summary>
internal sealed class SpillStream : Stream
{
    private const int MemoryLimit = 64 << 20;
    private MemoryStream? _memory = new();
    private FileStream? _file;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => _file?.Length ?? _memory!.Length;
    public override long Position { get => Length; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (_file is null && _memory!.Length + buffer.Length > MemoryLimit)
        {
            _file = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
            _memory.Position = 0;
            _memory.CopyTo(_file);
            _memory = null;
        }
        if (_file is not null) _file.Write(buffer);
        else _memory!.Write(buffer);
    }

    public new void CopyTo(Stream destination)
    {
        if (_file is not null)
        {
            _file.Flush();
            _file.Position = 0;
            _file.CopyTo(destination, 1 << 20);
        }
        else destination.Write(_memory!.GetBuffer(), 0, (int)_memory.Length);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) { _file?.Dispose(); _memory?.Dispose(); }
        base.Dispose(disposing);
    }
}

/// <summary>Phase timings on stderr when FLAMEKIT_TIMING=1 (for benchmarking and bug reports).</summary>
internal static class Timing
{
    private static readonly bool s_enabled = Environment.GetEnvironmentVariable("FLAMEKIT_TIMING") == "1";

    public static void Report(CliConsole console, string phase, System.Diagnostics.Stopwatch sw)
    {
        if (s_enabled) console.StdErr.WriteLine($"flamekit: timing: {phase}: {sw.Elapsed.TotalMilliseconds:F1} ms (GC heap {GC.GetTotalMemory(false) >> 20} MB)");
    }
}
