using System.Net;

namespace Candor.Collector.PrivacyPass;

/// <summary>
/// How many tokens each client address got in the current period (fixed windows on the collector's
/// clock). This is the whole abuse bound: one address gets at most <see cref="PrivacyPassOptions.IssuanceBudget"/>
/// tokens a period, so at most that many batches count. The counts live in memory only and are
/// dropped wholesale when the period turns, so nothing about who asked survives a period.
/// </summary>
public sealed class IssuanceBudget(PrivacyPassOptions options, TimeProvider time)
{
    // Beyond this many distinct addresses in one period new addresses are refused instead of growing
    // without bound (a spoofing-free flood from a botnet would otherwise exhaust memory).
    private const int MaxTrackedAddresses = 1_000_000;

    private readonly Lock _lock = new();
    private readonly Dictionary<IPAddress, int> _counts = [];
    private long _period = -1;

    /// <summary>Takes <paramref name="tokens"/> from the address's budget; false (and nothing taken) when it would overspend.</summary>
    public bool TryTake(IPAddress address, int tokens, out TimeSpan retryAfter)
    {
        var key = ClientAddress.PartitionKey(address);
        var now = time.GetUtcNow();
        var length = TimeSpan.FromHours(options.IssuancePeriodHours);
        long period = now.Ticks / length.Ticks;
        retryAfter = new DateTimeOffset((period + 1) * length.Ticks, TimeSpan.Zero) - now;
        lock (_lock)
        {
            if (period != _period)
            {
                _counts.Clear();
                _period = period;
            }
            int used = _counts.GetValueOrDefault(key);
            if (used + tokens > options.IssuanceBudget || (used == 0 && _counts.Count >= MaxTrackedAddresses))
                return false;
            _counts[key] = used + tokens;
            return true;
        }
    }
}
