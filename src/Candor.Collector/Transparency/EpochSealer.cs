using System.Security.Cryptography;
using Candor.Collector.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Candor.Collector.Transparency;

/// <summary>
/// Every <see cref="TransparencyOptions.EpochSeconds"/> (on the collector's <see cref="TimeProvider"/>),
/// seals the pending set into the log: when it holds entries from at least
/// <see cref="TransparencyOptions.MinEpochBatches"/> batches, its entries are shuffled with the system
/// CSPRNG, appended as leaves, and a new checkpoint is signed, all in one store transaction. The
/// shuffle is the privacy step: the pending set is stored in commitment order, which is random, but
/// the shuffle must not depend on that (a store that kept arrival order would leak it into the public
/// log, forever); the leaf-order tests attack exactly this.
/// </summary>
public sealed class EpochSealer(IReportStore store, CollectorOptions options, LogSigner signer, TimeProvider time, ILogger<EpochSealer> log,
    Hosting.CollectorMetrics metrics) : BackgroundService
{
    /// <summary>Epochs sealed by this process, for tests and /metrics.</summary>
    public long Epochs => Interlocked.Read(ref _epochs);
    private long _epochs;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        metrics.TrackLog(cancellationToken => store.ReadLogAsync(r => r.CountPending(), cancellationToken));
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Transparency.EpochSeconds), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await SealNowAsync(force: false, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A store outage: the pending set stays as it is and the next tick tries again.
                    metrics.SealFailed();
                    log.LogWarning("Sealing a log epoch failed: {Error}", e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping: a seal is one transaction, nothing is half-done.
        }
    }

    /// <summary>Seals the pending set now; <paramref name="force"/> ignores the minimum number of batches
    /// (tests, and operators closing a quiet log). Returns the new tree size, or null when nothing was sealed.</summary>
    public async Task<long?> SealNowAsync(bool force = false, CancellationToken cancellationToken = default)
    {
        var size = await store.SealEpochAsync(force ? 1 : options.Transparency.MinEpochBatches, Seal, cancellationToken);
        if (size is { } n)
        {
            Interlocked.Increment(ref _epochs);
            metrics.EpochSealed(time.GetUtcNow());
            log.LogInformation("Sealed a log epoch: the log now has {Size} leaves.", n);
        }
        return size;
    }

    internal SealedEpoch Seal(PendingEpoch epoch)
    {
        var leaves = options.Transparency.OrderForTests is { } order ? order(epoch.Entries) : Shuffle(epoch.Entries);
        var tree = new TiledTree(epoch.Reader);
        var append = tree.Append(epoch.Size, leaves);
        return new SealedEpoch(leaves, append, signer.SignCheckpoint(append.NewSize, tree.RootHash(append.NewSize)));
    }

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
