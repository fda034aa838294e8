using System.Globalization;
using System.Text.Json;
using Candor.Client.LocalStore;
using Candor.Protocol;
using Microsoft.Data.Sqlite;

namespace Candor.Client.Transparency;

/// <summary>
/// The receipts in the local store (table <c>receipts</c>): written with their batch when it is sealed,
/// marked sent when the collector accepts it, proved or deleted later. The newest verified checkpoint and
/// a log key trusted on first use live in the <c>state</c> table beside them.
/// </summary>
internal sealed class ReceiptBook(ClientStore store)
{
    /// <summary>The newest checkpoint (signed note) this device verified; every later one must extend it.</summary>
    public const string CheckpointKey = "log_checkpoint";

    /// <summary>The log's verifier key when none was configured and it was trusted on first use.</summary>
    public const string TrustedKeyKey = "log_key_first_use";

    public static void Insert(SqliteConnection c, SqliteTransaction tx, long outboxId, IEnumerable<Receipt> receipts)
    {
        foreach (var r in receipts)
            // A commitment seen before (only after a crash between two seals of one generation) keeps its first receipt.
            ClientStore.Execute(c, tx, """
                INSERT INTO receipts (commitment, nonce, app, metric, period, value, outbox_id) VALUES ($c, $n, $a, $m, $p, $v, $o)
                ON CONFLICT (commitment) DO NOTHING;
                """, ("$c", r.Commitment), ("$n", r.Nonce), ("$a", r.App), ("$m", r.Metric), ("$p", r.Period), ("$v", r.Value), ("$o", outboxId));
    }

