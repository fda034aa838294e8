using System.Globalization;
using Candor.Client.LocalStore;
using Candor.Client.Outbox;
using Candor.Protocol;
using Microsoft.Extensions.Logging;

namespace Candor.Client.Upload;

/// <summary>
/// Whole batches on one random schedule: the first upload a random 3 to 10 days after the first closed
/// period (or as the collector's hint says), every closed period sealed into batches then, all sent
/// together; one failure backs the whole schedule off (failures in a row, kept in the store).
/// </summary>
internal sealed class WholeBatchUploads(OutboxSealer sealer, PendingOutbox outbox, ClientStore store, CandorClientOptions options, ClientLog log) : IUploadStrategy
{
    public DateTimeOffset? NextAttempt => store.GetTime(UploadWorker.NextAttemptKey);

    public int Failures =>
        store.GetState(UploadWorker.FailuresKey) is { } s && int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;

    public UploadPlan Prepare(DateTimeOffset now, int dropped)
    {
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var next = NextAttempt;
        if (options.DevelopmentUploads)
            next = now; // a loopback collector only (checked by the options validator): no wait, no jitter
        else if (next is null)
        {
            var firstClosed = store.Observations()
                .Select(o => PeriodKey.TryParse(o.Period, out var p) ? p.Value.End : (DateOnly?)null)
                .Where(e => e is { } end && end <= today).Min();
            if (firstClosed is null && outbox.Pending().Count == 0)
                return new UploadPlan([], dropped, new UploadCycle("nothing to send yet", 0, dropped, 0, null));
            var from = firstClosed is { } f ? new DateTimeOffset(f.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) : now;
            next = from + UploadSchedule.Between(options.FirstUploadDelayMin, options.FirstUploadDelayMax, options.Random);
            store.SetTime(UploadWorker.NextAttemptKey, next);
        }
        if (now < next)
            return new UploadPlan([], dropped, new UploadCycle("not due", 0, dropped, outbox.Pending().Count, next));
        sealer.Seal(today);
        dropped += outbox.EnforceLimits(now);
        return new UploadPlan(outbox.Pending(), dropped);
    }

    public void Accepted(OutboxBatch batch, UploadOutcome outcome, DateTimeOffset now)
    {
        store.SetState(UploadWorker.FailuresKey, null);
        store.SetTime(UploadWorker.NextAttemptKey, UploadSchedule.After(now, outcome.NextReportAfter, options));
    }

    public UploadCycle Retry(OutboxBatch batch, UploadOutcome outcome, DateTimeOffset now, int sent, int dropped)
    {
        int failures = Failures + 1;
        store.SetState(UploadWorker.FailuresKey, failures.ToString(CultureInfo.InvariantCulture));
        var retryAt = now + RetryPolicy.Delay(failures, options.InitialBackoff, options.MaxBackoff, outcome.RetryAfter, options.Random);
        store.SetTime(UploadWorker.NextAttemptKey, retryAt);
        log.Write($"Upload failed, retrying after {retryAt:yyyy-MM-dd HH:mm} UTC: {outcome.Reason}", LogLevel.Warning,
            $"Upload failed, retrying after {retryAt:yyyy-MM-dd HH:mm} UTC: {outcome.Summary ?? "no answer"}");
        return new UploadCycle("retrying later", sent, dropped, outbox.Pending().Count, retryAt);
    }

    public UploadCycle Finished(int sent, int dropped)
    {
        if (sent == 0)
            store.SetTime(UploadWorker.NextAttemptKey, null); // nothing was due to leave: the next closed period starts a fresh random wait
        else
            log.Host.LogInformation("Candor sent {Batches} batch(es) of reports.", sent);
        return new UploadCycle(sent > 0 ? "sent" : "nothing to send", sent, dropped, outbox.Pending().Count, NextAttempt);
    }

    /// <summary>
    /// The announcements' <c>reportback_next</c> sets the next upload like any collector hint, but never
    /// postpones one already scheduled (nor a pending retry): fetched daily with a hint of a day or more,
    /// it would otherwise push the upload back every day, and reports would never leave.
    /// </summary>
    public DateTimeOffset? Hint(TimeSpan hint)
    {
        if (Failures != 0)
            return null;
        var at = UploadSchedule.After(options.TimeProvider.GetUtcNow(), hint, options);
        if (NextAttempt is { } scheduled && scheduled <= at)
            return scheduled;
        store.SetTime(UploadWorker.NextAttemptKey, at);
        return at;
    }
}
