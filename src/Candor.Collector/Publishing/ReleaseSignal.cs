namespace Candor.Collector.Publishing;

/// <summary>
/// How public reads ask the <see cref="ReleaseJob"/> to run soon, without doing its work themselves. Any
/// number of reads coalesce into one run: a read can make the job run early, never run twice, and never
/// make it release anything that was not already final (the failure this guards against: an anonymous
/// request that released every period since 2022 and took 26 s, while concurrent first requests timed out).
/// </summary>
public sealed class ReleaseSignal(CollectorOptions options)
{
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _wake = new(0, 1);
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>False when this collector runs no release job (<see cref="CollectorOptions.ReleaseEveryMinutes"/> = 0): reads do not wait.</summary>
    public bool JobRuns => options.ReleaseEveryMinutes > 0;

    /// <summary>A fresh wait budget for one request: all its reads together wait at most <see cref="CollectorOptions.ReleaseWaitMilliseconds"/>.</summary>
    public ReleaseWait NewWait() => new(JobRuns ? options.ReleaseWaitMilliseconds : 0);

    /// <summary>
    /// Wakes the job and returns a task that completes when a run that started after this call has
    /// finished (so it saw every period final by now), whether or not it released anything.
    /// </summary>
    public Task RequestRun()
    {
        lock (_gate)
        {
            if (_wake.CurrentCount == 0)
                _wake.Release();
            return _next.Task;
        }
    }

    /// <summary>For the job: waits for a wake-up or the interval, whichever comes first.</summary>
    internal Task<bool> WaitForWorkAsync(TimeSpan interval, CancellationToken cancellationToken) => _wake.WaitAsync(interval, cancellationToken);

    /// <summary>For the job: starts a run; complete the returned source when the run is over.</summary>
    internal TaskCompletionSource BeginRun()
    {
        lock (_gate)
        {
            // A wake-up that arrived before this point is served by this run.
            if (_wake.CurrentCount > 0)
                _wake.Wait(0);
            var current = _next;
            _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return current;
        }
    }
}

/// <summary>One request's budget for waiting on the release job (real time: it bounds latency, not a business rule).</summary>
public sealed class ReleaseWait(int milliseconds)
{
    private readonly long _deadline = Environment.TickCount64 + milliseconds;

    public TimeSpan Remaining => TimeSpan.FromMilliseconds(Math.Max(0, _deadline - Environment.TickCount64));

    /// <summary>A budget that never waits (a collector that does not release, or a caller that must not block).</summary>
    public static ReleaseWait None => new(0);
}
