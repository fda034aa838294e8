using Candor.Announcements;
using Candor.Client.Consent;
using Candor.Client.LocalStore;
using Candor.Client.Transport;
using Candor.Client.Upload;
using Candor.Registry;
using Microsoft.Extensions.Logging;

namespace Candor.Client.Announcements;

/// <summary>
/// The message of the day, behind the same consent gate as reports (privacy invariant 10): no fetch at
/// all unless consent is granted (the machine policy, <c>DO_NOT_TRACK</c>, an explicit or implicit "no"
/// all stop it) and, when the registry declares <c>motd.fetch</c>, unless the user left it switched on;
/// its parameters are those of <see cref="FetchParameters"/>. Fetches run on their own random schedule,
/// apart from uploads, so the two requests cannot be tied together by their timing.
/// </summary>
/// <param name="options">Read live: the announcement keys and what a fetch may carry (<see cref="FetchParameters"/>), the
/// fetch interval, the platform and version that select the news, and whether the transport is a relay.</param>
/// <param name="worker">Takes a collector's <c>reportback_next</c> as a hint for the next upload.</param>
/// <param name="transport">Null without a collector: nothing is fetched.</param>
internal sealed class AnnouncementService(MetricRegistry registry, ConsentGate consent, UploadWorker worker, ClientTransport? transport,
    ClientStore store, ClientLog log, CandorClientOptions options, TimeProvider time, Lock local)
{
    public const string NextFetchKey = "announcements.next_fetch_at";

    /// <summary>The UTC day (yyyy-MM-dd) of this installation's last counted fetch.</summary>
    public const string CountedDayKey = "announcements.counted_day";

    public AnnouncementsResult? Latest { get; private set; }

    public event Action<AnnouncementsResult>? Received;

    /// <summary>Null when the consent gate does not let a fetch leave the device; the reason goes to the local log.</summary>
    public async Task<AnnouncementsResult?> FetchAsync(CancellationToken cancel)
    {
        if (transport is null)
            throw new InvalidOperationException("No collector is configured.");
        FetchParameters parameters;
        DateTimeOffset now;
        lock (local)
        {
            consent.Refresh();
            if (Refusal() is { } reason)
            {
                log.Host.LogDebug("Candor did not fetch announcements: {Reason}", reason);
                return null;
            }
            now = time.GetUtcNow();
            var today = DateOnly.FromDateTime(now.UtcDateTime);
            if (CountedAlready(today))
                parameters = FetchParameters.Repeat;
            else
            {
                parameters = FetchParameters.For(registry, consent.Allowed, options, now);
                // Marked before sending: a lost answer (the collector may have counted it) is retried as a
                // repeat, so a day is counted at most once; a fetch that never arrived leaves the day uncounted.
                store.SetState(CountedDayKey, today.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        var fetcher = new AnnouncementFetcher(transport, registry.App, store, options.AnnouncementKeys, throughRelay: options.Ohttp is not null);
        var document = (await fetcher.FetchAsync(parameters, now, cancel).ConfigureAwait(false)).Document;
        DateTimeOffset? next = null;
        bool granted;
        lock (local)
            granted = consent.IsGranted;
        if (granted && document.ReportbackNext > 0)
            next = worker.Hint(TimeSpan.FromSeconds(Math.Min(document.ReportbackNext, 366L * 86400)));
        var result = new AnnouncementsResult(document, document.News.Where(n => n.AppliesTo(options.Platform, options.AppVersion)).ToList(), next);
        Latest = result;
        return result;
    }

    /// <summary>
    /// The background step: fetches when keys are configured and the random time drawn after the last
    /// attempt has come. A refused document or an unreachable collector goes to the local log and changes nothing.
    /// </summary>
    public async Task<AnnouncementsResult?> FetchIfDueAsync(CancellationToken cancel)
    {
        if (transport is null || options.AnnouncementKeys.Count == 0)
            return null;
        DateTimeOffset now;
        lock (local)
        {
            now = time.GetUtcNow();
            if (store.GetTime(NextFetchKey) is { } due && now < due)
                return null;
            if (Refusal() is not null)
                return null;
            store.SetTime(NextFetchKey, UploadSchedule.NextFetch(now, options));
        }
        try
        {
            var result = await FetchAsync(cancel).ConfigureAwait(false);
            if (result is not null)
                Received?.Invoke(result);
            return result;
        }
        catch (AnnouncementRejectedException e)
        {
            log.Write($"Announcements refused ({e.Reason}): {e.Message}", LogLevel.Warning);
            return null;
        }
        catch (HttpRequestException e)
        {
            log.Write($"Announcements could not be fetched: {e.Message}", LogLevel.Warning);
            return null;
        }
    }

    /// <summary>
    /// Whether this installation's fetch was counted today already. A clock set back by up to a day still
    /// finds the day counted (the collector counts on its own clock, so the same collector day would count
    /// twice); a counted day further ahead came from a clock that was wrong and is ignored, so one wrong
    /// clock cannot silence the count for long. Callers hold the lock.
    /// </summary>
    private bool CountedAlready(DateOnly today) =>
        DateOnly.TryParseExact(store.GetState(CountedDayKey), "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.None, out var counted)
        && counted >= today && counted <= today.AddDays(1);

    /// <summary>Why no fetch may leave the device now, or null when it may. Callers hold the lock.</summary>
    private string? Refusal()
    {
        if (!consent.IsGranted)
            return $"consent is not granted ({consent.Current.Reason})";
        if (registry.FindMetric(FetchParameterNames.FetchMetric) is { } fetch && !consent.Allowed(fetch))
            return $"the user has not allowed {fetch.Name} (category {fetch.Category})";
        return null;
    }
}
