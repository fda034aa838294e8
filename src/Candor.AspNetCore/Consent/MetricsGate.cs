using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Candor.AspNetCore.Consent;

/// <summary>
/// The handshake rules, all here so a reviewer reads them in one place:
/// 1. anonymous and the browser signals opt-out: opted out (nothing stored; there is nobody to store for);
/// 2. signed in, preference null, browser signals: store true (source: browser signal);
/// 3. signed in with an explicit choice (true or false): the signal is ignored;
/// 4. account created or signed into from a signalling browser: store true (<see cref="OnSignedInAsync"/>).
/// </summary>
public sealed class MetricsGate(ConsentPreferences preferences, IOptions<CandorConsentOptions> options) : IMetricsGate
{
    private const string CacheKey = "Candor.AspNetCore.MetricsDecision";

    /// <inheritdoc/>
    public async Task<MetricsDecision> DecideAsync(HttpContext http, CancellationToken cancellationToken = default)
    {
        // Decided once per request: the endpoint and the app's own code may both ask.
        if (http.Items.TryGetValue(CacheKey, out var cached) && cached is MetricsDecision d)
            return d;
        var o = options.Value;
        bool signal = BrowserSignal.SignalsOptOut(http.Request, o);
        var userId = ConsentUser.IdOf(http.User);
        bool? preference = null;
        if (userId is not null)
        {
            preference = await preferences.GetAsync(userId, cancellationToken);
            if (preference is null && signal)
            {
                await preferences.SetIfUnsetAsync(userId, true, ChoiceSource.BrowserSignal, cancellationToken);
                // Re-read: a choice made at the same moment wins over the signal.
                preference = await preferences.GetAsync(userId, cancellationToken);
            }
        }
        bool optedOut = preference ?? signal;
        bool mayCollect = preference switch
        {
            true => false,
            false => true,
            null => !signal && o.CollectWhenNoChoice,
        };
        var decision = new MetricsDecision(userId, preference, signal, optedOut, mayCollect);
        http.Items[CacheKey] = decision;
        return decision;
    }

    /// <inheritdoc/>
    public async Task<bool?> OnSignedInAsync(HttpContext http, string userId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        http.Items.Remove(CacheKey);
        if (BrowserSignal.SignalsOptOut(http.Request, options.Value))
        {
            // Already true: nothing changes and nothing is counted.
            if (await preferences.GetAsync(userId, cancellationToken) != true)
                await preferences.SetAsync(userId, true, ChoiceSource.SignInFromSignallingBrowser, cancellationToken);
            return true;
        }
        return await preferences.GetAsync(userId, cancellationToken);
    }

    /// <summary>Forgets the request's cached decision after the preference changed.</summary>
    internal static void Invalidate(HttpContext http) => http.Items.Remove(CacheKey);
}
