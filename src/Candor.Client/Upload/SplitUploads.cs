using Candor.Client.LocalStore;
using Candor.Client.Outbox;
using Microsoft.Extensions.Logging;

namespace Candor.Client.Upload;

/// <summary>
/// One report per request, each at its own moment: closed periods are sealed and split at once
/// (<see cref="PendingOutbox.Split"/>), every part draws its own send time in its period's upload window,
/// and backs off on its own, so the parts of one batch never travel or retry together.
/// </summary>
internal sealed class SplitUploads(OutboxSealer sealer, PendingOutbox outbox, CandorClientOptions options, ClientLog log) : IUploadStrategy
{
    public DateTimeOffset? NextAttempt => outbox.Pending().Min(b => (DateTimeOffset?)(b.SendAfter ?? options.TimeProvider.GetUtcNow()));

    public UploadPlan Prepare(DateTimeOffset now, int dropped)
    {
        // Sealing is local: closed periods are split at once, and each part waits for its own moment.
        sealer.Seal(DateOnly.FromDateTime(now.UtcDateTime));
        outbox.Split(periodEnd => SendTime(periodEnd, now));
        dropped += outbox.EnforceLimits(now);
        var all = outbox.Pending();
        var due = all.Where(b => (b.SendAfter ?? now) <= now).OrderBy(b => b.SendAfter ?? now).ThenBy(b => b.Id).ToList();
        return due.Count > 0 ? new UploadPlan(due, dropped)
            : new UploadPlan([], dropped, new UploadCycle(all.Count == 0 ? "nothing to send yet" : "not due", 0, dropped, all.Count, NextAttempt));
    }

    /// <summary>The collector's hint is not asked for: each part's moment was drawn on the device.</summary>
    public void Accepted(OutboxBatch batch, UploadOutcome outcome, DateTimeOffset now)
    {
    }

    /// <summary>Each part backs off on its own, so parts that failed together do not come back together.</summary>
    public UploadCycle Retry(OutboxBatch batch, UploadOutcome outcome, DateTimeOffset now, int sent, int dropped)
    {
        var retryAt = now + RetryPolicy.Delay(batch.Attempts + 1, options.InitialBackoff, options.MaxBackoff, outcome.RetryAfter, options.Random);
        outbox.SetSendAfter(batch.Id, retryAt);
        log.Write($"Upload of one report failed, retrying after {retryAt:yyyy-MM-dd HH:mm} UTC: {outcome.Reason}", LogLevel.Warning,
            $"Upload of one report failed, retrying after {retryAt:yyyy-MM-dd HH:mm} UTC: {outcome.Summary ?? "no answer"}");
        return new UploadCycle("retrying later", sent, dropped, outbox.Pending().Count, NextAttempt);
    }

    public UploadCycle Finished(int sent, int dropped) =>
        new(sent > 0 ? "sent" : "nothing to send", sent, dropped, outbox.Pending().Count, NextAttempt);

    /// <summary>Split parts keep the moments they drew: a collector's hint moves nothing.</summary>
    public DateTimeOffset? Hint(TimeSpan hint) => null;

    /// <summary>
    /// A part's send time, uniformly random in the upload window of its period
    /// (<see cref="CandorClientOptions.FirstUploadDelayMin"/> to <see cref="CandorClientOptions.FirstUploadDelayMax"/>
    /// after the period ended) and drawn for each part on its own, so parts of one period do not leave
    /// together. A window already begun when the device seals (it was off) starts now instead: parts
    /// found late must not all leave at the first chance, in one burst.
    /// </summary>
    private DateTimeOffset SendTime(DateOnly periodEnd, DateTimeOffset now)
    {
        if (options.DevelopmentUploads)
            return now;
        var opens = new DateTimeOffset(periodEnd.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) + options.FirstUploadDelayMin;
        var from = opens > now ? opens : now;
        return from + UploadSchedule.Between(TimeSpan.Zero, options.FirstUploadDelayMax - options.FirstUploadDelayMin, options.Random);
    }
}
