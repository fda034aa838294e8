using Candor.Collector.Transparency;

namespace Candor.Collector.Storage;

/// <summary>Deletion by receipt (<see cref="DeletionEndpoints"/>); the status of each receipt is decided once, in <see cref="ReceiptDeletion"/>.</summary>
public interface IDeletionStore
{
    /// <summary>
    /// All receipts in one transaction: a receipt whose commitment is held, for the
    /// same report, and not deleted yet takes one report off the raw and rollup counts of its
    /// (app, metric, period, value) (never off a release already published), marks the commitment
    /// deleted and adds a deletion entry to the pending set. <paramref name="storedApp"/> is how
    /// the store names the app's rows. One status per receipt, in order.
    /// </summary>
    Task<IReadOnlyList<DeletionStatus>> DeleteByReceiptAsync(string storedApp, IReadOnlyList<DeletionReceipt> receipts, CancellationToken cancellationToken = default);
}
