using System.Collections.Concurrent;
using System.Diagnostics;
using Candor.Collector.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Candor.Tests.Reliability;

/// <summary>
/// The background jobs' loop on a fake clock: a failed run of a long-interval job (the key-order rewrite, once a day) is
/// tried again soon, backing off while it keeps failing, instead of a whole interval later. Each run is a task the test
/// finishes by hand, and the clock only moves once the job waits again (its next timer is made), so the minute each run
/// starts at is exact however slowly the machine runs the job.
/// </summary>
public sealed class PeriodicJobTests : IAsyncDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 12, 7, 0, 0, 0, TimeSpan.Zero);
    private readonly CountingClock _time = new(new FakeTimeProvider(Start));
    private readonly ConcurrentQueue<(TimeSpan At, TaskCompletionSource Done)> _runs = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<Exception> _failures = new();
    private Task? _job;

    /// <summary>The fake clock, counting the timers made on it: a retry's wait and a restarted schedule each make one.</summary>
    private sealed class CountingClock(FakeTimeProvider fake) : TimeProvider
    {
        private int _timers;
        public int Timers => Volatile.Read(ref _timers);
        public override DateTimeOffset GetUtcNow() => fake.GetUtcNow();
        public void Advance(TimeSpan by) => fake.Advance(by);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = fake.CreateTimer(callback, state, dueTime, period);
            Interlocked.Increment(ref _timers);
            return timer;
        }
    }

    private void StartJob(TimeSpan interval, TimeSpan? retry) =>
        _job = Task.Run(() => PeriodicJob.RunAsync(interval, _time, runAtStart: true, _ =>
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _runs.Enqueue((_time.GetUtcNow() - Start, done));
            return done.Task;
        }, _failures.Enqueue, _stop.Token, retry));

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"timed out waiting for {what}");
            await Task.Delay(2);
        }
    }

    /// <summary>
    /// Moves the clock to a second before <paramref name="minute"/> (no run may start there), then to it, and takes the run
    /// that starts; finishes it as told and, when the job is to wait on a new timer next, waits until that timer is made.
    /// </summary>
    private async Task RunAtAsync(int minute, bool fail, bool newTimerNext)
    {
        var at = TimeSpan.FromMinutes(minute);
        var now = _time.GetUtcNow() - Start;
        if (at - TimeSpan.FromSeconds(1) > now)
        {
            _time.Advance(at - TimeSpan.FromSeconds(1) - now);
            await Task.Delay(20);
            Assert.True(_runs.IsEmpty, $"a run started before minute {minute}");
            now = _time.GetUtcNow() - Start;
        }
        if (at > now)
            _time.Advance(at - now);
        (TimeSpan At, TaskCompletionSource Done) run = default;
        await WaitForAsync(() => _runs.TryDequeue(out run), $"the run at minute {minute}");
        Assert.Equal(at, run.At);
        var done = run.Done!;
        int timers = _time.Timers;
        if (fail)
            done.SetException(new IOException("the store is away"));
        else
            done.SetResult();
        if (newTimerNext)
            await WaitForAsync(() => _time.Timers > timers, $"the job's next wait after minute {minute}");
        else
            await Task.Delay(20); // back on its schedule's timer; a tick that fires before it waits is kept for it
    }

    [Fact]
    public async Task A_failed_run_is_tried_again_after_the_retry_then_backs_off_to_the_interval()
    {
        StartJob(TimeSpan.FromHours(1), TimeSpan.FromMinutes(1));
        // 1, 2, 4, 8, 16 and 32 minutes after each failure; the next wait (64) would pass the hour, so from minute 63 the
        // schedule starts again an hour after the last try, with no extra run for the tick that fell while retrying.
        foreach (var minute in new[] { 0, 1, 3, 7, 15, 31, 63 })
            await RunAtAsync(minute, fail: true, newTimerNext: true);
        await RunAtAsync(123, fail: true, newTimerNext: false);
        await RunAtAsync(183, fail: true, newTimerNext: false);
        await WaitForAsync(() => _failures.Count == 9, "9 failures reported");
        Assert.Equal(9, _failures.Count);
    }

    [Fact]
    public async Task A_success_ends_the_retries_and_the_next_failure_starts_from_the_short_wait_again()
    {
        StartJob(TimeSpan.FromHours(1), TimeSpan.FromMinutes(1));
        await RunAtAsync(0, fail: true, newTimerNext: true);
        await RunAtAsync(1, fail: false, newTimerNext: true); // succeeded: the schedule starts again from here
        await RunAtAsync(61, fail: true, newTimerNext: true); // and the retry after this failure is a minute again
        await RunAtAsync(62, fail: false, newTimerNext: true);
        await WaitForAsync(() => _failures.Count == 2, "2 failures reported");
        Assert.Equal(2, _failures.Count);
    }

    /// <summary>The positive control: without a retry, the only run after a failure is the next tick.</summary>
    [Fact]
    public async Task Without_a_retry_a_failed_run_waits_for_the_next_tick()
    {
        StartJob(TimeSpan.FromHours(1), retry: null);
        await RunAtAsync(0, fail: true, newTimerNext: false);
        await RunAtAsync(60, fail: true, newTimerNext: false);
        await RunAtAsync(120, fail: true, newTimerNext: false);
        await WaitForAsync(() => _failures.Count == 3, "3 failures reported");
        Assert.Equal(3, _failures.Count);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_job is not null)
            await _job;
        _stop.Dispose();
    }
}
