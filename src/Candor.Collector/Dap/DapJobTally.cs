using System.Data.Common;
using System.Security.Cryptography;
using Candor.Dap;

namespace Candor.Collector.Dap;

/// <summary>
/// One aggregation job's outcomes summed in memory before they are written: per time-precision bucket the
/// output shares' sum, the report count and the checksum, and per cause the rejections. The job's
/// transaction then reads and writes each bucket and each cause once, not once per report: with a
/// read-modify-write of the bucket's aggregate and an upsert per report, the database was most of an
/// aggregation job's cost (docs/benchmarks.md, "DAP"). Whether a bucket is collected is asked once per job
/// too, inside the same transaction, so the answer cannot change before the job's writes land.
/// </summary>
internal sealed class DapJobTally(byte[] task, DapVdaf vdaf, bool postgres)
{
    private readonly Dictionary<ulong, Bucket> _buckets = [];
    private readonly Dictionary<ulong, bool> _collected = [];
    private readonly Dictionary<PrepareError, long> _rejections = [];

    private sealed class Bucket(byte[] aggregate)
    {
        public byte[] Aggregate = aggregate;
        public readonly byte[] Checksum = new byte[AggregateShareReq.ChecksumSize];
        public long Reports;
    }

    /// <summary>Adds a prepared report, or counts its rejection; returns the final outcome (null: aggregated).</summary>
    public async Task<PrepareError?> AddAsync(DbConnection c, DbTransaction tx, DapStore.Prepared outcome, PrepareError? rejected)
    {
        if (rejected is null)
        {
            if (!_collected.TryGetValue(outcome.Bucket, out var collected))
                _collected[outcome.Bucket] = collected = await DapStore.IsCollectedAsync(c, tx, task, outcome.Bucket);
            if (collected)
                rejected = PrepareError.BatchCollected;
        }
        if (rejected is { } cause)
        {
            _rejections[cause] = _rejections.GetValueOrDefault(cause) + 1;
            return cause;
        }
        if (!_buckets.TryGetValue(outcome.Bucket, out var bucket))
            _buckets[outcome.Bucket] = bucket = new Bucket(vdaf.EmptyAggregate());
        bucket.Aggregate = vdaf.Add(bucket.Aggregate, outcome.OutputShare!);
        bucket.Reports++;
        // DAP-09's batch checksum: the XOR of SHA-256 of every aggregated report id, so the Helper can tell
        // whether both aggregators summed the same reports without either listing them.
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(outcome.Report, hash);
        for (var i = 0; i < hash.Length; i++)
            bucket.Checksum[i] ^= hash[i];
        return null;
    }

    /// <summary>Writes the sums into the stored buckets and counts, once each.</summary>
    public async Task WriteAsync(DbConnection c, DbTransaction tx)
    {
        foreach (var (number, bucket) in _buckets)
        {
            byte[] aggregate = bucket.Aggregate, checksum = bucket.Checksum;
            var reports = bucket.Reports;
            // Row lock for the read-modify-write on PostgreSQL; SQLite's write transaction already holds the database.
            await using (var read = DapStore.Command(c, tx, "SELECT aggregate, reports, checksum FROM dap_batch_shares WHERE task = @t AND bucket = @b" + (postgres ? " FOR UPDATE;" : ";"),
                ("t", task), ("b", (long)number)))
            await using (var r = await read.ExecuteReaderAsync())
            {
                if (await r.ReadAsync())
                {
                    aggregate = vdaf.Add((byte[])r[0], aggregate);
                    reports += r.GetInt64(1);
                    var stored = (byte[])r[2];
                    for (var i = 0; i < checksum.Length; i++)
                        checksum[i] ^= stored[i];
                }
            }
            await DapStore.Exec(c, tx, """
                INSERT INTO dap_batch_shares (task, bucket, aggregate, reports, checksum) VALUES (@t, @b, @a, @n, @c)
                ON CONFLICT (task, bucket) DO UPDATE SET aggregate = excluded.aggregate, reports = excluded.reports, checksum = excluded.checksum;
                """, ("t", task), ("b", (long)number), ("a", aggregate), ("n", reports), ("c", checksum));
        }
        foreach (var (cause, count) in _rejections)
            await DapStore.Exec(c, tx, """
                INSERT INTO dap_rejections (task, cause, reports) VALUES (@t, @c, @n)
                ON CONFLICT (task, cause) DO UPDATE SET reports = dap_rejections.reports + excluded.reports;
                """, ("t", task), ("c", DapStore.CauseName(cause)), ("n", count));
    }
}
