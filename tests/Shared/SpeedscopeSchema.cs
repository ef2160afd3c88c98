using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace FlameKit.Tests;

/// <summary>
/// The test-owned npm folder <c>tests/speedscope-app</c>: the real speedscope web app (npm package
/// <c>speedscope</c>, pinned) and ajv. Missing pieces are failures with a clear message, never skips.
/// </summary>
internal static class SpeedscopeAppFolder
{
    public static string Root => Path.Combine(Fixtures.RepoRoot, "tests", "speedscope-app");

    /// <summary>speedscope's built web app (<c>dist/release</c>), asserted to exist.</summary>
    public static string Release
    {
        get
        {
            var dir = Path.Combine(Root, "node_modules", "speedscope", "dist", "release");
            Assert.True(File.Exists(Path.Combine(dir, "index.html")),
                $"speedscope's web app is missing ({dir}/index.html): run npm ci in tests/speedscope-app (`cd tests/speedscope-app && npm ci --no-audit --no-fund`; .ci/run does this)");
            return dir;
        }
    }
}

/// <summary>
/// Validates documents against speedscope's <c>file-format-schema.json</c> (as shipped in the speedscope
/// package) with ajv, through one long-lived <c>node validate.js --lines</c> process shared by all tests.
/// </summary>
internal static class SpeedscopeSchema
{
    private static readonly Lock s_lock = new();
    private static Process? s_node;

    /// <summary>Asserts that <paramref name="json"/> (one speedscope file) is valid against the schema.</summary>
    public static void AssertValid(byte[] json, string what)
    {
        var errors = Validate(json);
        Assert.True(errors.Count == 0, $"{what} does not conform to speedscope's file-format-schema.json:\n  " + string.Join("\n  ", errors));
    }

    /// <summary>The schema errors of <paramref name="json"/> (empty when valid).</summary>
    public static List<string> Validate(byte[] json)
    {
        // The validator reads one document per line: FlameKit writes speedscope files unindented, but be safe.
        var line = Encoding.UTF8.GetString(json).Replace("\r", " ").Replace("\n", " ");
        lock (s_lock)
        {
            var node = Start();
            node.StandardInput.WriteLine(line);
            node.StandardInput.Flush();
            var answer = node.StandardOutput.ReadLine();
            if (answer is null)
            {
                s_node = null;
                Assert.Fail("the schema validator (node tests/speedscope-app/validate.js) exited: " + node.StandardError.ReadToEnd());
            }
            using var doc = JsonDocument.Parse(answer);
            return doc.RootElement.GetProperty("errors").EnumerateArray().Select(e => e.GetString()!).ToList();
        }
    }

    private static Process Start()
    {
        if (s_node is { HasExited: false }) return s_node;
        var schema = Path.Combine(SpeedscopeAppFolder.Release, "file-format-schema.json");
        Assert.True(File.Exists(schema), $"speedscope's schema is missing ({schema}): run npm ci in tests/speedscope-app");
        Assert.True(Directory.Exists(Path.Combine(SpeedscopeAppFolder.Root, "node_modules", "ajv")), "ajv is missing: run npm ci in tests/speedscope-app");
        var psi = new ProcessStartInfo("node", ["validate.js", "--lines"])
        {
            WorkingDirectory = SpeedscopeAppFolder.Root,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false),
            StandardOutputEncoding = Encoding.UTF8,
        };
        try { s_node = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e) { Assert.Fail("the schema validator needs node on PATH: " + e.Message); }
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { s_node?.Kill(); } catch (InvalidOperationException) { } };
        return s_node!;
    }
}
