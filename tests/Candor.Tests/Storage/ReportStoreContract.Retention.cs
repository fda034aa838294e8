using Candor.Collector.Storage;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Storage;

/// <summary>
/// The retention rule (<see cref="RetentionRule"/>) at its boundary, on both engines: each engine lists its
/// candidates in its own SQL and deletes what the one rule returns, so both must take and keep the same rows.
/// </summary>
public abstract partial class ReportStoreContract
{
    [StoreFact]
    public async Task Retention_takes_the_periods_that_end_on_or_before_the_boundary_and_keeps_the_rest()
    {
        // Boundary 2026-11-23. Gone: day 11-21 (ends 11-22), day 11-22 (ends on the boundary), week W47 (16-22 Nov).
        // Kept: day 11-23 (ends 11-24), week W48 (23-29 Nov).
        string[] gone = ["2026-11-21", "2026-11-22", "2026-W47"], kept = ["2026-11-23", "2026-W48"];
        await Store.AppendGroupAsync([Request("app.a", reports: [.. gone.Concat(kept).Select(p => Report("candor.active", "true", p))])]);

        var purge = await Store.PurgeRawAsync("app.a", new DateOnly(2026, 11, 23), Today);

        Assert.Equal((3L, 3L), (purge.RawRows, purge.Reports));
        Assert.Equal(kept.Order(StringComparer.Ordinal), (await Store.ReadRawAsync("app.a")).Select(r => r.Period).Order(StringComparer.Ordinal));
    }

    [StoreFact]
    public async Task Commitments_retire_with_their_week_by_the_same_rule_and_a_later_week_stays_held()
    {
        IIngestStore ingest = Store;
        // A day's commitment retires with the ISO week holding the day: 2026-11-22 with W47, 2026-11-23 with W48.
        await ingest.AppendGroupAsync([Request("app.a", key: [1], reports: [Committed("candor.active", "true", 1, "2026-11-22")]),
            Request("app.a", key: [2], reports: [Committed("candor.active", "true", 2, "2026-11-23")])]);

        await SealAllAsync(Store); // sealed, both engines hold the commitments in one table
        Assert.Equal(2, await CountAsync("SELECT count(*) FROM commitments;"));

        await Store.PurgeRawAsync("app.a", new DateOnly(2026, 11, 23), Today);

        // W47's row went with the week; W48's stays held until W48 ends.
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM commitments WHERE retire = '2026-W47';"));
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM commitments WHERE retire = '2026-W48';"));
    }

    [StoreFact]
    public async Task A_commitment_whose_row_retired_before_its_epoch_was_sealed_is_still_refused_a_second_time()
    {
        IIngestStore ingest = Store;
        Assert.Equal(AppendOutcomeKind.Stored,
            (await ingest.AppendGroupAsync([Request("app.a", key: [1], reports: [Committed("candor.active", "true", 7, "2026-11-22")])])).Single().Kind);
        // Retention takes the commitment's row (W47 ended) while its log entry still waits for an epoch.
        await Store.PurgeRawAsync("app.a", new DateOnly(2026, 11, 23), Today);
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM commitments;"));
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM log_pending;"));

        // The same report again (another key, same commitment): the pending entry still says it was counted.
        var again = await ingest.AppendGroupAsync([Request("app.a", key: [2], reports: [Committed("candor.active", "true", 7, "2026-11-22")])]);
        Assert.Equal(AppendOutcomeKind.CommitmentKnown, again.Single().Kind);
    }
}
