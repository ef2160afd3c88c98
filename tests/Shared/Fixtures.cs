namespace FlameKit.Tests;

/// <summary>Locates the repository's <c>fixtures/</c> folder from the test binaries.</summary>
internal static class Fixtures
{
    private static readonly Lazy<string> s_root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "FlameKit.sln")) && Directory.Exists(System.IO.Path.Combine(dir.FullName, "fixtures")))
                return dir.FullName;
        }
        throw new InvalidOperationException("cannot find the repository root (FlameKit.sln + fixtures/) above " + AppContext.BaseDirectory);
    });

    /// <summary>The repository root.</summary>
    public static string RepoRoot => s_root.Value;

    /// <summary>Absolute path of a fixture, e.g. <c>Path("pprof/cpuwork.cpu.pb.gz")</c>; fails if it is missing.</summary>
    public static string Path(string relative)
    {
        var p = System.IO.Path.Combine(RepoRoot, "fixtures", relative);
        if (!File.Exists(p)) throw new FileNotFoundException("fixture missing: fixtures/" + relative, p);
        return p;
    }

    /// <summary>All fixture files under a folder matching a pattern, as paths relative to <c>fixtures/</c>.</summary>
    public static IEnumerable<string> All(string folder, string pattern) =>
        Directory.EnumerateFiles(System.IO.Path.Combine(RepoRoot, "fixtures", folder), pattern)
            .Select(p => System.IO.Path.GetRelativePath(System.IO.Path.Combine(RepoRoot, "fixtures"), p).Replace('\\', '/'))
            .OrderBy(p => p, StringComparer.Ordinal);
}
