using System.CommandLine;

namespace FlameKit.Cli.Commands;

/// <summary><c>flamekit svg</c>: placeholder until the renderer lands.</summary>
internal static class SvgCommand
{
    public static Command Create(CliConsole console) => new("svg", "Render a flame graph (SVG)");
}
