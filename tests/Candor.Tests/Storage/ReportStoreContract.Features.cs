using System.Security.Cryptography;
using Candor.Collector.Storage;
using Candor.Collector.Transparency;
using Candor.Protocol;
using Candor.Tests.Infrastructure;
using Candor.Transparency;

namespace Candor.Tests.Storage;

/// <summary>
/// The contract's members that the tests above leave to the features' own suites: issuance budgets, the
/// transparency log, deletion by receipt and the key-order rewrite, here run on both engines through the
/// small contracts their callers use.
/// </summary>
public abstract partial class ReportStoreContract
{
    private static byte[] Commitment(int n) => SHA256.HashData([(byte)n, 0xC0]);

    private static ValidatedReport Committed(string metric, string value, int n, string period = "2026-W47") => new(metric, period, value, null, Commitment(n));

    /// <summary>Seals every pending entry in entry order, signed with a throwaway key (the shuffle is the sealer's, tested with it).</summary>
    private static Task<long?> SealAllAsync(ILogStore log, int minBatches = 1)
    {
        var key = EcdsaNoteKey.ForSigning("contract.test/log", ECDsa.Create(ECCurve.NamedCurves.nistP256));
        return log.SealEpochAsync(minBatches, epoch =>
        {
            var tree = new TiledTree(epoch.Reader);
            var append = tree.Append(epoch.Size, epoch.Entries);
            var note = SignedNote.Sign(new Checkpoint("contract.test/log", (ulong)append.NewSize, tree.RootHash(append.NewSize)).ToNoteText(), key);
            return new SealedEpoch(epoch.Entries, append, note);
        });
    }

    [StoreFact]
    public async Task An_issuance_budget_is_taken_whole_or_not_at_all_per_client_and_period_and_purged_with_its_period()
    {
        ITokenStore tokens = Store;
        byte[] a = [1], b = [2];
        Assert.True(await tokens.TryTakeIssuanceBudgetAsync(10, a, 3, budget: 5));
        Assert.False(await tokens.TryTakeIssuanceBudgetAsync(10, a, 3, budget: 5)); // 6 would pass the budget: nothing taken
        Assert.True(await tokens.TryTakeIssuanceBudgetAsync(10, a, 2, budget: 5));  // so the last 2 are still there
        Assert.False(await tokens.TryTakeIssuanceBudgetAsync(10, a, 1, budget: 5));
        Assert.False(await tokens.TryTakeIssuanceBudgetAsync(10, b, 6, budget: 5)); // more than a whole budget, even new
        Assert.True(await tokens.TryTakeIssuanceBudgetAsync(10, b, 5, budget: 5));
        Assert.True(await tokens.TryTakeIssuanceBudgetAsync(11, a, 5, budget: 5));  // a new period starts empty

        Assert.Equal(2, await tokens.PurgeIssuanceBudgetsAsync(11));              // period 10's two rows
        Assert.True(await tokens.TryTakeIssuanceBudgetAsync(10, a, 5, budget: 5)); // forgotten: nothing of it is left
        Assert.False(await tokens.TryTakeIssuanceBudgetAsync(11, a, 1, budget: 5)); // period 11 kept
    }

    [StoreFact]
    public async Task A_report_carrying_a_commitment_the_store_holds_is_refused_and_nothing_of_its_batch_stays()
    {
        IIngestStore ingest = Store;
        var first = await ingest.AppendGroupAsync([Request("app.a", key: [1], reports: [Committed("system.os", "linux", 1)])]);
        var group = await ingest.AppendGroupAsync([
            Request("app.a", key: [2], reports: [Committed("m.x", "1", 2), Committed("system.os", "macos", 1)]), // held since the first group
            Request("app.a", key: [3], reports: [Committed("m.y", "1", 3)]),
            Request("app.a", key: [4], reports: [Committed("m.z", "1", 3)])]);                                    // stored by the batch before it
        Assert.Equal(AppendOutcomeKind.Stored, first[0].Kind);
        Assert.Equal([AppendOutcomeKind.CommitmentKnown, AppendOutcomeKind.Stored, AppendOutcomeKind.CommitmentKnown], group.Select(o => o.Kind));
        Assert.Equal([1], group[0].KnownCommitments!);
        Assert.Equal([0], group[2].KnownCommitments!);
        Assert.Equal([("m.y", 1L), ("system.os", 1L)], (await ingest.ReadRawAsync("app.a")).Select(r => (r.Metric, r.Reports)));
        // The refused batches' keys were given back: with fresh commitments they are new batches.
        Assert.Equal(AppendOutcomeKind.Stored, (await ingest.AppendGroupAsync([Request("app.a", key: [2], reports: [Committed("m.x", "1", 4)])]))[0].Kind);
    }

