using Candor.Client.Outbox;

namespace Candor.Client.Upload;

/// <summary>What a strategy decided for one cycle: the batches due now, the running count of dropped batches, or the cycle's answer when nothing leaves.</summary>
internal sealed record UploadPlan(IReadOnlyList<OutboxBatch> Due, int Dropped, UploadCycle? Done = null);

/// <summary>
/// How sealed reports are scheduled and sent: whole batches on one random schedule (<see cref="WholeBatchUploads"/>)
/// or one report per request, each at its own moment (<see cref="SplitUploads"/>). The <see cref="OutboxSender"/>
/// sends what a strategy picks and hands each answer back to it. Every member runs under the client's local lock.
/// </summary>
internal interface IUploadStrategy
{
    /// <summary>The next upload the schedule allows (null: none scheduled).</summary>
    DateTimeOffset? NextAttempt { get; }

    /// <summary>Seals closed periods into the outbox and picks what is due at <paramref name="now"/>.</summary>
    UploadPlan Prepare(DateTimeOffset now, int dropped);

    /// <summary>The collector accepted <paramref name="batch"/> (already removed from the outbox and kept in the history).</summary>
    void Accepted(OutboxBatch batch, UploadOutcome outcome, DateTimeOffset now);

    /// <summary>The collector could not take <paramref name="batch"/> now: schedule the retry; the cycle ends with the answer returned.</summary>
    UploadCycle Retry(OutboxBatch batch, UploadOutcome outcome, DateTimeOffset now, int sent, int dropped);

    /// <summary>Every due batch was sent or dropped.</summary>
    UploadCycle Finished(int sent, int dropped);

    /// <summary>A collector's hint for the next upload (announcements' <c>reportback_next</c>); null when this strategy takes none.</summary>
    DateTimeOffset? Hint(TimeSpan hint);
}
