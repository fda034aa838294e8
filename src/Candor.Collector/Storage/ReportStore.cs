using Candor.Collector.Transparency;

namespace Candor.Collector.Storage;

/// <summary>
/// What both engines do the same way: hand each contract to its feature class, and the fold-first rule. Cells
/// acknowledged through the cell journal (<see cref="IIngestStore.FoldJournalAsync"/>) are in the tables only once
/// folded, so reads of cells fold this collector's journal first when it holds rows (another collector's rows show
/// after that collector's next fold), and everything that must see or change every stored report folds always: a
/// release (it freezes what it reads), retention (expired reports still in the journal go too), deletion by receipt
/// (the report's cells must be in the tables to be taken off) and the key-order rewrite (folded rows are zeroed or
/// dead, and the rewrite then drops their old images). The engines add migration, their own extras and closing.
/// </summary>
internal abstract class ReportStore(IIngestStore ingest, IIdempotencyKeyStore keys, IRegistryStore registries, IReleaseStore releaseStore,
    IRetentionStore retention, ITokenStore tokenStore, ILogStore log, IDeletionStore deletion, IKeyOrderRewrite rewrite) : IReportStore
{
    public string Engine => ingest.Engine;

    public abstract Task MigrateAsync(CancellationToken cancellationToken = default);
    public abstract ValueTask DisposeAsync();

    public Task<AppendOutcome[]> AppendGroupAsync(IReadOnlyList<AppendRequest> group, CancellationToken cancellationToken = default) => ingest.AppendGroupAsync(group, cancellationToken);
    public Task<AppendOutcome[]> AppendGroupAsync(IReadOnlyList<AppendRequest> group, bool moreWaiting, CancellationToken cancellationToken = default) => ingest.AppendGroupAsync(group, moreWaiting, cancellationToken);
    public Task<int> FoldJournalAsync(CancellationToken cancellationToken = default) => ingest.FoldJournalAsync(cancellationToken);
    public CellJournalPolicy Journal => ingest.Journal;

    /// <summary>Reads of cells: this collector's journal rows folded first (nothing is written when it has none, the usual case outside load).</summary>
    private Task FoldPendingAsync(CancellationToken cancellationToken) =>
        ingest.Journal.Rows > 0 ? ingest.FoldJournalAsync(cancellationToken) : Task.CompletedTask;

    public async Task<IReadOnlyList<RawRow>> ReadRawAsync(string app, CancellationToken cancellationToken = default)
    {
        await FoldPendingAsync(cancellationToken);
        return await ingest.ReadRawAsync(app, cancellationToken);
    }

    public async Task<IReadOnlyList<RollupCell>> ReadRollupsAsync(string app, string? metric = null, CancellationToken cancellationToken = default)
    {
        await FoldPendingAsync(cancellationToken);
        return await releaseStore.ReadRollupsAsync(app, metric, cancellationToken);
    }

    public async Task<IReadOnlyList<RollupCell>> ReadRollupsAsync(string app, string metric, string fromPeriod, string toPeriod, CancellationToken cancellationToken = default)
    {
        await ingest.FoldJournalAsync(cancellationToken); // a release freezes what it reads: every stored report in it
        return await releaseStore.ReadRollupsAsync(app, metric, fromPeriod, toPeriod, cancellationToken);
    }

    public async Task<PurgeRecord> PurgeRawAsync(string app, DateOnly purgedBefore, DateOnly today, CancellationToken cancellationToken = default)
    {
        await ingest.FoldJournalAsync(cancellationToken); // expired reports still in the journal go too
        return await retention.PurgeRawAsync(app, purgedBefore, today, cancellationToken);
    }

    public async Task<IReadOnlyList<DeletionStatus>> DeleteByReceiptAsync(string storedApp, IReadOnlyList<DeletionReceipt> receipts, CancellationToken cancellationToken = default)
    {
        await ingest.FoldJournalAsync(cancellationToken); // the report's cells must be in the tables to be taken off
        return await deletion.DeleteByReceiptAsync(storedApp, receipts, cancellationToken);
    }

    public async Task<bool> RewriteInKeyOrderAsync(bool force = false, CancellationToken cancellationToken = default)
    {
        await ingest.FoldJournalAsync(cancellationToken); // the folded rows' old images then leave with the rewrite
        return await rewrite.RewriteInKeyOrderAsync(force, cancellationToken);
    }

    public Task<int> PurgeIdempotencyKeysAsync(DateOnly firstSeenBefore, CancellationToken cancellationToken = default) => keys.PurgeIdempotencyKeysAsync(firstSeenBefore, cancellationToken);
    public Task SaveRegistryAsync(StoredRegistry registry, CancellationToken cancellationToken = default) => registries.SaveRegistryAsync(registry, cancellationToken);
    public Task<IReadOnlyList<StoredRegistry>> LoadRegistriesAsync(CancellationToken cancellationToken = default) => registries.LoadRegistriesAsync(cancellationToken);
    public Task<IReadOnlyList<StoredRelease>> ReadReleasesAsync(string app, string metric, string fromPeriod, string toPeriod, CancellationToken cancellationToken = default) => releaseStore.ReadReleasesAsync(app, metric, fromPeriod, toPeriod, cancellationToken);
    public Task SaveReleasesAsync(IReadOnlyList<StoredRelease> releases, CancellationToken cancellationToken = default) => releaseStore.SaveReleasesAsync(releases, cancellationToken);
    public Task<IReadOnlyList<PurgeRecord>> ReadPurgesAsync(string app, CancellationToken cancellationToken = default) => retention.ReadPurgesAsync(app, cancellationToken);
    public Task<int> PurgeSpentTokensAsync(IReadOnlyCollection<byte[]> keepKeyIds, CancellationToken cancellationToken = default) => tokenStore.PurgeSpentTokensAsync(keepKeyIds, cancellationToken);
    public Task<long> CountSpentTokensAsync(CancellationToken cancellationToken = default) => tokenStore.CountSpentTokensAsync(cancellationToken);
    public Task<bool> TryTakeIssuanceBudgetAsync(long period, byte[] partition, int tokens, int budget, CancellationToken cancellationToken = default) => tokenStore.TryTakeIssuanceBudgetAsync(period, partition, tokens, budget, cancellationToken);
    public Task<int> PurgeIssuanceBudgetsAsync(long period, CancellationToken cancellationToken = default) => tokenStore.PurgeIssuanceBudgetsAsync(period, cancellationToken);
    public Task<long?> SealEpochAsync(int minBatches, Func<PendingEpoch, SealedEpoch> seal, CancellationToken cancellationToken = default) => log.SealEpochAsync(minBatches, seal, cancellationToken);
    public Task<T> ReadLogAsync<T>(Func<ILogReader, T> read, CancellationToken cancellationToken = default) => log.ReadLogAsync(read, cancellationToken);
}
