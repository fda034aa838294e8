using System.Data.Common;
using Candor.Transparency;
using Candor.Collector.Transparency;

namespace Candor.Collector.Storage;

/// <summary>
/// The statements of deletion by receipt in one engine's dialect (parameters written <c>@name</c>):
/// <see cref="FindApp"/> (<c>@c</c>: the held commitment's stored app, or no row), <see cref="InLog"/>
/// (<c>@d</c>, <c>@r</c>: whether the deletion entry and the report entry are logged or pending, two
/// booleans), <see cref="TakeRaw"/>, <see cref="DropEmptyRaw"/>, <see cref="TakeRollup"/> (<c>@total</c>
/// too), <see cref="DropEmptyRollup"/> (cells: <c>@app @metric @period @value</c>), <see cref="Forget"/>
/// (<c>@c</c>, <c>@e</c>: the row goes, the deletion entry is pending) and <see cref="CountBatch"/>.
/// <see cref="PeriodStart"/>, when set, binds <c>@start</c> to the raw statements (PostgreSQL's partition key).
/// </summary>
internal sealed record ReceiptDeletionSql(string FindApp, string InLog, string TakeRaw, string DropEmptyRaw, string TakeRollup,
    string DropEmptyRollup, string Forget, string CountBatch, Func<string, DateOnly>? PeriodStart = null);

/// <summary>
/// Deletion by receipt, decided once for both engines: the status of every receipt (the privacy decision
/// of <see cref="IDeletionStore.DeleteByReceiptAsync"/>) and what a deletion takes off. Each engine runs it
/// inside its own write transaction with its own SQL and cleans its files afterwards.
/// </summary>
internal static class ReceiptDeletion
{
    /// <summary>
    /// A receipt whose commitment no row holds: deleted before (its deletion entry is logged or pending), or
    /// retention retired it (its report entry is in the log and nothing in the counts is left to take off), or
    /// nothing matches. Already-deleted wins: a second request for a deleted report must not read as expired.
    /// </summary>
    public static DeletionStatus WithoutRow(bool deletionLogged, bool reportLogged) =>
        deletionLogged ? DeletionStatus.AlreadyDeleted : reportLogged ? DeletionStatus.Expired : DeletionStatus.NotFound;

    /// <summary>Runs every receipt in order on <paramref name="c"/> inside <paramref name="tx"/>; true in Deleted when any report was taken off.</summary>
    public static async Task<(IReadOnlyList<DeletionStatus> Statuses, bool Deleted)> RunAsync(DbConnection c, DbTransaction tx, ReceiptDeletionSql sql,
        IReadOnlyList<DeletionReceipt> receipts, CancellationToken cancellationToken)
    {
        await using var find = Command(c, tx, sql.FindApp, "c");
        await using var inLog = Command(c, tx, sql.InLog, "d", "r");
        string[] cell = sql.PeriodStart is null ? ["app", "metric", "period", "value"] : ["app", "metric", "period", "value", "start"];
        await using var raw = Command(c, tx, sql.TakeRaw, cell);
        await using var rawGone = Command(c, tx, sql.DropEmptyRaw, cell);
        await using var rollup = Command(c, tx, sql.TakeRollup, "app", "metric", "period", "value", "total");
        await using var rollupGone = Command(c, tx, sql.DropEmptyRollup, "app", "metric", "period", "value");
        await using var forget = Command(c, tx, sql.Forget, "c", "e");
        var statuses = new List<DeletionStatus>(receipts.Count);
        bool deleted = false;
        foreach (var receipt in receipts)
        {
            // Only the app's stored name comes back: the receipt's metric, period and value are what the commitment
            // was computed over (the collector recomputed it from them), so nothing of the report is stored.
            find.Parameters[0].Value = receipt.Commitment;
            if (await find.ExecuteScalarAsync(cancellationToken) is not string app)
            {
                inLog.Parameters[0].Value = new LogEntry(LogEntryKind.Deletion, receipt.Commitment).ToBytes();
                inLog.Parameters[1].Value = new LogEntry(LogEntryKind.Report, receipt.Commitment).ToBytes();
                await using var r = await inLog.ExecuteReaderAsync(cancellationToken);
                await r.ReadAsync(cancellationToken);
                statuses.Add(WithoutRow(r.GetBoolean(0), r.GetBoolean(1)));
                continue;
            }
            Bind(raw, sql, app, receipt.Metric, receipt.Period, receipt.Value);
            if (await raw.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                // The commitment retires with its ISO week, a day's raw row with its day: in between, nothing is left to take off.
                statuses.Add(DeletionStatus.Expired);
                continue;
            }
            Bind(rawGone, sql, app, receipt.Metric, receipt.Period, receipt.Value);
            await rawGone.ExecuteNonQueryAsync(cancellationToken);
            foreach (var (value, total) in RollupCells.Of(receipt.Value))
            {
                Bind(rollup, null, app, receipt.Metric, receipt.Period, value);
                rollup.Parameters[4].Value = total;
                await rollup.ExecuteNonQueryAsync(cancellationToken);
                Bind(rollupGone, null, app, receipt.Metric, receipt.Period, value);
                await rollupGone.ExecuteNonQueryAsync(cancellationToken);
            }
            // Deleted, not marked: the commitment row goes. The deletion entry lands in one of the next K epochs like
            // any other entry, and the report's own entry stays logged (or pending), so the deletion has a report to point at.
            forget.Parameters[0].Value = receipt.Commitment;
            forget.Parameters[1].Value = new LogEntry(LogEntryKind.Deletion, receipt.Commitment).ToBytes();
            await forget.ExecuteNonQueryAsync(cancellationToken);
            statuses.Add(DeletionStatus.Deleted);
            deleted = true;
        }
        if (deleted)
        {
            // One request is one batch for the epoch's minimum, however many receipts it held.
            await using var count = Command(c, tx, sql.CountBatch);
            await count.ExecuteNonQueryAsync(cancellationToken);
        }
        return (statuses, deleted);
    }

    private static void Bind(DbCommand cmd, ReceiptDeletionSql? partitioned, string app, string metric, string period, string value)
    {
        cmd.Parameters[0].Value = app; cmd.Parameters[1].Value = metric; cmd.Parameters[2].Value = period; cmd.Parameters[3].Value = value;
        if (partitioned?.PeriodStart is { } start)
            cmd.Parameters[4].Value = start(period);
    }

    private static DbCommand Command(DbConnection c, DbTransaction tx, string sql, params string[] parameters)
    {
        var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var name in parameters)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            cmd.Parameters.Add(p);
        }
        return cmd;
    }
}
