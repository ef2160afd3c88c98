using System.Globalization;
using FlameKit.Rendering;
using Microsoft.Playwright;

namespace FlameKit.Tests.Render;

/// <summary>
/// Loads a rendered SVG in Debian's chromium through Playwright and exercises the embedded script: zoom,
/// reset zoom, search. Never skipped: a missing browser is a failure with a clear message.
/// </summary>
public class BrowserTests
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task ZoomResetAndSearchWork()
    {
        Assert.True(File.Exists(Chromium), $"The browser test needs Debian's chromium at {Chromium} (apt-get install chromium); it was not found.");
        var profile = FoldedTestInput.Parse("main;work;compute 60\nmain;work;io 20\nmain;idle 15\nmain;compute 5\n");
        var dir = Path.Combine(Path.GetTempPath(), "flamekit-browser-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, "graph.svg");
        try
        {
            using (var fs = File.Create(file)) FlameGraph.Render(profile, new FlameGraphOptions(), fs);

            using var pw = await Playwright.CreateAsync();
            await using var browser = await pw.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = Chromium,
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
            });
            var page = await browser.NewPageAsync();
            var errors = new List<string>();
            page.PageError += (_, e) => errors.Add(e);
            await page.GotoAsync(new Uri(file).AbsoluteUri);
            await page.WaitForFunctionAsync("() => window.flamegraph !== undefined && document.getElementById('frames') !== null");

            const string FrameRect = "(name) => { for (const g of document.querySelectorAll('#frames > g')) { if (g.querySelector('title').textContent.startsWith(name)) { const r = g.querySelector('rect'); return [parseFloat(r.getAttribute('x')), parseFloat(r.getAttribute('width')), g.getAttribute('class') || '']; } } return null; }";
            var before = await page.EvaluateAsync<double[]>($"() => ({FrameRect})('work (').slice(0, 2)");
            Assert.Equal(1180 * 0.8, before[1], 0);

            // Click "work": it fills the width, its child keeps its share, "idle" is hidden, "main" becomes a parent.
            await page.Locator("#frames > g", new() { HasText = "work (" }).First.ClickAsync();
            var work = await page.EvaluateAsync<double[]>($"() => ({FrameRect})('work (').slice(0, 2)");
            Assert.Equal(10, work[0], 1);
            Assert.Equal(1180, work[1], 1);
            var compute = await page.EvaluateAsync<double[]>($"() => ({FrameRect})('compute (60').slice(0, 2)");
            Assert.Equal(1180 * 0.75, compute[1], 0);
            Assert.Contains("hide", await page.EvaluateAsync<string>($"() => ({FrameRect})('idle (')[2]"), StringComparison.Ordinal);
            Assert.Contains("parent", await page.EvaluateAsync<string>($"() => ({FrameRect})('main (')[2]"), StringComparison.Ordinal);
            Assert.DoesNotContain("hide", await page.GetAttributeAsync("#unzoom", "class") ?? "", StringComparison.Ordinal);

            // Reset Zoom restores the original geometry.
            await page.ClickAsync("#unzoom");
            var reset = await page.EvaluateAsync<double[]>($"() => ({FrameRect})('work (').slice(0, 2)");
            Assert.Equal(before, reset);
            Assert.Contains("hide", await page.GetAttributeAsync("#unzoom", "class") ?? "", StringComparison.Ordinal);

            // Search through the button with window.prompt overridden: "compute" matches 60 + 5 (nested matches counted once).
            var fillBefore = await page.EvaluateAsync<string>("() => document.querySelector('#frames > g:nth-child(2) rect').getAttribute('fill')");
            await page.EvaluateAsync("() => { window.prompt = () => 'comp'; }");
            await page.ClickAsync("#search");
            Assert.Equal("Matched: 65.0%", await page.TextContentAsync("#matched"));
            var matchedFills = await page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('#frames > g')].filter(g => g.querySelector('title').textContent.startsWith('compute')).map(g => g.querySelector('rect').getAttribute('fill'))");
            Assert.Equal(2, matchedFills.Length);
            Assert.All(matchedFills, f => Assert.Equal("rgb(230,0,230)", f));

            // The exposed function, a regex over nested frames: main (100%) and everything below count once.
            var pct = await page.EvaluateAsync<double>("() => window.flamegraph.search('^(main|work)$')");
            Assert.Equal(100, pct, 1);
            Assert.Equal("Matched: 100%", await page.TextContentAsync("#matched"));

            // Escape clears the search.
            await page.Keyboard.PressAsync("Escape");
            Assert.Equal(" ", await page.TextContentAsync("#matched"));
            Assert.Equal(fillBefore, await page.EvaluateAsync<string>("() => document.querySelector('#frames > g:nth-child(2) rect').getAttribute('fill')"));

            // Hovering shows the details line.
            await page.HoverAsync("#frames > g:nth-child(2)");
            Assert.StartsWith("Function: main (100 samples, 100.00%)", await page.TextContentAsync("#details"), StringComparison.Ordinal);
            Assert.Empty(errors);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
