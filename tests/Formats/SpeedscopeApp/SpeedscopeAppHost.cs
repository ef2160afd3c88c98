using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Playwright;

namespace FlameKit.Tests.Formats.SpeedscopeApp;

/// <summary>
/// Serves speedscope's <c>dist/release</c> and test profiles over HTTP on 127.0.0.1 (a free port), and
/// drives the app in one headless Debian chromium shared by the tests of a class (a page per profile).
/// </summary>
public sealed class SpeedscopeAppHost : IAsyncLifetime
{
    private const string Chromium = "/usr/bin/chromium";
    private readonly ConcurrentDictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private HttpListener? _http;
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private string _release = "";

    /// <summary>The server's base address, e.g. <c>http://127.0.0.1:40123/</c>.</summary>
    public string BaseUrl { get; private set; } = "";

    /// <inheritdoc/>
    public async Task InitializeAsync()
    {
        _release = SpeedscopeAppFolder.Release;
        Assert.True(File.Exists(Chromium), $"The speedscope app tests need Debian's chromium at {Chromium} (apt-get install chromium); it was not found.");
        StartServer();
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    /// <inheritdoc/>
    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        _http?.Close();
    }

    private void StartServer()
    {
        for (int attempt = 0; ; attempt++)
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            int port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var http = new HttpListener();
            http.Prefixes.Add($"http://127.0.0.1:{port}/");
            try { http.Start(); }
            catch (HttpListenerException) when (attempt < 5) { continue; }
            _http = http;
            BaseUrl = $"http://127.0.0.1:{port}/";
            _ = Task.Run(Serve);
            return;
        }
    }

    private async Task Serve()
    {
        var http = _http!;
        while (http.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = await http.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            try
            {
                var res = ctx.Response;
                res.AddHeader("Access-Control-Allow-Origin", "*");
                res.AddHeader("Cache-Control", "no-store");
                string path = Uri.UnescapeDataString(ctx.Request.Url!.AbsolutePath);
                byte[]? body = null;
                if (path.StartsWith("/profiles/", StringComparison.Ordinal)) _files.TryGetValue(path["/profiles/".Length..], out body);
                else if (path.StartsWith("/app/", StringComparison.Ordinal))
                {
                    var rel = path["/app/".Length..];
                    if (rel.Length == 0) rel = "index.html";
                    var full = Path.GetFullPath(Path.Combine(_release, rel));
                    if (full.StartsWith(_release, StringComparison.Ordinal) && File.Exists(full)) body = await File.ReadAllBytesAsync(full);
                }
                if (body is null) res.StatusCode = 404;
                else
                {
                    res.ContentType = Path.GetExtension(path) switch
                    {
                        ".html" or "" when path.StartsWith("/app/", StringComparison.Ordinal) => "text/html; charset=utf-8",
                        ".js" => "text/javascript; charset=utf-8",
                        ".css" => "text/css; charset=utf-8",
                        ".wasm" => "application/wasm",
                        ".png" => "image/png",
                        ".ico" => "image/x-icon",
                        ".woff2" => "font/woff2",
                        _ => "application/octet-stream",
                    };
                    res.ContentLength64 = body.Length;
                    await res.OutputStream.WriteAsync(body);
                }
                res.Close();
            }
            catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException) { }
        }
    }

    /// <summary>
    /// Opens <paramref name="content"/> in speedscope through <c>#profileURL=</c>, waits until it is shown
    /// (or speedscope reports an error), and returns what speedscope shows and holds.
    /// </summary>
    /// <param name="fileName">The file name the profile is served as (speedscope names profiles after it).</param>
    /// <param name="content">The profile file.</param>
    public async Task<SpeedscopeView> OpenAsync(string fileName, byte[] content)
    {
        _files[fileName] = content;
        var context = await _browser!.NewContextAsync(new BrowserNewContextOptions { AcceptDownloads = true, ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") lock (errors) errors.Add("console: " + m.Text); };
        page.PageError += (_, e) => { lock (errors) errors.Add("page error: " + e); };
        page.RequestFailed += (_, r) => { lock (errors) errors.Add("request failed: " + r.Url); };
        var url = $"{BaseUrl}app/index.html#profileURL={Uri.EscapeDataString(BaseUrl + "profiles/" + fileName)}";
        await page.GotoAsync(url);
        return new SpeedscopeView(context, page, errors);
    }
}
