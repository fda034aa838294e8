using Candor.Client.Announcements;

namespace Candor.Client;

public sealed partial class CandorClient
{
    /// <summary>
    /// Where this installation stands among all for <paramref name="metric"/>: this period's local value
    /// against the collector's public figures, worked out on the device (<see cref="Comparison.Standing"/>).
    /// Fetches public figures over the configured transport; sends nothing about this installation.
    /// </summary>
    /// <remarks>A local store that cannot be read (a full disk kept it from being created) answers <see cref="Comparison.Standing.LocalStoreUnavailable"/> and fetches nothing.</remarks>
    public async Task<Comparison.Standing> CompareAsync(string metric, CancellationToken cancel = default)
    {
        var def = Registry.FindMetric(metric)
            ?? throw new ArgumentException($"Unknown metric '{metric}'; see 'status' or the registry for the metrics.", nameof(metric));
        if (_transport is null)
            throw new InvalidOperationException("No collector is configured (CollectorUrl): there are no public figures to compare with.");
        RequireConsent("comparing with the public figures");
        // The same view as Show(): flushed, read under the local lock, off the caller's thread.
        List<LocalStore.Observation>? Read()
        {
            lock (_local)
            {
                _flusher.Flush();
                return _store.Observations();
            }
        }
        var observations = await Task.Run(() => Quietly("reading the value to compare", Read, null), cancel).ConfigureAwait(false);
        if (observations is null)
            return new Comparison.Standing(def.Name, "Nothing was compared: this installation's value cannot be read from the local store.", null, null, null)
                { LocalStoreUnavailable = true };
        return await Comparison.StandingComparer.CompareAsync(def, observations, _transport, Registry.App, _time.UtcToday(), cancel).ConfigureAwait(false);
    }

    // ---- Announcements (message of the day) ----

    /// <summary>
    /// Fetches and verifies the signed announcements; returns the news for this platform and version, or
    /// null when the consent gate lets no fetch leave the device (no "yes", a machine policy,
    /// <c>DO_NOT_TRACK</c>, or <c>motd.fetch</c> switched off). The fetch carries only the parameters of
    /// docs/announcements.md that the registry declares and the user allows, as allowlisted values, and
    /// <c>reportback_next</c> becomes the next upload time within the client's bounds and jitter.
    /// Throws <see cref="Candor.Announcements.AnnouncementRejectedException"/> for a document it must not believe.
    /// </summary>
    /// <remarks>A full disk gives null (nothing accepted) rather than an exception; the fault is logged once per episode.</remarks>
    public Task<AnnouncementsResult?> FetchAnnouncementsAsync(CancellationToken cancel = default) =>
        QuietlyAsync("remembering the announcements", () => _announcements.FetchAsync(cancel), null);

    /// <summary>The last announcements this client accepted in this process (null before the first).</summary>
    public AnnouncementsResult? LatestAnnouncements => _announcements.Latest;

    /// <summary>Raised after a scheduled fetch accepted a document; the app shows <see cref="AnnouncementsResult.News"/>.</summary>
    public event Action<AnnouncementsResult>? AnnouncementsReceived
    {
        add => _announcements.Received += value;
        remove => _announcements.Received -= value;
    }

    /// <summary>
    /// The background step: fetches when keys are configured, consent allows it and the random time drawn
    /// after the last attempt has come. A rejected document goes to the local log and changes nothing.
    /// </summary>
    public Task<AnnouncementsResult?> FetchAnnouncementsIfDueAsync(CancellationToken cancel = default) => _steps.FetchAnnouncementsIfDueAsync(cancel);
}
