using System.Collections.Concurrent;

namespace Candor.Tests.Infrastructure;

/// <summary>
/// A single-threaded <see cref="SynchronizationContext"/> like a desktop app's UI thread: every
/// continuation that does not opt out with <c>ConfigureAwait(false)</c> comes back to this one thread,
/// so a library that blocks it while waiting for its own continuation deadlocks here as it would in an app.
/// </summary>
public sealed class UiThread : SynchronizationContext
{
    private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _queue = new();
    private Thread? _thread;

    /// <summary>
    /// Runs <paramref name="body"/> on a fresh UI thread and pumps it until the body ends. Fails (rather than
    /// hanging the suite) when the thread has not finished within <paramref name="watchdog"/>: a blocked UI thread.
    /// </summary>
    public static async Task RunAsync(Func<Task> body, TimeSpan watchdog)
    {
        var ui = new UiThread();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        ui._thread = new Thread(() =>
        {
            SetSynchronizationContext(ui);
            ui.Post(async _ =>
            {
                try { await body(); done.TrySetResult(); }
                catch (Exception e) { done.TrySetException(e); }
                finally { ui._queue.CompleteAdding(); }
            }, null);
            foreach (var (callback, state) in ui._queue.GetConsumingEnumerable())
                callback(state);
        }) { IsBackground = true, Name = "test UI thread" };
        ui._thread.Start();
        if (await Task.WhenAny(done.Task, Task.Delay(watchdog)) != done.Task)
            throw new Xunit.Sdk.XunitException($"The UI thread was still blocked after {watchdog.TotalSeconds:0} s.");
        await done.Task;
    }

    public override void Post(SendOrPostCallback d, object? state)
    {
        // After the body ended, late continuations have no thread to run on: run them where they are.
        if (!_queue.IsAddingCompleted)
            try { _queue.Add((d, state)); return; } catch (InvalidOperationException) { }
        ThreadPool.QueueUserWorkItem(_ => d(state));
    }

    public override void Send(SendOrPostCallback d, object? state)
    {
        if (Thread.CurrentThread == _thread)
            d(state);
        else
            throw new NotSupportedException("Send from another thread would block the UI thread.");
    }

    public override SynchronizationContext CreateCopy() => this;
}
