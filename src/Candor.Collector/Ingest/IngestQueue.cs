using System.Diagnostics;
using System.Threading.Channels;
using Candor.Collector.Hosting;
using Candor.Collector.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Candor.Collector.Ingest;

/// <summary>
/// The bounded queue between the HTTP edge and the store. One consumer drains whatever has arrived
/// (up to <see cref="CollectorOptions.MaxGroupSize"/> batches) and hands it to the store as one
/// transaction: many requests share one commit and one fsync, and each request is answered only after
/// the commit that holds it. When the queue is full the caller is told at once (503), instead of
/// the queue growing until memory runs out.
///
/// Up to <see cref="CollectorOptions.MaxGroupsInFlight"/> groups are in flight at once (SQLite: 4): the consumer
/// forms the next group while the previous one waits for its fsync (the store's append returns its task
/// as soon as the transaction is written and releases the writer before it waits). With one group at a
/// time, 64 connections spent most of each fsync (4 ms on a virtual disk) with nothing to commit next
/// (docs/benchmarks.md, "Ingest at ordinary concurrency"). Each request is still answered only when its
/// own group's task ends, which the store completes after that group is on disk.
///
/// The store is told whether more batches are waiting or in flight (<see cref="IIngestStore.AppendGroupAsync(IReadOnlyList{AppendRequest}, bool, CancellationToken)"/>):
/// then it may journal the group's cells as one row and fold them later with other groups'. When the last
/// group in flight finds nothing waiting, a fold is scheduled <see cref="CellJournalPolicy.MaxAge"/> later and
/// runs if ingest is still quiet then (under steady load the next group comes first and folds by the policy).
/// Folding before answering that group instead made every drained pipeline fold (a 64-connection load drains
/// every few groups): 4 to 9 rows a fold, too few to coalesce (docs/benchmarks.md).
/// </summary>
internal sealed class IngestQueue : IHostedService, IAsyncDisposable
{
    private readonly IIngestStore _store;
    private readonly ILogger<IngestQueue> _log;
    private readonly CollectorMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly int _maxGroup;
    private readonly Channel<Pending> _channel;
    private readonly SemaphoreSlim _inFlight;
    private readonly int _maxInFlight;
    private Task? _consumer;
    private int _active; // groups formed and not yet stored
    private int _quietFoldScheduled;
    private Task _quietFold = Task.CompletedTask;
    private readonly CancellationTokenSource _stopping = new();

    public IngestQueue(IIngestStore store, CollectorOptions options, ILogger<IngestQueue> log, CollectorMetrics metrics, TimeProvider time)
    {
        _store = store;
        _log = log;
        _metrics = metrics;
        _time = time;
        _maxGroup = options.MaxGroupSize;
        _maxInFlight = options.GroupsInFlightFor(store.Engine);
        _inFlight = new SemaphoreSlim(_maxInFlight, _maxInFlight);
        _channel = Channel.CreateBounded<Pending>(new BoundedChannelOptions(options.IngestQueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait, // only TryWrite is used: full means "refuse", never "wait"
        });
        metrics.TrackQueue(() => _channel.Reader.Count, () => LastFailureInOutage is not null, store.Journal);
    }

    /// <summary>Batches waiting for their commit, for /metrics.</summary>
    public int Depth => _channel.Reader.Count;

    /// <summary>Groups committed and batches stored, for /metrics.</summary>
    public long GroupsCommitted => Interlocked.Read(ref _groups);
    public long BatchesCommitted => Interlocked.Read(ref _batches);
    private long _groups, _batches;

    // The outage in progress, if any: written by the consumer, read by readiness probes on other
    // threads (a DateTimeOffset is too wide to read untorn without the lock).
    private readonly Lock _outageLock = new();
    private DateTimeOffset? _outageSince, _lastFailure;
    private long _outageGroups, _outageBatches;