    public static void KeepOnly(SqliteConnection c, SqliteTransaction tx, long outboxId, IReadOnlySet<string> commitments)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT commitment FROM receipts WHERE outbox_id = $o;";
        cmd.Parameters.AddWithValue("$o", outboxId);
        var doomed = new List<string>();
        using (var r = cmd.ExecuteReader())
            while (r.Read())
                if (!commitments.Contains(r.GetString(0)))
                    doomed.Add(r.GetString(0));
        foreach (var d in doomed)
            ClientStore.Execute(c, tx, "DELETE FROM receipts WHERE commitment = $c;", ("$c", d));
    }

    /// <summary>The commitments a batch body carries.</summary>
    public static IReadOnlySet<string> CommitmentsIn(byte[] body)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            using var doc = JsonDocument.Parse(body);
            foreach (var r in doc.RootElement.GetProperty("reports").EnumerateArray())
                if (r.TryGetProperty("commitment", out var c) && c.GetString() is { } text)
                    set.Add(text);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException) { }
        return set;
    }

    /// <summary>
    /// The collector accepted the batch: its receipts are released from the outbox and each gets its own
    /// time for a background check, drawn independently (<paramref name="checkAt"/>), so the checks of one
    /// batch never go out together.
    /// </summary>
    public void MarkSent(long outboxId, DateTimeOffset at, Func<DateTimeOffset> checkAt) => store.Use(c =>
    {
        using var tx = c.BeginTransaction();
        var commitments = new List<string>();
        using (var cmd = c.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = "SELECT commitment FROM receipts WHERE outbox_id = $o;";
            cmd.Parameters.AddWithValue("$o", outboxId);
            using var r = cmd.ExecuteReader();
            while (r.Read())
                commitments.Add(r.GetString(0));
        }
        foreach (var commitment in commitments)
            ClientStore.Execute(c, tx, "UPDATE receipts SET outbox_id = NULL, sent_at = $s, check_at = $k WHERE commitment = $c;",
                ("$c", commitment), ("$s", Text(at)), ("$k", Text(checkAt())));
        tx.Commit();
    });

    public List<Receipt> All() => Query("SELECT * FROM receipts ORDER BY period, metric, commitment;");

    /// <summary>The sent receipt whose background check is due first, if any is due at <paramref name="now"/>.</summary>
    public Receipt? NextDue(DateTimeOffset now) =>
        Query("SELECT * FROM receipts WHERE sent_at IS NOT NULL AND check_at IS NOT NULL AND check_at <= $now ORDER BY check_at LIMIT 1;", ("$now", Text(now)))
            .FirstOrDefault();

    public void SetCheckAt(string commitment, DateTimeOffset? at) =>
        store.Use(c => ClientStore.Execute(c, null, "UPDATE receipts SET check_at = $k WHERE commitment = $c;", ("$c", commitment), ("$k", at is { } t ? Text(t) : null)));

    public void MarkIncluded(string commitment, long leafIndex, long treeSize) =>
        store.Use(c => ClientStore.Execute(c, null, "UPDATE receipts SET leaf_index = $i, tree_size = $n WHERE commitment = $c;",
            ("$c", commitment), ("$i", leafIndex), ("$n", treeSize)));

    /// <summary>Marks a receipt deleted once; a second confirmation changes nothing.</summary>
    public void MarkDeleted(string commitment, DateTimeOffset at) =>
        store.Use(c => ClientStore.Execute(c, null, "UPDATE receipts SET deleted_at = $d, check_at = NULL, delete_at = NULL WHERE commitment = $c AND deleted_at IS NULL;",
            ("$c", commitment), ("$d", Text(at))));

    /// <summary>Sets (or, with null, clears) the moment a receipt's deletion request leaves.</summary>
    public void SetDeleteAt(string commitment, DateTimeOffset? at) =>
        store.Use(c => ClientStore.Execute(c, null, "UPDATE receipts SET delete_at = $d WHERE commitment = $c AND deleted_at IS NULL;",
            ("$c", commitment), ("$d", at is { } t ? Text(t) : null)));

    /// <summary>The sent receipt whose scheduled deletion is due first, if any is due at <paramref name="now"/>.</summary>
    public Receipt? NextDeletionDue(DateTimeOffset now) =>
        Query("SELECT * FROM receipts WHERE sent_at IS NOT NULL AND deleted_at IS NULL AND delete_at IS NOT NULL AND delete_at <= $now ORDER BY delete_at LIMIT 1;", ("$now", Text(now)))
            .FirstOrDefault();

    /// <summary>How many deletions wait for their moment.</summary>
    public int DeletionsWaiting() => store.Use(c =>
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM receipts WHERE deleted_at IS NULL AND delete_at IS NOT NULL;";
        return (int)(long)cmd.ExecuteScalar()!;
    });

    /// <summary>
    /// Receipts of periods the collector no longer keeps (ended more than <paramref name="retentionDays"/> ago)
    /// can neither be checked against stored counts nor deleted: they are forgotten, which keeps the table bounded.
    /// </summary>
    public int Prune(DateOnly today, int retentionDays)
    {
        var doomed = All().Where(r => r.SentAt is not null && PeriodKey.TryParse(r.Period, out var p)
            && p.Value.End <= today.AddDays(-retentionDays)).Select(r => r.Commitment).ToList();
        if (doomed.Count > 0)
            store.Use(c =>
            {
                using var tx = c.BeginTransaction();
                foreach (var d in doomed)
                    ClientStore.Execute(c, tx, "DELETE FROM receipts WHERE commitment = $c;", ("$c", d));
                tx.Commit();
            });
        return doomed.Count;
    }

    private List<Receipt> Query(string sql, params (string Name, object Value)[] parameters) => store.Use(c =>
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in parameters)
            cmd.Parameters.AddWithValue(name, value);
        using var r = cmd.ExecuteReader();
        var list = new List<Receipt>();
        while (r.Read())
        {
            // A row another program damaged is skipped: it cannot be checked or deleted, and must not break the rest.
            if (Str(r, "commitment") is not { } commitment || Str(r, "nonce") is not { } nonce || Str(r, "app") is not { } app
                || Str(r, "metric") is not { } metric || Str(r, "period") is not { } period || Str(r, "value") is not { } value)
                continue;
            list.Add(new Receipt(commitment, nonce, app, metric, period, value, Time(r, "sent_at"), Long(r, "leaf_index"), Long(r, "tree_size"), Time(r, "deleted_at")));
        }
        return list;
    });

    private static string? Str(SqliteDataReader r, string column) => r.GetValue(r.GetOrdinal(column)) as string;

    private static long? Long(SqliteDataReader r, string column) => r.GetValue(r.GetOrdinal(column)) is long n ? n : null;

    private static DateTimeOffset? Time(SqliteDataReader r, string column) =>
        Str(r, column) is { } s && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.None, out var t) ? t : null;

    private static string Text(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
}
