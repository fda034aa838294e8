using System.Collections.Concurrent;

namespace Candor.Collector.Dashboard;

/// <summary>
/// Rendered dashboard pages and charts, kept for <see cref="Lifetime"/> by the collector's clock. A page
/// reads every metric of an app over two ranges; serving it from here keeps a busy front page from
/// turning into a read of every rollup per visitor. Bounded: a visitor who varies the query string can
/// fill it, after which it starts over rather than grow.
/// </summary>
public sealed class PageCache(TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);
    public const int MaxEntries = 512;

    private readonly ConcurrentDictionary<string, (DateTimeOffset At, CachedPage Page)> _pages = new(StringComparer.Ordinal);

    public async Task<CachedPage> GetOrRenderAsync(string key, Func<Task<CachedPage>> render)
    {
        var now = time.GetUtcNow();
        if (_pages.TryGetValue(key, out var hit) && now - hit.At < Lifetime)
            return hit.Page;
        var page = await render();
        if (page.Status != 200)
            return page; // errors are cheap to make again and must not crowd out pages
        if (_pages.Count >= MaxEntries)
            _pages.Clear();
        _pages[key] = (now, page);
        return page;
    }
}
