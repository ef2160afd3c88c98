using System.CommandLine;
using FlameKit.Cli.Commands;
using FlameKit.Formats;

namespace FlameKit.Cli;

/// <summary>The <c>flamekit</c> executable: a thin layer that parses arguments and calls the libraries.</summary>
internal static class Program
{
    public static int Main(string[] args) => Run(args, CliConsole.FromProcess());

    /// <summary>Runs one command line against the given console; returns the exit code. Never throws.</summary>
    public static int Run(string[] args, CliConsole console)
    {
        var root = new RootCommand("""
            FlameKit: flame graphs and profile conversion for pprof, Go text dumps, folded stacks and more.

            Examples:
              flamekit svg cpu.pb.gz > cpu.svg
              flamekit svg --colors mem heap.pb.gz -o heap.svg
              flamekit convert cpu.pb.gz --to folded
              perf script | stackcollapse-perf.pl | flamekit svg - > perf.svg
              flamekit info cpu.pb.gz
              flamekit top -n 20 cpu.pb.gz
              flamekit peek 'json\.Marshal' cpu.pb.gz
              flamekit filter --focus 'main\.' cpu.pb.gz | flamekit svg - > main.svg
              flamekit diff old.pb.gz new.pb.gz | flamekit svg - > diff.svg
            """)
        {
            SvgCommand.Create(console),
            ConvertCommand.Create(console),
            InfoCommand.Create(console),
            TopCommand.Create(console),
            TracesCommand.Create(console),
            TreeCommand.CreateTree(console),
            TreeCommand.CreatePeek(console),
            ListCommand.Create(console),
            FilterCommand.Create(console),
            MergeCommand.Create(console),
            DiffCommand.Create(console),
        };
        var parse = root.Parse(args);
        var config = new InvocationConfiguration
        {
            Output = new StreamWriter(console.StdOut) { AutoFlush = true },
            Error = console.StdErr,
            EnableDefaultExceptionHandler = false,
        };
        if (parse.Errors.Count > 0 && parse.Action is not System.CommandLine.Help.HelpAction)
        {
            // The most specific message first: an unknown token explains a "command was not provided" too.
            var messages = parse.Errors.Select(e => e.Message).OrderBy(m => m.StartsWith("Required command", StringComparison.Ordinal) ? 1 : 0);
            console.StdErr.WriteLine($"flamekit: {string.Join("; ", messages)}");
            console.StdErr.WriteLine("Try 'flamekit --help' for more information.");
            return (int)ExitCode.Usage;
        }
        try
        {
            return parse.Invoke(config);
        }
        catch (CliException e)
        {
            if (e.Message.Length > 0) console.StdErr.WriteLine("flamekit: " + e.Message);
            return (int)e.Code;
        }
        catch (ProfileFormatException e)
        {
            console.StdErr.WriteLine("flamekit: " + e.Message);
            return (int)ExitCode.BadInput;
        }
        catch (OutOfMemoryException)
        {
            console.StdErr.WriteLine("flamekit: out of memory");
            return (int)ExitCode.BadInput;
        }
        catch (Exception e)
        {
            // A bug. One line by default; the trace when asked for.
            console.StdErr.WriteLine($"flamekit: internal error: {e.GetType().Name}: {e.Message}" +
                (Environment.GetEnvironmentVariable("FLAMEKIT_DEBUG") == "1" ? "\n" + e : " (set FLAMEKIT_DEBUG=1 for details)"));
            return (int)ExitCode.Internal;
        }
    }
}
