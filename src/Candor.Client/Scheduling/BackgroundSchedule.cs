using Candor.Client.LocalStore;

namespace Candor.Client.Scheduling;

/// <summary>
/// The client's timers: a flush every <see cref="CandorClientOptions.FlushInterval"/>, and an upload
/// check and an announcements check every <see cref="CandorClientOptions.UploadCheckInterval"/>, each
/// started at its own random offset, so a due upload and a due fetch never go out in the same tick.
/// Started by the host (<c>AddCandor</c>'s hosted service) or by <see cref="CandorClient.Create(CandorClientOptions)"/>,
/// never by a constructor. A tick whose previous run has not finished is skipped, not queued.
/// </summary>
/// <param name="nextPart">
/// Split uploads: when the next part is due. Each part leaves at its own drawn moment, not at the next
/// hourly check: two parts due within the same hour would otherwise leave together, one burst that
/// ties them to one device again.
/// </param>
/// <param name="steps">What each timer runs: a flush, an upload cycle, an announcements fetch, and one transparency-log request (a due deletion, else one receipt check).</param>
/// <param name="options">The flush and check intervals, and <see cref="CandorClientOptions.Random"/> for the offsets.</param>
/// <param name="local">The client's local lock: the offsets are drawn under it, as every other part draws from the shared <see cref="Random"/>.</param>
/// <param name="fault">A full disk in background work is one episode of it, not an error every tick.</param>
/// <param name="log">Any other failure of background work goes to the local log; it never reaches the app.</param>
internal sealed class BackgroundSchedule(CandorClientOptions options, TimeProvider time, StorageFault fault, ClientLog log, Lock local,
    BackgroundSteps steps, CancellationToken stopping, Func<DateTimeOffset?>? nextPart = null)
{
    /// <summary>Gives the app a moment to start before the first network check.</summary>
    private static readonly TimeSpan StartDelay = TimeSpan.FromSeconds(30);

    private readonly List<ITimer> _timers = [];
    private ITimer? _partTimer;
    private Task _uploadRun = Task.CompletedTask, _fetchRun = Task.CompletedTask, _verifyRun = Task.CompletedTask;
    private int _started;

    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
            return;
        var o = options;
        TimeSpan uploadOffset, fetchOffset, verifyOffset;
        lock (local)
        {
            uploadOffset = StartDelay + Upload.UploadSchedule.Between(TimeSpan.Zero, o.UploadCheckInterval, o.Random);
            fetchOffset = StartDelay + Upload.UploadSchedule.Between(TimeSpan.Zero, o.UploadCheckInterval, o.Random);
            verifyOffset = StartDelay + Upload.UploadSchedule.Between(TimeSpan.Zero, o.UploadCheckInterval, o.Random);
        }
        lock (_timers)
        {
            _timers.Add(time.CreateTimer(_ => _ = Guarded(() => { steps.Flush(); return Task.CompletedTask; }), null, o.FlushInterval, o.FlushInterval));
            _timers.Add(time.CreateTimer(_ => Run(ref _uploadRun, UploadThenWaitForNextPart), null, uploadOffset, o.UploadCheckInterval));
            _timers.Add(time.CreateTimer(_ => Run(ref _fetchRun, steps.FetchAnnouncementsIfDueAsync), null, fetchOffset, o.UploadCheckInterval));
            // Receipt checks on a third offset: a lookup never rides in the same tick as an upload.
            _timers.Add(time.CreateTimer(_ => Run(ref _verifyRun, steps.LogStepAsync), null, verifyOffset, o.UploadCheckInterval));
        }
    }

    private async Task UploadThenWaitForNextPart(CancellationToken cancel)
    {
        try
        {
            await steps.UploadAsync(cancel).ConfigureAwait(false);
        }
        finally
        {
            if (nextPart is not null && !cancel.IsCancellationRequested)
                ScheduleNextPart(nextPart());
        }
    }

    /// <summary>A one-shot timer at the next part's moment, when that comes before the next hourly check.</summary>
    private void ScheduleNextPart(DateTimeOffset? due)
    {
        if (due is null)
            return;
        // A part that fell due while this run was busy gets a second's grace, not the next hourly check.
        // (A part that failed is never overdue: it backs off to a later moment of its own.)
        var wait = due.Value - time.GetUtcNow();
        if (wait < PartGrace)
            wait = PartGrace;
        lock (_timers)
        {
            _partTimer?.Dispose();
            _partTimer = null;
            if (stopping.IsCancellationRequested || _timers.Count == 0 || wait > options.UploadCheckInterval)
                return;
            _partTimer = time.CreateTimer(_ => RunPartWhenFree(), null, wait, Timeout.InfiniteTimeSpan);
        }
    }

    private static readonly TimeSpan PartGrace = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Runs the upload for a part once the run in flight (if any) has finished: <see cref="Run"/> skips a
    /// tick while a run is going, and a skipped part would wait for the next hourly check.
    /// </summary>
    private void RunPartWhenFree()
    {
        Task previous;
        lock (_timers)
            previous = _uploadRun;
        previous.ContinueWith(_ => Run(ref _uploadRun, UploadThenWaitForNextPart), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    private void Run(ref Task running, Func<CancellationToken, Task> work)
    {
        lock (_timers)
        {
            if (!running.IsCompleted || stopping.IsCancellationRequested)
                return;
            // On the thread pool: a timer thread (or a test's fake clock) never runs network I/O inline.
            running = Task.Run(() => Guarded(() => work(stopping)));
        }
    }

    private async Task Guarded(Func<Task> work)
    {
        if (stopping.IsCancellationRequested)
            return;
        try { await work().ConfigureAwait(false); }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested) { }
        catch (Exception e) when (StorageFault.IsStorageError(e))
        {
            // A full disk: one warning per episode, not an error every tick; the next tick tries again.
            fault.Failed("background work", e);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A metrics library must never take the app down; the reason goes to the local log.
            try { log.Write($"Background work failed: {e.GetType().Name}: {e.Message}", Microsoft.Extensions.Logging.LogLevel.Error); } catch { }
        }
    }

    /// <summary>Stops the timers and waits for a run in flight (already cancelled by the caller), at most <paramref name="bound"/>.</summary>
    public async Task StopAsync(TimeSpan bound)
    {
        Task[] running;
        lock (_timers)
        {
            foreach (var t in _timers)
                t.Dispose();
            _timers.Clear();
            _partTimer?.Dispose();
            _partTimer = null;
            running = [_uploadRun, _fetchRun, _verifyRun];
        }
        await Task.WhenAny(Task.WhenAll(running), Task.Delay(bound)).ConfigureAwait(false);
    }
}
