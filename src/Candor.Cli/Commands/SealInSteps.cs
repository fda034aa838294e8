using Candor.Collector.Transparency;

namespace Candor.Cli.Commands;

/// <summary>
/// Seals the demo's transparency log in bounded steps while the population runs: one forced seal every
/// <see cref="Every"/> finished installations (a tenth of the population, at most 200), never two at once.
/// A single forced seal after the simulation held every pending entry (about 157,000 leaves for the default
/// population) in memory at once and doubled the demo's peak memory; a step holds what at most 200
/// installations sent.
/// </summary>
internal sealed class SealInSteps(EpochSealer? sealer, int installations, CancellationToken cancellationToken)
{
    private int Every { get; } = Math.Clamp(installations / 10, 1, 200);

    private int _done;
    private int _sealing;
    private Task _step = Task.CompletedTask;

    public void InstallationDone()
    {
        if (sealer is null || Interlocked.Increment(ref _done) % Every != 0)
            return;
        // A step still running when the next is due is skipped: the next one takes both shares.
        if (Interlocked.CompareExchange(ref _sealing, 1, 0) != 0)
            return;
        _step = Task.Run(async () =>
        {
            try { await sealer.SealNowAsync(force: true, cancellationToken); }
            finally { Volatile.Write(ref _sealing, 0); }
        }, cancellationToken);
    }

    /// <summary>Waits for the step under way, if any, so the final seal does not run beside it.</summary>
    public Task DrainAsync() => Volatile.Read(ref _step);
}
