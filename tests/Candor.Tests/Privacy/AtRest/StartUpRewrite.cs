using System.Diagnostics;
using Candor.Collector.Storage;
using Candor.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Candor.Tests.Privacy.AtRest;

internal static class StartUpRewrite
{
    /// <summary>
    /// Waits for a host's start-up rewrite (of an empty store): it must be over before anything is sent, or it
    /// would reorder part of the data in the runs that test what happens without one.
    /// </summary>
    public static async Task AwaitAsync(CollectorHost host)
    {
        var rewriter = host.App.Services.GetRequiredService<StorageRewriter>();
        var clock = Stopwatch.StartNew();
        while (rewriter.Rewrites < 1 && clock.Elapsed < TimeSpan.FromSeconds(20))
            await Task.Delay(20);
        Assert.True(rewriter.Rewrites >= 1, "the start-up rewrite did not run; the collector logged: "
            + string.Join(" | ", host.Logs.Lines.Where(l => l.Contains("rewrit", StringComparison.OrdinalIgnoreCase) || l.StartsWith("Warning", StringComparison.Ordinal) || l.StartsWith("Error", StringComparison.Ordinal))));
    }
}
