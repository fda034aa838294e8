using System.Globalization;
using Candor.Client.LocalStore;
using Candor.Client.Reporting;
using Candor.Client.Transparency;
using Microsoft.Data.Sqlite;

namespace Candor.Client.Outbox;

/// <summary>
/// Batches waiting to be sent, in the local store. Like Sentry's CachingTransport: a batch stays until
/// the collector acknowledges it, so a crash while sending leaves it here to be retried with the same
/// bytes and key. Bounded: at most <c>maxBatches</c>, and nothing the collector would refuse as too old;
/// the oldest goes first, and every drop is written to the local log.
/// </summary>
internal sealed class PendingOutbox(ClientStore store, int maxBatches, int retentionDays)
{
    /// <summary>
    /// Stores new batches with the receipts of their reports and deletes the observations they were built
    /// from, in one transaction: the data is either still observations or already a batch, never both
    /// (counted twice) nor neither (lost), and no batch is ever sent without the receipts that let the user
    /// check and delete it. The commitment nonces' generation moves on in the same transaction, so the next
    /// seal never reuses a nonce.
    /// </summary>
    public void Seal(IReadOnlyList<(byte[] Body, DateOnly OldestPeriodEnd)> batches, IReadOnlyList<Observation> consumed,
        IReadOnlyList<IReadOnlyList<Receipt>>? receipts = null, long? nextNonceGeneration = null) => store.Use(c =>
    {
        using var tx = c.BeginTransaction();
        for (int i = 0; i < batches.Count; i++)
        {
            var (body, oldest) = batches[i];
            ClientStore.Execute(c, tx, "INSERT INTO outbox (idempotency_key, body, oldest_period_end) VALUES ($k, $b, $o);",
                ("$k", Guid.NewGuid().ToString("n")), ("$b", body), ("$o", oldest.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)));
            if (receipts is not null && i < receipts.Count && receipts[i].Count > 0)
                ReceiptBook.Insert(c, tx, LastId(c, tx), receipts[i]);
        }
        if (nextNonceGeneration is { } generation)
            ClientStore.Execute(c, tx, "INSERT INTO state (key, value) VALUES ($k, $v) ON CONFLICT (key) DO UPDATE SET value = excluded.value;",
                ("$k", CommitmentNonces.GenerationKey), ("$v", generation.ToString(CultureInfo.InvariantCulture)));
        foreach (var o in consumed)
            ClientStore.Execute(c, tx, "DELETE FROM observations WHERE metric = $m AND period = $p AND item = $i;", ("$m", o.Metric), ("$p", o.Period), ("$i", o.Item));
        tx.Commit();
    });

    /// <summary>
    /// The batches waiting, oldest first. A row that does not read back as a batch (a bad date, a missing
    /// body: another program or a disk error wrote it) is deleted and logged here, where it is found: left
    /// in place it would make every upload, <c>Status()</c> and <c>Pending()</c> fail for ever.
    /// </summary>
    public List<OutboxBatch> Pending()
    {
        var (list, damaged) = store.Use(c =>
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT id, idempotency_key, body, oldest_period_end, attempts, send_after, split_from FROM outbox ORDER BY id;";
            using var r = cmd.ExecuteReader();
            var list = new List<OutboxBatch>();
            var damaged = new List<(long Id, string Reason)>();
            while (r.Read())
            {
                long id = r.GetInt64(0);
                if (Read(r) is { } batch)
                    list.Add(batch);
                else
                    damaged.Add((id, Describe(r)));
            }
            return (list, damaged);
        });
        foreach (var (id, reason) in damaged)
        {
            Remove(id);
            store.Log(store.Now(), $"Dropped a damaged pending batch that could not be read ({reason}).");
        }
        return list;
    }

    private static OutboxBatch? Read(SqliteDataReader r)
    {
        if (r.GetValue(1) is not string key || key.Length == 0 || r.GetValue(2) is not byte[] body
            || r.GetValue(3) is not string end
            || !DateOnly.TryParseExact(end, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var oldest)
            || r.GetValue(4) is not long attempts)
            return null;
        DateTimeOffset? sendAfter = r.GetValue(5) is string text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at) ? at : null;
        return new(r.GetInt64(0), key, body, oldest, (int)Math.Clamp(attempts, 0, int.MaxValue))
        {
            SendAfter = sendAfter,
            SplitFrom = r.GetValue(6) as string,
        };
    }

    /// <summary>
    /// Split uploads: replaces every batch never attempted by one single-report batch per report, each with
    /// its key derived from the batch's (<see cref="ReportSplitter"/>) and its own send time from
    /// <paramref name="sendTime"/> (given the report's period end), in one transaction. A batch that was
    /// attempted stays whole: the collector may have stored it under its key, and its reports sent again
    /// under other keys would be counted twice. Returns how many batches were split.
    /// </summary>
    public int Split(Func<DateOnly, DateTimeOffset> sendTime)
    {
        var whole = Pending().Where(b => b.Attempts == 0 && b.SplitFrom is null).ToList();
        var parts = new List<(OutboxBatch Batch, List<SplitItem> Items)>();
        foreach (var batch in whole)
        {
            try
            {
                if (ReportSplitter.Split(batch.Body, batch.IdempotencyKey) is { Count: > 0 } items)
                    parts.Add((batch, items)); // an empty batch stays as it is: splitting it would delete it unseen
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException)
            {
                // Not a batch any more (another program wrote it): it stays whole, and the collector's answer decides.
            }
        }
        if (parts.Count == 0)
            return 0;
        store.Use(c =>
        {
            using var tx = c.BeginTransaction();
            foreach (var (batch, items) in parts)
            {
                foreach (var item in items)
                {
                    ClientStore.Execute(c, tx, "INSERT INTO outbox (idempotency_key, body, oldest_period_end, send_after, split_from) VALUES ($k, $b, $o, $s, $f);",
                        ("$k", item.IdempotencyKey), ("$b", item.Body),
                        ("$o", (item.PeriodEnd == DateOnly.MinValue ? batch.OldestPeriodEnd : item.PeriodEnd).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
                        ("$s", sendTime(item.PeriodEnd == DateOnly.MinValue ? batch.OldestPeriodEnd : item.PeriodEnd).ToString("O", CultureInfo.InvariantCulture)),
                        ("$f", batch.IdempotencyKey));
                    // The part carries its report's commitment unchanged; its receipt now waits with the part,
                    // so it is marked sent when that part is accepted (and goes if the part is dropped).
                    long part = LastId(c, tx);
                    foreach (var commitment in ReceiptBook.CommitmentsIn(item.Body))
                        ClientStore.Execute(c, tx, "UPDATE receipts SET outbox_id = $p WHERE outbox_id = $b AND commitment = $c;",
                            ("$p", part), ("$b", batch.Id), ("$c", commitment));
                }
                ClientStore.Execute(c, tx, "DELETE FROM outbox WHERE id = $id;", ("$id", batch.Id));
            }
            tx.Commit();
        });
        return parts.Count;
    }

    /// <summary>Split uploads: when this part is tried next (after a failure, its own backoff).</summary>
    public void SetSendAfter(long id, DateTimeOffset at) =>
        store.Use(c => ClientStore.Execute(c, null, "UPDATE outbox SET send_after = $s WHERE id = $id;",
            ("$id", id), ("$s", at.ToString("O", CultureInfo.InvariantCulture))));

    private static string Describe(SqliteDataReader r) =>
        r.GetValue(3) is string end && !DateOnly.TryParseExact(end, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
            ? "its period end is not a date"
            : "a field is missing or of the wrong type";

    public void MarkAttempt(long id) =>
        store.Use(c => ClientStore.Execute(c, null, "UPDATE outbox SET attempts = attempts + 1 WHERE id = $id;", ("$id", id)));

    private static long LastId(SqliteConnection c, SqliteTransaction tx)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT last_insert_rowid();";
        return (long)cmd.ExecuteScalar()!;
    }

    /// <summary>Removes a batch and the receipts still tied to it (an accepted batch's receipts were released first by <see cref="ReceiptBook.MarkSent"/>).</summary>
    public void Remove(long id) =>
        store.Use(c => ClientStore.Execute(c, null, "DELETE FROM outbox WHERE id = $id; DELETE FROM receipts WHERE outbox_id = $id;", ("$id", id)));

    /// <summary>
    /// Replaces a batch by a new one (a new key: it is a different body), e.g. after the user switched a
    /// category off. The reports kept carry their commitments unchanged; the receipts of the reports taken
    /// out go with them, since those reports will never be sent.
    /// </summary>
    public void Replace(long id, byte[]? body) => store.Use(c =>
    {
        using var tx = c.BeginTransaction();
        if (body is null)
            ClientStore.Execute(c, tx, "DELETE FROM outbox WHERE id = $id; DELETE FROM receipts WHERE outbox_id = $id;", ("$id", id));
        else
        {
            ClientStore.Execute(c, tx, "UPDATE outbox SET body = $b, idempotency_key = $k, attempts = 0 WHERE id = $id;",
                ("$id", id), ("$b", body), ("$k", Guid.NewGuid().ToString("n")));
            ReceiptBook.KeepOnly(c, tx, id, ReceiptBook.CommitmentsIn(body));
        }
        tx.Commit();
    });

    /// <summary>Drops batches the collector would refuse as too old, then the oldest beyond the limit; logs each drop.</summary>
    public int EnforceLimits(DateTimeOffset now)
    {
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        int dropped = 0;
        var pending = Pending();
        foreach (var b in pending.Where(b => ReportingWindow.TooOld(b.OldestPeriodEnd, today, retentionDays)).ToList())
        {
            Remove(b.Id);
            pending.Remove(b);
            store.Log(now, $"Dropped a pending batch: its oldest period ended {b.OldestPeriodEnd:yyyy-MM-dd}, more than {retentionDays} days ago, and the collector would refuse it.");
            dropped++;
        }
        // The parts of one split batch count as the batch they came from: splitting must not make the
        // limit drop a week's reports that a whole batch would have kept.
        var groups = pending.GroupBy(b => b.SplitFrom ?? "#" + b.Id.ToString(CultureInfo.InvariantCulture)).ToList();
        while (groups.Count > maxBatches)
        {
            var oldest = groups[0];
            foreach (var b in oldest)
                Remove(b.Id);
            groups.RemoveAt(0);
            store.Log(now, $"Dropped the oldest pending batch (oldest period ended {oldest.Min(b => b.OldestPeriodEnd):yyyy-MM-dd}): the outbox holds at most {maxBatches} batches.");
            dropped++;
        }
        return dropped;
    }
}
