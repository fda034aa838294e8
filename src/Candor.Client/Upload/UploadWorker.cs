using System.Globalization;
using Candor.Client.Consent;
using Candor.Client.Outbox;
using Candor.Client.Recording;
using Candor.Client.Reporting;
using Candor.Client.Transparency;
using Candor.Client.Transport;
using Candor.Protocol;
using Microsoft.Extensions.Logging;

namespace Candor.Client.Upload;

/// <summary>
/// Seals closed periods into the outbox and sends it (docs/client.md, Uploads). Local work happens under
/// <see cref="ClientContext.Local"/>; every request goes out with no lock held, so the app's own calls
/// (<c>Show()</c>, a "no") never wait for the network. One cycle runs at a time; a consent withdrawal
/// or disposal cancels the request in flight. The schedule lives in the local store, so a restart
/// neither cuts a wait short nor forgets a backoff.
/// </summary>
internal sealed class UploadWorker
{
    public const string NextAttemptKey = "next_attempt_at";
    public const string FailuresKey = "failures";

    private readonly ClientContext _context;
    private readonly ConsentGate _consent;
    private readonly RecordingFlusher _flusher;
    private readonly Func<ReportBuilder> _builder;
    private readonly Uploader? _uploader;
    private readonly DapReportSender? _splitTrust;
    private readonly ReceiptBook _receipts;
    private readonly SemaphoreSlim _oneCycle = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private CancellationTokenSource? _inFlight;

    public UploadWorker(ClientContext context, ConsentGate consent, RecordingFlusher flusher, Func<ReportBuilder> builder, ClientTransport? transport)
    {
        _context = context;
        _consent = consent;
        _flusher = flusher;
        _builder = builder;
        _uploader = transport is null ? null : new Uploader(transport, context.Registry.App);
        _splitTrust = transport is not null && DapReportSender.Needed(context.Registry) ? new DapReportSender(context, transport) : null;
        _receipts = new ReceiptBook(context.Store);
        consent.Withdrawn += OnConsentWithdrawn;
    }

    /// <summary>Cancelled when the client is disposed; background work links to it.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>The next upload; with split uploads, the earliest send time of a pending part.</summary>
    public DateTimeOffset? NextAttempt => _context.Options.EffectiveSplitUploads
        ? _context.Outbox.Pending().Min(b => (DateTimeOffset?)(b.SendAfter ?? _context.Time.GetUtcNow()))
        : _context.Store.GetTime(NextAttemptKey);

