using System.Globalization;
using Candor.Client.Consent;
using Candor.Client.LocalStore;
using Candor.Client.Outbox;
using Candor.Client.Recording;
using Candor.Client.Transparency;

namespace Candor.Client.Upload;

/// <summary>
/// Runs upload cycles (docs/client.md, Uploads): the local checks, then the <see cref="IUploadStrategy"/>
/// seals and picks what is due, and the <see cref="OutboxSender"/> sends it. Local work happens under
/// the client's local lock; every request goes out with no lock held, so the app's own calls
/// (<c>Show()</c>, a "no") never wait for the network. One cycle runs at a time; a consent withdrawal
/// or disposal cancels the request in flight. The schedule lives in the local store, so a restart
/// neither cuts a wait short nor forgets a backoff.
/// </summary>
internal sealed class UploadWorker
{
    public const string NextAttemptKey = "next_attempt_at";
    public const string FailuresKey = "failures";

    /// <summary>The status of a cycle that could not use the local store (a full disk); the next cycle tries again.</summary>
    public const string LocalStoreUnavailable = "local store unavailable";

    private readonly ConsentGate _consent;
    private readonly RecordingFlusher _flusher;
    private readonly IUploadStrategy _strategy;
    private readonly OutboxSender? _sender;
    private readonly PendingOutbox _outbox;
    private readonly ReceiptBook _receipts;
    private readonly DeferredErasure _erasures;
    private readonly ClientStore _store;
    private readonly CandorClientOptions _options;
    private readonly Lock _local;
    private readonly SemaphoreSlim _oneCycle = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private CancellationTokenSource? _inFlight;

    /// <param name="sender">Null without a collector: cycles then only say so.</param>
    public UploadWorker(ConsentGate consent, RecordingFlusher flusher, IUploadStrategy strategy, OutboxSender? sender, PendingOutbox outbox,
        ReceiptBook receipts, DeferredErasure erasures, ClientStore store, CandorClientOptions options, Lock local)
    {
        (_consent, _flusher, _strategy, _sender, _outbox) = (consent, flusher, strategy, sender, outbox);
        (_receipts, _erasures, _store, _options, _local) = (receipts, erasures, store, options, local);
        consent.Withdrawn += OnConsentWithdrawn;
    }

    /// <summary>Cancelled when the client is disposed; background work links to it.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>The next upload; with split uploads, the earliest send time of a pending part.</summary>
    public DateTimeOffset? NextAttempt => _strategy.NextAttempt;

    public int Failures =>
        _store.GetState(FailuresKey) is { } s && int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;

    public async Task<UploadCycle> RunAsync(CancellationToken cancel)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancel, _stopping.Token);
        try
        {
            await _oneCycle.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            return new UploadCycle("cancelled", 0, 0, 0, null);
        }
        try
        {
            Volatile.Write(ref _inFlight, linked);
            return await RunCycleAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            // Disposal or a "no" stopped the request; the batch stays (or was erased by the "no").
            return new UploadCycle("cancelled", 0, 0, _outbox.Pending().Count, NextAttempt);
        }
        finally
        {
            Volatile.Write(ref _inFlight, null);
            _oneCycle.Release();
        }
    }

    private async Task<UploadCycle> RunCycleAsync(CancellationToken cancel)
    {
        UploadPlan plan;
        lock (_local)
        {
            _flusher.Flush();
            if (!_consent.IsGranted)
                return new UploadCycle("consent not granted", 0, 0, 0, null);
            // An erase or a switch-off the full disk refused is still owed: nothing leaves until it went through.
            if (_erasures.Owed)
                return new UploadCycle(LocalStoreUnavailable, 0, 0, 0, null);
            if (_sender is null)
                return new UploadCycle("no collector configured", 0, 0, _outbox.Pending().Count, null);
            var now = _options.TimeProvider.GetUtcNow();
            int dropped = _outbox.EnforceLimits(now);
            // Receipts of periods the collector no longer keeps can neither be checked nor deleted: forget them.
            _receipts.Prune(DateOnly.FromDateTime(now.UtcDateTime), _options.RetentionDays);
            plan = _strategy.Prepare(now, dropped);
            if (plan.Done is { } done)
                return done;
        }
        return await _sender.SendAsync(plan.Due, _strategy, plan.Dropped, cancel).ConfigureAwait(false);
    }

    /// <summary>A collector's hint for the next upload (<see cref="IUploadStrategy.Hint"/>).</summary>
    public DateTimeOffset? Hint(TimeSpan hint)
    {
        lock (_local)
            return _strategy.Hint(hint);
    }

    /// <summary>Nothing is pending any more: forget the schedule, and stop a request in flight (its batch was just erased).</summary>
    private void OnConsentWithdrawn()
    {
        // Stop first: on a full disk the state writes below throw, and the request must stop regardless.
        if (Volatile.Read(ref _inFlight) is { } inFlight)
            // Asynchronously: the request's continuations must not run inline on the caller's thread, inside the lock.
            _ = CancelQuietlyAsync(inFlight);
        _store.SetState(NextAttemptKey, null);
        _store.SetState(FailuresKey, null);
    }

    private static async Task CancelQuietlyAsync(CancellationTokenSource source)
    {
        try { await source.CancelAsync().ConfigureAwait(false); }
        catch (ObjectDisposedException) { /* the cycle ended meanwhile: nothing to stop */ }
    }

    /// <summary>Cancels the cycle in flight and waits for it to end, at most <paramref name="bound"/>.</summary>
    public async Task StopAsync(TimeSpan bound)
    {
        if (!_stopping.IsCancellationRequested)
            await _stopping.CancelAsync().ConfigureAwait(false);
        if (await _oneCycle.WaitAsync(bound).ConfigureAwait(false))
            _oneCycle.Release();
    }
}
