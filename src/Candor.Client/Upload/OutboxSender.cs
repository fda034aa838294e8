using Candor.Client.Consent;
using Candor.Client.LocalStore;
using Candor.Client.Outbox;
using Candor.Client.Transparency;
using Candor.Registry;
using Microsoft.Extensions.Logging;

namespace Candor.Client.Upload;

/// <summary>
/// The outbox-owning decorator around the sender (Sentry's <c>CachingTransport</c> around its
/// <c>HttpTransport</c>): it takes the batches a strategy picked, gives each its last look against the
/// consent and the switches, sends it through the inner <see cref="IReportSender"/> with no lock held,
/// and applies the retry rules (<see cref="RetryPolicy"/>) to the answer: accepted batches leave the
/// outbox for the history with their receipts marked sent, batches refused for good are dropped, and a
/// retryable failure ends the cycle with the strategy scheduling the retry.
/// </summary>
internal sealed class OutboxSender(IReportSender inner, PendingOutbox outbox, ClientStore store, ReceiptBook receipts, ConsentGate consent,
    DeferredErasure erasures, MetricRegistry registry, CandorClientOptions options, ClientLog log, Lock local)
{
    /// <summary>Sends <paramref name="due"/> oldest first, stopping at the first retryable failure.</summary>
    public async Task<UploadCycle> SendAsync(IReadOnlyList<OutboxBatch> due, IUploadStrategy strategy, int dropped, CancellationToken cancel)
    {
        int sent = 0;
        foreach (var snapshot in due)
        {
            OutboxBatch batch;
            lock (local)
            {
                // A "no" or a switched-off category may have erased or rewritten the batch since the snapshot.
                if (!consent.IsGranted)
                    return new UploadCycle("consent not granted", sent, dropped, 0, null);
                if (erasures.Owed)
                    return new UploadCycle(UploadWorker.LocalStoreUnavailable, sent, dropped, 0, null);
                if (LastLook(snapshot) is not { } current)
                    continue;
                batch = current;
                outbox.MarkAttempt(batch.Id);
            }
            UploadOutcome outcome;
            try
            {
                outcome = await inner.SendAsync(batch, cancel).ConfigureAwait(false);
            }
            catch (Exception e) when (RetryPolicy.IsRetryable(e) && !cancel.IsCancellationRequested)
            {
                outcome = new UploadOutcome(UploadResult.Retry, $"the answer was cut off ({e.GetType().Name})");
            }
            lock (local)
            {
                var now = options.TimeProvider.GetUtcNow();
                switch (outcome.Result)
                {
                    case UploadResult.Accepted:
                        // Receipts first: a crash before Remove resends the batch, which the collector replays.
                        receipts.MarkSent(batch.Id, now, () => now + options.LogMissingAfter + UploadSchedule.Between(TimeSpan.Zero, options.LogCheckWindow, options.Random));
                        outbox.Remove(batch.Id);
                        store.RecordSent(now, batch.Body, outcome.Accepted);
                        strategy.Accepted(batch, outcome, now);
                        sent++;
                        break;
                    case UploadResult.Dropped:
                        outbox.Remove(batch.Id);
                        log.Write($"Dropped a batch the collector refused for good: {outcome.Reason}", LogLevel.Warning,
                            $"Dropped a batch the collector refused for good: {outcome.Summary ?? "refused"}");
                        dropped++;
                        break;
                    case UploadResult.Retry:
                        return strategy.Retry(batch, outcome, now, sent, dropped);
                }
            }
        }
        lock (local)
            return strategy.Finished(sent, dropped);
    }

    /// <summary>
    /// The last look before the batch leaves: a report of a metric or category switched off since it was
    /// sealed never goes, whether or not the switch-off managed to rewrite the outbox (a full disk, an exit).
    /// Null when nothing of the batch may leave (or it is gone).
    /// </summary>
    private OutboxBatch? LastLook(OutboxBatch snapshot)
    {
        if (outbox.Pending().FirstOrDefault(b => b.Id == snapshot.Id) is not { } current)
            return null;
        var kept = AllowedReports.Filter(current.Body, IsAllowed);
        if (!kept.Changed)
            return current;
        // On a full disk the rewrite throws: the cycle ends and nothing is sent, never the unfiltered batch.
        outbox.Replace(current.Id, kept.Body);
        log.Write(kept.Damaged
            ? "Dropped a damaged pending batch that could not be read, just before sending it."
            : $"Left {kept.Removed} report(s) out of a pending batch just before sending it: their metric or category was switched off after the batch was sealed.",
            LogLevel.Warning);
        return kept.Body is null ? null : outbox.Pending().FirstOrDefault(b => b.Id == current.Id);
    }

    private bool IsAllowed(string metric) => registry.FindMetric(metric) is { } m && consent.Allowed(m);
}
