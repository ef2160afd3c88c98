using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;

namespace FlameKit.Tests.Formats.SpeedscopeApp;

/// <summary>One profile opened in the speedscope app: what it shows (DOM text) and what it holds (its export).</summary>
public sealed class SpeedscopeView(IBrowserContext context, IPage page, List<string> errors) : IAsyncDisposable
{
    /// <summary>A profile as speedscope shows it in the toolbar's profile selector: name and "Total Weight" text.</summary>
    public sealed record ShownProfile(string Name, string Total);

    /// <summary>A profile as speedscope exports it (its own file format, evented).</summary>
    public sealed record ExportedProfile(string Name, string Unit, double Total, IReadOnlyList<(char Type, string Frame, double At)> Events);

    /// <summary>The page.</summary>
    public IPage Page => page;

    /// <summary>Console errors, page errors and failed requests so far.</summary>
    public IReadOnlyList<string> Errors { get { lock (errors) return errors.ToList(); } }

    /// <summary>Waits until speedscope shows the profile (its toolbar) or its error screen; fails on any error.</summary>
    public async Task WaitLoadedAsync()
    {
        await page.WaitForFunctionAsync("() => /Export/.test(document.body.innerText) || /went wrong|error/i.test(document.body.innerText)", null, new() { Timeout = 30_000 });
        // Let the first frame render (the flame chart draws on a canvas after the toolbar appears).
        await page.EvaluateAsync("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))");
        var text = await page.InnerTextAsync("body");
        Assert.False(text.Contains("went wrong", StringComparison.OrdinalIgnoreCase), "speedscope shows an error: " + text + "\n" + string.Join("\n", Errors));
        Assert.True(Errors.Count == 0, "speedscope logged errors:\n" + string.Join("\n", Errors));
        Assert.True(await page.Locator("canvas").CountAsync() > 0, "speedscope shows no flame chart canvas");
    }

    /// <summary>The toolbar's title: the shown profile's name, with <c>(i/n)</c> when the file has several.</summary>
    public async Task<string> TitleAsync() =>
        (await page.EvaluateAsync<string>("""
            () => {
              const tab = [...document.querySelectorAll('div')].find(d => d.childElementCount <= 1 && d.textContent.endsWith('Time Order'));
              const toolbar = tab?.parentElement?.parentElement;
              if (!toolbar) return '';
              // Between the view tabs and the Export/Import group: the name (a text node with one profile,
              // else a span "name (i/n)" followed by the hidden profile selector).
              return [...toolbar.childNodes].slice(1, -1).map(n => n.nodeType === Node.TEXT_NODE ? n.textContent : n.firstElementChild?.textContent ?? '').join('');
            }
            """)).Trim();

    /// <summary>The profile selector's rows (the table with a "Total Weight" column), in file order.</summary>
    public async Task<IReadOnlyList<ShownProfile>> ProfilesShownAsync()
    {
        var rows = await page.EvaluateAsync<string[][]>("""
            () => {
              const table = [...document.querySelectorAll('table')].find(t => /Total Weight/.test(t.querySelector('thead')?.textContent ?? ''));
              if (!table) return [];
              return [...table.querySelectorAll('tbody tr')].map(tr => [...tr.querySelectorAll('td')].map(td => td.textContent));
            }
            """);
        return rows.Where(r => r.Length >= 3).Select(r => new ShownProfile(r[1], r[2])).ToList();
    }

    /// <summary>Clicks the toolbar's Export button and reads the file speedscope downloads.</summary>
    public async Task<IReadOnlyList<ExportedProfile>> ExportAsync()
    {
        var download = await page.RunAndWaitForDownloadAsync(
            () => page.EvaluateAsync("() => [...document.querySelectorAll('div')].find(d => d.childElementCount === 1 && d.textContent.endsWith('Export')).click()"),
            new() { Timeout = 10_000 });
        var path = await download.PathAsync();
        using var doc = JsonDocument.Parse(await File.ReadAllBytesAsync(path));
        var frames = doc.RootElement.GetProperty("shared").GetProperty("frames").EnumerateArray().Select(f => f.GetProperty("name").GetString()!).ToList();
        var result = new List<ExportedProfile>();
        foreach (var p in doc.RootElement.GetProperty("profiles").EnumerateArray())
        {
            var events = new List<(char, string, double)>();
            if (p.TryGetProperty("events", out var evs))
                foreach (var e in evs.EnumerateArray())
                    events.Add((e.GetProperty("type").GetString()![0], frames[e.GetProperty("frame").GetInt32()], e.GetProperty("at").GetDouble()));
            result.Add(new ExportedProfile(p.GetProperty("name").GetString()!, p.GetProperty("unit").GetString()!,
                p.GetProperty("endValue").GetDouble() - p.GetProperty("startValue").GetDouble(), events));
        }
        return result;
    }

    /// <summary>A weight as speedscope formats it for <paramref name="unit"/> (its value formatters, en-US).</summary>
    public static string Format(double value, string unit)
    {
        var inv = CultureInfo.InvariantCulture;
        switch (unit)
        {
            case "nanoseconds" or "microseconds" or "milliseconds" or "seconds":
            {
                double m = unit switch { "nanoseconds" => 1e-9, "microseconds" => 1e-6, "milliseconds" => 1e-3, _ => 1 };
                string sign = value < 0 ? "-" : "";
                double n = Math.Abs(value) * m;
                if (n / 60 >= 1)
                {
                    double min = Math.Floor(n / 60);
                    return sign + min.ToString(inv) + ":" + Math.Floor(n - min * 60).ToString(inv).PadLeft(2, '0');
                }
                return sign + (n >= 1 ? n.ToString("F2", inv) + "s" : n / 1e-3 >= 1 ? (n / 1e-3).ToString("F2", inv) + "ms" : n / 1e-6 >= 1 ? (n / 1e-6).ToString("F2", inv) + "\u00b5s" : (n / 1e-9).ToString("F2", inv) + "ns");
            }
            case "bytes":
                if (value < 1024) return value.ToString("F0", inv) + " B";
                value /= 1024; if (value < 1024) return value.ToString("F2", inv) + " KB";
                value /= 1024; if (value < 1024) return value.ToString("F2", inv) + " MB";
                return (value / 1024).ToString("F2", inv) + " GB";
            default:
                return value.ToString("#,0.###", inv);
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync() => await context.DisposeAsync();
}
