using System.Diagnostics;

namespace FlameKit.Tests.Cli;

/// <summary>
/// Runs the real <c>go tool pprof</c> (the oracle of the conformance tests) with <c>-symbolize=none</c> and
/// <c>TZ=UTC</c>. A missing <c>go</c> fails the test, never skips it.
/// </summary>
internal static class GoPprof
{
    /// <summary>Runs <c>go tool pprof -symbolize=none ARGS</c> and returns its stdout; a non-zero exit throws.</summary>
    public static string Run(params string[] args)
    {
        var (code, stdout, stderr) = TryRun(args);
        if (code != 0) throw new InvalidOperationException($"go tool pprof {string.Join(' ', args)} exited with {code}: {stderr}");
        return stdout;
    }

    /// <summary>Runs <c>go tool pprof -symbolize=none ARGS</c> and returns its exit code and output.</summary>
    public static (int ExitCode, string StdOut, string StdErr) TryRun(params string[] args)
    {
        var psi = new ProcessStartInfo(GoBinary()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["tool", "pprof", "-symbolize=none", .. args]) psi.ArgumentList.Add(a);
        psi.Environment["TZ"] = "UTC";
        psi.Environment["PPROF_TMPDIR"] = Path.GetTempPath();
        using var proc = Process.Start(psi) ?? throw new InvalidOperationException("could not start go");
        var stdout = proc.StandardOutput.ReadToEndAsync();
        var stderr = proc.StandardError.ReadToEndAsync();
        if (!proc.WaitForExit(180_000))
        {
            proc.Kill(entireProcessTree: true);
            throw new TimeoutException($"go tool pprof {string.Join(' ', args)} did not finish in 180 s");
        }
        proc.WaitForExit();
        return (proc.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>The go binary from PATH (or /usr/lib/go/bin).</summary>
    private static string GoBinary()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            if (dir.Length == 0) continue;
            var p = Path.Combine(dir, "go");
            if (File.Exists(p)) return p;
        }
        if (File.Exists("/usr/lib/go/bin/go")) return "/usr/lib/go/bin/go";
        throw new InvalidOperationException("go not found: install golang-go (go tool pprof is the oracle of these tests)");
    }
}