    /// <summary>
    /// When the last group commit failed, if no commit has succeeded since (the store is in an outage);
    /// null otherwise. Readiness (<see cref="StoreReadinessCheck"/>) reads it.
    /// </summary>
    public DateTimeOffset? LastFailureInOutage
    {
        get { lock (_outageLock) return _outageSince is null ? null : _lastFailure; }
    }

    /// <summary>Queues a batch; completes after its group is durably committed.</summary>
    /// <exception cref="IngestOverloadedException">The queue is full or closed.</exception>
    public Task<AppendOutcome> SubmitAsync(AppendRequest request)
    {
        var pending = new Pending(request);
        if (!_channel.Writer.TryWrite(pending))
            throw new IngestOverloadedException();
        return pending.Completion.Task;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _consumer = Task.Run(ConsumeAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task ConsumeAsync()
    {
        var reader = _channel.Reader;
        while (await reader.WaitToReadAsync())
        {
            // A slot first, then the batches: waiting for a slot leaves them in the queue, where the
            // next group picks up everything that arrived meanwhile (larger groups, fewer fsyncs).
            bool waited = !_inFlight.Wait(0);
            if (waited)
                await _inFlight.WaitAsync();
            var group = new List<Pending>(Math.Min(_maxGroup, Math.Max(reader.Count, 1)));
            while (group.Count < _maxGroup && reader.TryRead(out var p))
                group.Add(p);
            if (group.Count == 0)
            {
                _inFlight.Release();
                continue; // another wake-up raced us; the queue may or may not be empty by now
            }
            // Load, as the store's journal sees it: batches left behind, another group in flight, or this
            // group's batches had to wait for a slot (with one group in flight, as on PostgreSQL, a busy
            // queue is always drained whole, so it is never seen non-empty here).
            bool othersInFlight = Interlocked.Increment(ref _active) > 1;
            // A group of several batches is load too: they arrived while the consumer was busy. A group of one
            // batch with nothing else about writes its cells (a journal row would hold that one batch whole).
            bool moreWaiting = waited || othersInFlight || reader.Count > 0 || group.Count > 1;
            // Not awaited: the store's append runs synchronously up to its durability wait, so the next
            // group forms while this one fsyncs. Ordering between groups is the store's (its writer lock).
            _ = CommitAsync(group, moreWaiting);
        }
        // Shutting down: the groups still in flight are committed (or failed) before StopAsync returns.
        for (int i = 0; i < _maxInFlight; i++)
            await _inFlight.WaitAsync();
    }

    private async Task CommitAsync(List<Pending> group, bool moreWaiting)
    {
        long started = Stopwatch.GetTimestamp();
        var requests = new AppendRequest[group.Count];
        for (int i = 0; i < requests.Length; i++)
            requests[i] = group[i].Request;
        try
        {
            AppendOutcome[] outcomes;
            try
            {
                outcomes = await _store.AppendGroupAsync(requests, moreWaiting);
            }
            finally
            {
                if (Interlocked.Decrement(ref _active) == 0 && _channel.Reader.Count == 0 && _store.Journal.Rows > 0)
                    ScheduleQuietFold();
            }
            _metrics.CommitSucceeded(Stopwatch.GetElapsedTime(started), outcomes, requests);
            Interlocked.Increment(ref _groups);
            Interlocked.Add(ref _batches, group.Count);
            EndOutage();
            for (int i = 0; i < group.Count; i++)
                group[i].Completion.TrySetResult(outcomes[i]);
        }
        catch (Exception e)
        {
            // The whole group rolled back (or its fsync failed): nobody was acknowledged, every client retries later.
            _metrics.CommitFailed(Stopwatch.GetElapsedTime(started));
            CountOutage(group.Count, e);
            var failure = new StoreUnavailableException("The store could not commit the batch.", e);
            foreach (var p in group)
                p.Completion.TrySetException(failure);
        }
        finally
        {
            _inFlight.Release();
        }
    }

    /// <summary>
    /// Folds the journal once ingest has been quiet for <see cref="CellJournalPolicy.MaxAge"/>: checked every
    /// MaxAge while this collector has rows pending, so a burst that ends right after a check is folded at the
    /// next one. A failed fold loses nothing (the rows stay, committed and synced with their groups): it is
    /// logged, and the next group, fold, read of cells or start-up takes the rows.
    /// </summary>
    private void ScheduleQuietFold()
    {
        if (Interlocked.Exchange(ref _quietFoldScheduled, 1) == 1)
            return;
        _quietFold = Task.Run(async () =>
        {
            bool failed = false;
            try
            {
                while (_store.Journal.Rows > 0)
                {
                    // Real time, not the injected clock: this is about the machine going quiet.
                    await Task.Delay(_store.Journal.MaxAge, _stopping.Token);
                    if (Volatile.Read(ref _active) == 0 && _channel.Reader.Count == 0)
                    {
                        failed = !await FoldQuietlyAsync();
                        break;
                    }
                }
            }
            catch (OperationCanceledException)
            {
                return; // stopping: StopAsync folds
            }
            finally
            {
                Volatile.Write(ref _quietFoldScheduled, 0);
            }
            // Rows appended while this ran, by groups that found it scheduled: look again (not after a failure,
            // which would retry and log every MaxAge; the next group schedules again).
            if (!failed && Volatile.Read(ref _active) == 0 && _store.Journal.Rows > 0 && !_stopping.IsCancellationRequested)
                ScheduleQuietFold();
        });
    }

    private async Task<bool> FoldQuietlyAsync()
    {
        try
        {
            await _store.FoldJournalAsync();
            return true;
        }
        catch (Exception e)
        {
            _log.LogError("Folding the cell journal failed: {Error} Its rows stay stored and are folded later; reads and releases lag until then.", e.Message);
            return false;
        }
    }

    /// <summary>
    /// One error line when an outage starts, one line with the count when it ends. An outage under load
    /// fails a commit every few milliseconds; a line for each wrote thousands of identical lines a
    /// minute, burying everything else and filling the disk that may be the outage's cause.
    /// </summary>
    private void CountOutage(int batches, Exception e)
    {
        var now = _time.GetUtcNow();
        lock (_outageLock)
        {
            _lastFailure = now;
            _outageGroups++;
            _outageBatches += batches;
            if (_outageSince is not null)
                return;
            _outageSince = now;
        }
        _log.LogError("Storing a group of {Count} batches failed: {Error} Answering 503 until the store recovers; further failures are counted, not logged one by one.",
            batches, e.Message);
    }

    private void EndOutage()
    {
        DateTimeOffset since;
        long groups, batches;
        lock (_outageLock)
        {
            if (_outageSince is not { } s)
                return;
            (since, groups, batches) = (s, _outageGroups, _outageBatches);
            _outageSince = null;
            _outageGroups = _outageBatches = 0;
        }
        _log.LogWarning("The store is back: {Groups} group commits ({Batches} batches) failed and were answered 503 over {Seconds:F0} s.",
            groups, batches, (_time.GetUtcNow() - since).TotalSeconds);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Requests already queued are still committed: the server has stopped taking new ones by now.
        _channel.Writer.TryComplete();
        if (_consumer is not null)
        {
            await _consumer.WaitAsync(cancellationToken);
            await _stopping.CancelAsync();
            await _quietFold;
            if (_store.Journal.Rows > 0)
                await FoldQuietlyAsync(); // the rows since the last fold, so a stopped collector leaves none
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None);

    private sealed class Pending(AppendRequest request)
    {
        public AppendRequest Request { get; } = request;
        public TaskCompletionSource<AppendOutcome> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>The ingest queue is full: answer 503 with Retry-After.</summary>
public sealed class IngestOverloadedException() : Exception("The ingest queue is full.");

/// <summary>The store failed to commit: answer 503 with Retry-After; nothing was stored.</summary>
public sealed class StoreUnavailableException(string message, Exception inner) : Exception(message, inner);
