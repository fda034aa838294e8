using Candor.Client.LocalStore;
using Candor.Client.Recording;
using Candor.Client.Reporting;

namespace Candor.Client.Outbox;

/// <summary>Seals the closed periods' observations into outbox batches (with their receipts) and tells the flusher what was consumed.</summary>
internal sealed class OutboxSealer(ReportBuilderFactory builders, ClientStore store, PendingOutbox outbox, RecordingFlusher flusher, bool includeOpenPeriods)
{
    /// <summary>Callers hold the client's local lock.</summary>
    public void Seal(DateOnly today)
    {
        var builder = builders.Create();
        var built = builder.Build(store.Observations(), today, includeOpenPeriods);
        if (built.Consumed.Count == 0)
            return;
        outbox.Seal(built.Batches, built.Consumed, built.Receipts, builder.NextNonceGeneration);
        flusher.Sealed(built.Consumed, today);
    }
}
