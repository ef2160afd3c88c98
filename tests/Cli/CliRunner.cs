using System.Text;
using FlameKit.Cli;

namespace FlameKit.Tests.Cli;

/// <summary>Runs the CLI in-process with captured streams.</summary>
internal static class CliRunner
{
    public sealed record Result(int ExitCode, byte[] StdOutBytes, string StdErr)
    {
        public string StdOut => Encoding.UTF8.GetString(StdOutBytes);
    }

    public static Result Run(string stdin, params string[] args) => Run(Encoding.UTF8.GetBytes(stdin), args);

    public static Result Run(byte[] stdin, params string[] args)
    {
        var output = new MemoryStream();
        var error = new StringWriter();
        int code = Program.Run(args, new CliConsole(new MemoryStream(stdin), output, error));
        return new Result(code, output.ToArray(), error.ToString());
    }
}
