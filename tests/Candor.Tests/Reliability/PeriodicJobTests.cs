using System.Collections.Concurrent;
using System.Diagnostics;
using Candor.Collector.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Candor.Tests.Reliability;

/// <summary>
/// The background jobs' loop on a fake clock: a failed run of a long-interval job (the key-order rewrite, once a day) is
/// tried again soon, backing off while it keeps failing, instead of a whole interval later. Each run is a task the test
/// finishes by hand, so the clock only moves once the job waits again.
/// </summary>
public sealed class PeriodicJobTests : IAsyncDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 12, 7, 0, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);
    private readonly ConcurrentQueue<(TimeSpan At, TaskCompletionSource Done)> _runs = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Exception> _failures = [];
    private Task? _job;

    private void StartJob(TimeSpan interval, TimeSpan? retry) =>
        _job = Task.Run(() => PeriodicJob.RunAsync(interval, _time, runAtStart: true, _ =>
        {
            var done = new TaskCompletionSource(); // continuations inline: the job waits again before Fail/Succeed return
            _runs.Enqueue((_time.GetUtcNow() - Start, done));
            return done.Task;
        }, _failures.Add, _stop.Token, retry));

    private async Task<(TimeSpan At, TaskCompletionSource Done)> NextRunAsync()
    {
        var clock = Stopwatch.StartNew();
        (TimeSpan, TaskCompletionSource) run;
        while (!_runs.TryDequeue(out run))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "the job did not run");
            await Task.Delay(5);
        }
        return run;
    }

    /// <summary>Moves the clock a minute at a time up to <paramref name="until"/> (from the start), failing every run on the way; the minutes runs happened at.</summary>
    private async Task<List<double>> FailEveryRunUntilAsync(TimeSpan until)
    {
        var at = new List<double>();
        while (true)
        {
            if (_runs.TryDequeue(out var run))
            {
                at.Add(run.At.TotalMinutes);
                run.Done.SetException(new IOException("the store is away"));
                continue;
            }
            if (_time.GetUtcNow() - Start >= until)
                return at;
            _time.Advance(TimeSpan.FromMinutes(1));
            await Task.Yield();
        }
    }

    [Fact]
    public async Task A_failed_run_is_tried_again_after_the_retry_then_backs_off_to_the_interval()
    {
        StartJob(TimeSpan.FromHours(1), TimeSpan.FromMinutes(1));
        var first = await NextRunAsync();
        first.Done.SetException(new IOException("the store is away"));
        var at = await FailEveryRunUntilAsync(TimeSpan.FromHours(4));
        // 1, 2, 4, 8, 16 and 32 minutes after each failure; then once an hour after the last try (the next wait would
        // have reached the interval), with no extra run for the tick that fell while it was retrying.
        Assert.Equal([1, 3, 7, 15, 31, 63, 123, 183], at);
        Assert.Equal(at.Count + 1, _failures.Count);
    }

    [Fact]
    public async Task A_success_ends_the_retries_and_the_next_failure_starts_from_the_short_wait_again()
    {
        StartJob(TimeSpan.FromHours(1), TimeSpan.FromMinutes(1));
        (await NextRunAsync()).Done.SetException(new IOException("a read held the WAL"));
        _time.Advance(TimeSpan.FromMinutes(1));
        var retried = await NextRunAsync();
        Assert.Equal(TimeSpan.FromMinutes(1), retried.At);
        retried.Done.SetResult();

        // Succeeded: nothing more until an hour after it, and that run fails: the retry is a minute after it again.
        var at = await FailEveryRunUntilAsync(TimeSpan.FromMinutes(62));
        Assert.Equal([61, 62], at);
    }

    /// <summary>The positive control: without a retry, the only run after a failure is the next tick.</summary>
    [Fact]
    public async Task Without_a_retry_a_failed_run_waits_for_the_next_tick()
    {
        StartJob(TimeSpan.FromHours(1), retry: null);
        (await NextRunAsync()).Done.SetException(new IOException("the store is away"));
        var at = await FailEveryRunUntilAsync(TimeSpan.FromHours(3));
        Assert.Equal([60, 120, 180], at);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_job is not null)
            await _job;
        _stop.Dispose();
    }
}
