using System.Security.Cryptography;
using Candor.Collector.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Candor.Collector.Transparency;

/// <summary>
/// Every <see cref="TransparencyOptions.EpochSeconds"/> (on the collector's <see cref="TimeProvider"/>),
/// seals an epoch: when at least <see cref="TransparencyOptions.MinEpochBatches"/> batches arrived since
/// the last one, the entries that are due are shuffled with the system CSPRNG, appended as leaves, and a
/// new checkpoint is signed, all in one store transaction. Two privacy steps:
/// - which entries are due: each entry lands in one of the <see cref="TransparencyOptions.EpochSpread"/>
///   (K) epochs after its arrival, uniformly and independently of every other entry (<see cref="IsDue"/>),
///   so epoch membership does not say which reports came in one batch (the epoch join: with a
///   batch sealed whole, every planted installation's reports shared one epoch);
/// - the shuffle: the pending set is stored in commitment order, which is random, but the shuffle must not
///   depend on that (a store that kept arrival order would leak it into the public log, forever).
/// The privacy tests attack both (Transparency/EpochJoinTests, Transparency/PlantedLeavesTests).
/// </summary>
internal sealed class EpochSealer(ILogStore store, CollectorOptions options, LogSigner signer, TimeProvider time, ILogger<EpochSealer> log,
    Hosting.CollectorMetrics metrics) : BackgroundService
{
    /// <summary>Epochs sealed by this process, for tests and /metrics.</summary>
    public long Epochs => Interlocked.Read(ref _epochs);
    private long _epochs;

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        metrics.TrackLog(cancellationToken => store.ReadLogAsync(r => r.CountPending(), cancellationToken));
        // A store outage leaves the pending set as it is, and the next tick tries again.
        return Hosting.PeriodicJob.RunAsync(TimeSpan.FromSeconds(options.Transparency.EpochSeconds), time, runAtStart: false,
            cancellationToken => SealNowAsync(force: false, cancellationToken),
            e =>
            {
                metrics.SealFailed();
                log.LogWarning("Sealing a log epoch failed: {Error}", e.Message);
            }, stoppingToken);
    }

    /// <summary>Seals an epoch now; <paramref name="force"/> ignores the minimum number of batches and seals every
    /// pending entry, due or not (tests, and operators closing a quiet log). Returns the new tree size, or null
    /// when nothing was sealed.</summary>
    public async Task<long?> SealNowAsync(bool force = false, CancellationToken cancellationToken = default)
    {
        var size = await store.SealEpochAsync(force ? 1 : options.Transparency.MinEpochBatches, epoch => Seal(epoch, flush: force), cancellationToken);
        if (size is { } n)
        {
            Interlocked.Increment(ref _epochs);
            metrics.EpochSealed(time.GetUtcNow());
            log.LogInformation("Sealed a log epoch: the log now has {Size} leaves.", n);
        }
        return size;
    }

    internal SealedEpoch Seal(PendingEpoch epoch, bool flush = false)
    {
        var due = flush || epoch.Ages is null ? epoch.Entries : Due(epoch.Entries, epoch.Ages, options.Transparency.EpochSpread);
        if (due.Count == 0)
            return SealedEpoch.None;
        var leaves = options.Transparency.OrderForTests is { } order ? order(due) : Shuffle(due);
        var tree = new TiledTree(epoch.Reader);
        var append = tree.Append(epoch.Size, leaves);
        return new SealedEpoch(leaves, append, signer.SignCheckpoint(append.NewSize, tree.RootHash(append.NewSize)));
    }

    /// <summary>The entries due in this epoch, each decided on its own (<see cref="IsDue"/>).</summary>
    internal static List<byte[]> Due(IReadOnlyList<byte[]> entries, IReadOnlyList<long> ages, int spread)
    {
        var due = new List<byte[]>();
        for (int i = 0; i < entries.Count; i++)
            if (IsDue(ages[i], spread))
                due.Add(entries[i]);
        return due;
    }

    /// <summary>
    /// Whether an entry that arrived <paramref name="age"/> epochs ago goes into this one: with probability
    /// 1/(K - age), and surely at age K-1. Over its life that lands it in each of the K epochs from its arrival
    /// with probability exactly 1/K (the hazard of the uniform distribution), drawn with the CSPRNG at
    /// sealing time, so nothing stored beforehand says which epoch an entry will be in.
    /// </summary>
    internal static bool IsDue(long age, int spread) =>
        age >= spread - 1 || RandomNumberGenerator.GetInt32((int)(spread - age)) == 0;

    /// <summary>Fisher-Yates with <see cref="RandomNumberGenerator.GetInt32(int)"/>: every order equally likely, and
    /// unpredictable, so nobody can undo it from the order the entries came in.</summary>
    internal static byte[][] Shuffle(IReadOnlyList<byte[]> entries)
    {
        var leaves = entries.ToArray();
        for (int i = leaves.Length - 1; i > 0; i--)
        {
            int j = RandomNumberGenerator.GetInt32(i + 1);
            (leaves[i], leaves[j]) = (leaves[j], leaves[i]);
        }
        return leaves;
    }
}