    public int Failures =>
        _context.Store.GetState(FailuresKey) is { } s && int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;

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
            return new UploadCycle("cancelled", 0, 0, _context.Outbox.Pending().Count, NextAttempt);
        }
        finally
        {
            Volatile.Write(ref _inFlight, null);
            _oneCycle.Release();
        }
    }

    private async Task<UploadCycle> RunCycleAsync(CancellationToken cancel)
    {
        var options = _context.Options;
        int dropped;
        List<OutboxBatch> pending;
        lock (_context.Local)
        {
            _flusher.Flush();
            if (!_consent.IsGranted)
                return new UploadCycle("consent not granted", 0, 0, 0, null);
            // An erase or a switch-off the full disk refused is still owed: nothing leaves until it went through.
            if (_context.Erasures.Owed)
                return new UploadCycle(LocalStoreUnavailable, 0, 0, 0, null);
            if (_uploader is null)
                return new UploadCycle("no collector configured", 0, 0, _context.Outbox.Pending().Count, null);
            var now = _context.Time.GetUtcNow();
            var today = DateOnly.FromDateTime(now.UtcDateTime);
            dropped = _context.Outbox.EnforceLimits(now);
            // Receipts of periods the collector no longer keeps can neither be checked nor deleted: forget them.
            _receipts.Prune(today, options.RetentionDays);
            if (options.EffectiveSplitUploads)
            {
                // Sealing is local: closed periods are split at once, and each part waits for its own moment.
                var splitBuilder = _builder();
                var closed = splitBuilder.Build(_context.Store.Observations(), today, includeOpenPeriods: options.DevelopmentUploads);
                if (closed.Consumed.Count > 0)
                {
                    _context.Outbox.Seal(closed.Batches, closed.Consumed, closed.Receipts, splitBuilder.NextNonceGeneration);
                    _flusher.Sealed(closed.Consumed, today);
                }
                _context.Outbox.Split(periodEnd => SplitSendTime(periodEnd, now));
                dropped += _context.Outbox.EnforceLimits(now);
                var all = _context.Outbox.Pending();
                pending = all.Where(b => (b.SendAfter ?? now) <= now).OrderBy(b => b.SendAfter ?? now).ThenBy(b => b.Id).ToList();
                if (pending.Count == 0)
                    return new UploadCycle(all.Count == 0 ? "nothing to send yet" : "not due", 0, dropped, all.Count, NextAttempt);
            }
            else
            {
                var next = NextAttempt;
                if (options.DevelopmentUploads)
                    next = now; // a loopback collector only (checked by the options validator): no wait, no jitter
                else if (next is null)
                {
                    var firstClosed = _context.Store.Observations()
                        .Select(o => PeriodKey.TryParse(o.Period, out var p) ? p.Value.End : (DateOnly?)null)
                        .Where(e => e is { } end && end <= today).Min();
                    if (firstClosed is null && _context.Outbox.Pending().Count == 0)
                        return new UploadCycle("nothing to send yet", 0, dropped, 0, null);
                    var from = firstClosed is { } f ? new DateTimeOffset(f.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) : now;
                    next = from + UploadSchedule.Between(options.FirstUploadDelayMin, options.FirstUploadDelayMax, options.Random);
                    _context.Store.SetTime(NextAttemptKey, next);
                }
                if (now < next)
                    return new UploadCycle("not due", 0, dropped, _context.Outbox.Pending().Count, next);

                var builder = _builder();
                var built = builder.Build(_context.Store.Observations(), today, includeOpenPeriods: options.DevelopmentUploads);
                if (built.Consumed.Count > 0)
                {
                    _context.Outbox.Seal(built.Batches, built.Consumed, built.Receipts, builder.NextNonceGeneration);
                    _flusher.Sealed(built.Consumed, today);
                }
                dropped += _context.Outbox.EnforceLimits(now);
                pending = _context.Outbox.Pending();
            }
        }

        bool split = options.EffectiveSplitUploads;
        int sent = 0;
        foreach (var snapshot in pending)
        {
            OutboxBatch batch;
            lock (_context.Local)
            {
                // A "no" or a switched-off category may have erased or rewritten the batch since the snapshot.
                if (!_consent.IsGranted)
                    return new UploadCycle("consent not granted", sent, dropped, 0, null);
                if (_context.Erasures.Owed)
                    return new UploadCycle(LocalStoreUnavailable, sent, dropped, 0, null);
                if (_context.Outbox.Pending().FirstOrDefault(b => b.Id == snapshot.Id) is not { } current)
                    continue;
                // The last look before the batch leaves: a report of a metric or category switched off since it was
                // sealed never goes, whether or not the switch-off managed to rewrite the outbox (a full disk, an exit).
                var kept = AllowedReports.Filter(current.Body, IsAllowed);
                if (kept.Changed)
                {
                    // On a full disk the rewrite throws: the cycle ends and nothing is sent, never the unfiltered batch.
                    _context.Outbox.Replace(current.Id, kept.Body);
                    _context.Log(kept.Damaged
                        ? "Dropped a damaged pending batch that could not be read, just before sending it."
                        : $"Left {kept.Removed} report(s) out of a pending batch just before sending it: their metric or category was switched off after the batch was sealed.",
                        LogLevel.Warning);
                    if (kept.Body is null || _context.Outbox.Pending().FirstOrDefault(b => b.Id == current.Id) is not { } rewritten)
                        continue;
                    current = rewritten;
                }
                batch = current;
                _context.Outbox.MarkAttempt(batch.Id);
            }
            UploadOutcome outcome;
            try
            {
                outcome = _splitTrust is null
                    ? await _uploader.SendAsync(batch, cancel).ConfigureAwait(false)
                    : await _splitTrust.SendAsync(batch, _uploader.SendAsync, cancel).ConfigureAwait(false);
            }
            catch (Exception e) when (RetryPolicy.IsRetryable(e) && !cancel.IsCancellationRequested)
            {
                outcome = new UploadOutcome(UploadResult.Retry, $"the answer was cut off ({e.GetType().Name})");
            }
            lock (_context.Local)
            {
                var now = _context.Time.GetUtcNow();
                switch (outcome.Result)
                {
                    case UploadResult.Accepted when split:
                        // The collector's hint is not asked for: each part's moment was drawn on the device.
                        _receipts.MarkSent(batch.Id, now, () => now + options.LogMissingAfter + UploadSchedule.Between(TimeSpan.Zero, options.LogCheckWindow, options.Random));
                        _context.Outbox.Remove(batch.Id);
                        _context.Store.RecordSent(now, batch.Body, outcome.Accepted);
                        sent++;
                        break;
                    case UploadResult.Accepted:
                        // Receipts first: a crash before Remove resends the batch, which the collector replays.
                        _receipts.MarkSent(batch.Id, now, () => now + options.LogMissingAfter + UploadSchedule.Between(TimeSpan.Zero, options.LogCheckWindow, options.Random));
                        _context.Outbox.Remove(batch.Id);
                        _context.Store.RecordSent(now, batch.Body, outcome.Accepted);
                        _context.Store.SetState(FailuresKey, null);
                        _context.Store.SetTime(NextAttemptKey, UploadSchedule.After(now, outcome.NextReportAfter, options));
                        sent++;
                        break;
                    case UploadResult.Dropped:
                        _context.Outbox.Remove(batch.Id);
                        _context.Log($"Dropped a batch the collector refused for good: {outcome.Reason}", LogLevel.Warning,
                            $"Dropped a batch the collector refused for good: {outcome.Summary ?? "refused"}");
                        dropped++;
                        break;
                    case UploadResult.Retry when split:
                        // Each part backs off on its own, so parts that failed together do not come back together.
                        var partRetryAt = now + RetryPolicy.Delay(batch.Attempts + 1, options.InitialBackoff, options.MaxBackoff, outcome.RetryAfter, options.Random);
                        _context.Outbox.SetSendAfter(batch.Id, partRetryAt);
                        _context.Log($"Upload of one report failed, retrying after {partRetryAt:yyyy-MM-dd HH:mm} UTC: {outcome.Reason}", LogLevel.Warning,
                            $"Upload of one report failed, retrying after {partRetryAt:yyyy-MM-dd HH:mm} UTC: {outcome.Summary ?? "no answer"}");
                        return new UploadCycle("retrying later", sent, dropped, _context.Outbox.Pending().Count, NextAttempt);
                    case UploadResult.Retry:
                        int failures = Failures + 1;
                        _context.Store.SetState(FailuresKey, failures.ToString(CultureInfo.InvariantCulture));
                        var retryAt = now + RetryPolicy.Delay(failures, options.InitialBackoff, options.MaxBackoff, outcome.RetryAfter, options.Random);
                        _context.Store.SetTime(NextAttemptKey, retryAt);
                        _context.Log($"Upload failed, retrying after {retryAt:yyyy-MM-dd HH:mm} UTC: {outcome.Reason}", LogLevel.Warning,
                            $"Upload failed, retrying after {retryAt:yyyy-MM-dd HH:mm} UTC: {outcome.Summary ?? "no answer"}");
                        return new UploadCycle("retrying later", sent, dropped, _context.Outbox.Pending().Count, retryAt);
                }
            }
        }
        lock (_context.Local)
        {
            if (split)
                return new UploadCycle(sent > 0 ? "sent" : "nothing to send", sent, dropped, _context.Outbox.Pending().Count, NextAttempt);
            if (sent == 0)
                _context.Store.SetTime(NextAttemptKey, null); // nothing was due to leave: the next closed period starts a fresh random wait
            else
                _context.Logger.LogInformation("Candor sent {Batches} batch(es) of reports.", sent);
            return new UploadCycle(sent > 0 ? "sent" : "nothing to send", sent, dropped, _context.Outbox.Pending().Count, NextAttempt);
        }
    }

    /// <summary>The status of a cycle that could not use the local store (a full disk); the next cycle tries again.</summary>
    public const string LocalStoreUnavailable = "local store unavailable";

    private bool IsAllowed(string metric) => _context.Registry.FindMetric(metric) is { } m && _consent.Allowed(m);

    /// <summary>
    /// The announcements' <c>reportback_next</c> sets the next upload like any collector hint, but never
    /// postpones one already scheduled (nor a pending retry): fetched daily with a hint of a day or more,
    /// it would otherwise push the upload back every day, and reports would never leave.
    /// </summary>
    public DateTimeOffset? Hint(TimeSpan hint)
    {
        lock (_context.Local)
        {
            if (Failures != 0 || _context.Options.EffectiveSplitUploads)
                return null;
            var at = UploadSchedule.After(_context.Time.GetUtcNow(), hint, _context.Options);
            if (NextAttempt is { } scheduled && scheduled <= at)
                return scheduled;
            _context.Store.SetTime(NextAttemptKey, at);
            return at;
        }
    }

    /// <summary>
    /// Split uploads: a part's send time, uniformly random in the upload window of its period
    /// (<see cref="CandorClientOptions.FirstUploadDelayMin"/> to <see cref="CandorClientOptions.FirstUploadDelayMax"/>
    /// after the period ended) and drawn for each part on its own, so parts of one period do not leave
    /// together. A window already begun when the device seals (it was off) starts now instead: parts
    /// found late must not all leave at the first chance, in one burst.
    /// </summary>
    private DateTimeOffset SplitSendTime(DateOnly periodEnd, DateTimeOffset now)
    {
        var options = _context.Options;
        if (options.DevelopmentUploads)
            return now;
        var opens = new DateTimeOffset(periodEnd.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) + options.FirstUploadDelayMin;
        var from = opens > now ? opens : now;
        return from + UploadSchedule.Between(TimeSpan.Zero, options.FirstUploadDelayMax - options.FirstUploadDelayMin, options.Random);
    }

    /// <summary>Nothing is pending any more: forget the schedule, and stop a request in flight (its batch was just erased).</summary>
    private void OnConsentWithdrawn()
    {
        // Stop first: on a full disk the state writes below throw, and the request must stop regardless.
        if (Volatile.Read(ref _inFlight) is { } inFlight)
            // Asynchronously: the request's continuations must not run inline on the caller's thread, inside the lock.
            _ = CancelQuietlyAsync(inFlight);
        _context.Store.SetState(NextAttemptKey, null);
        _context.Store.SetState(FailuresKey, null);
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
