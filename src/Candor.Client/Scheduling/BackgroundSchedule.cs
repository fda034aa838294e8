namespace Candor.Client.Scheduling;

/// <summary>
/// The client's timers: a flush every <see cref="CandorClientOptions.FlushInterval"/>, and an upload
/// check and an announcements check every <see cref="CandorClientOptions.UploadCheckInterval"/>, each
/// started at its own random offset, so a due upload and a due fetch never go out in the same tick.
/// Started by the host (<c>AddCandor</c>'s hosted service) or by <see cref="CandorClient.Create(CandorClientOptions)"/>,
/// never by a constructor. A tick whose previous run has not finished is skipped, not queued.
/// </summary>
internal sealed class BackgroundSchedule(ClientContext context, Action flush, Func<CancellationToken, Task> upload, Func<CancellationToken, Task> fetch, CancellationToken stopping,
    Func<CancellationToken, Task>? verify = null)
{
    /// <summary>Gives the app a moment to start before the first network check.</summary>
    private static readonly TimeSpan StartDelay = TimeSpan.FromSeconds(30);

    private readonly List<ITimer> _timers = [];
    private Task _uploadRun = Task.CompletedTask, _fetchRun = Task.CompletedTask, _verifyRun = Task.CompletedTask;
    private int _started;

    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
            return;
        var o = context.Options;
        var time = context.Time;
        TimeSpan uploadOffset, fetchOffset, verifyOffset;
        lock (context.Local)
        {
            uploadOffset = StartDelay + Upload.UploadSchedule.Between(TimeSpan.Zero, o.UploadCheckInterval, o.Random);
            fetchOffset = StartDelay + Upload.UploadSchedule.Between(TimeSpan.Zero, o.UploadCheckInterval, o.Random);
            verifyOffset = StartDelay + Upload.UploadSchedule.Between(TimeSpan.Zero, o.UploadCheckInterval, o.Random);
        }
        lock (_timers)
        {
            _timers.Add(time.CreateTimer(_ => _ = Guarded(() => { flush(); return Task.CompletedTask; }), null, o.FlushInterval, o.FlushInterval));
            _timers.Add(time.CreateTimer(_ => Run(ref _uploadRun, upload), null, uploadOffset, o.UploadCheckInterval));
            _timers.Add(time.CreateTimer(_ => Run(ref _fetchRun, fetch), null, fetchOffset, o.UploadCheckInterval));
            // Receipt checks on a third offset: a lookup never rides in the same tick as an upload.
            if (verify is not null)
                _timers.Add(time.CreateTimer(_ => Run(ref _verifyRun, verify), null, verifyOffset, o.UploadCheckInterval));
        }
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
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A metrics library must never take the app down; the reason goes to the local log.
            try { context.Log($"Background work failed: {e.GetType().Name}: {e.Message}", Microsoft.Extensions.Logging.LogLevel.Error); } catch { }
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
            running = [_uploadRun, _fetchRun, _verifyRun];
        }
        await Task.WhenAny(Task.WhenAll(running), Task.Delay(bound)).ConfigureAwait(false);
    }
}