    [StoreFact]
    public async Task An_epoch_is_sealed_once_it_has_enough_batches_and_the_log_reads_back_what_was_sealed()
    {
        await Store.AppendGroupAsync([Request("app.a", reports: [Committed("system.os", "linux", 1), Committed("app.launches", "10", 2)])]);
        ILogStore log = Store;
        Assert.Null(await SealAllAsync(log, minBatches: 2)); // one batch pending: below the minimum, nothing sealed
        Assert.Equal(2L, await log.ReadLogAsync(r => r.CountPending()));

        Assert.Equal(2, await SealAllAsync(log));
        var report = new LogEntry(LogEntryKind.Report, Commitment(1)).ToBytes();
        var (size, checkpoint, leaf, pending, stillPending) = await log.ReadLogAsync(r =>
            (r.TreeSize, r.ReadCheckpoint(null), r.LeafIndexOf(report), r.CountPending(), r.IsPending(report)));
        Assert.Equal(2, size);
        Assert.Contains("contract.test/log\n2\n", checkpoint);
        Assert.Equal(checkpoint, await log.ReadLogAsync(r => r.ReadCheckpoint(2)));
        Assert.NotNull(leaf);
        Assert.Equal((0L, false), (pending, stillPending));
        Assert.NotNull(await log.ReadLogAsync(r => r.ReadBundle(0)));
        Assert.Null(await SealAllAsync(log)); // nothing pending: nothing to seal, the tree stays
        Assert.Equal(2L, await log.ReadLogAsync(r => r.TreeSize));
    }

    [StoreFact]
    public async Task A_receipt_takes_its_report_off_once_and_every_other_receipt_gets_its_own_answer()
    {
        var histogram = new ValidatedReport("startup.ms", "2026-W47", """{"100":3,"250":1}""", [new("100", 3), new("250", 1)], Commitment(3));
        await Store.AppendGroupAsync([Request("app.a", reports: [Committed("system.os", "linux", 1), histogram]),
            Request("app.a", reports: [Committed("system.os", "linux", 2)])]);
        IDeletionStore deletion = Store;

        var statuses = await deletion.DeleteByReceiptAsync("app.a", [
            new DeletionReceipt(Commitment(1), "system.os", "2026-W47", "linux"),
            new DeletionReceipt(Commitment(1), "system.os", "2026-W47", "linux"),  // the same receipt again, same request
            new DeletionReceipt(Commitment(3), "startup.ms", "2026-W47", """{"100":3,"250":1}"""),
            new DeletionReceipt(Commitment(9), "system.os", "2026-W47", "linux")]); // never stored
        Assert.Equal([DeletionStatus.Deleted, DeletionStatus.AlreadyDeleted, DeletionStatus.Deleted, DeletionStatus.NotFound], statuses);
        Assert.Equal([("system.os", "linux", 1L)], (await Store.ReadRawAsync("app.a")).Select(r => (r.Metric, r.Value, r.Reports)));
        Assert.Equal([("system.os", "linux", 1L, 1L)], (await Store.ReadRollupsAsync("app.a")).Select(r => (r.Metric, r.Value, r.Reports, r.Total)));
        // Each deleting request is one batch for the epoch minimum; its deletion entries wait in the pending set.
        var deletionEntry = new LogEntry(LogEntryKind.Deletion, Commitment(1)).ToBytes();
        Assert.True(await Store.ReadLogAsync(r => r.IsPending(deletionEntry)));

        // Once retention has purged its period, the last report's receipt finds nothing to take off: expired.
        await Store.PurgeRawAsync("app.a", new DateOnly(2026, 11, 30), Today);
        Assert.Equal([DeletionStatus.Expired, DeletionStatus.AlreadyDeleted],
            await deletion.DeleteByReceiptAsync("app.a", [new DeletionReceipt(Commitment(2), "system.os", "2026-W47", "linux"),
                new DeletionReceipt(Commitment(1), "system.os", "2026-W47", "linux")]));
    }

    [StoreFact]
    public async Task A_key_order_rewrite_keeps_every_row_and_runs_only_when_something_was_written()
    {
        IKeyOrderRewrite rewrite = Store;
        Assert.True(await rewrite.RewriteInKeyOrderAsync(force: true));
        await Store.AppendGroupAsync([Request("app.a", key: [1]), Request("app.b")]);
        var raw = await Store.ReadRawAsync("app.a");
        var rollups = await Store.ReadRollupsAsync("app.b");

        Assert.True(await rewrite.RewriteInKeyOrderAsync());
        Assert.False(await rewrite.RewriteInKeyOrderAsync()); // nothing written since
        Assert.Equal(raw, await Store.ReadRawAsync("app.a"));
        Assert.Equal(rollups, await Store.ReadRollupsAsync("app.b"));
        Assert.Equal(AppendOutcomeKind.Replayed, (await Store.AppendGroupAsync([Request("app.a", key: [1])]))[0].Kind);
    }

    [StoreFact]
    public void The_engine_names_itself()
    {
        Assert.Contains(Store.Engine, new[] { "sqlite", "postgres" });
    }
}
