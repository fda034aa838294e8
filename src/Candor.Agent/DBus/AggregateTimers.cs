using System.Globalization;
using Candor.Agent.Recording;
using Tmds.DBus.Protocol;

namespace Candor.Agent.DBus;

/// <summary>
/// The <c>com.endlessm.Metrics.AggregateTimer</c> objects that StartAggregateTimer hands out, one per
/// running timer under <c>/com/endlessm/Metrics/AggregateTimer/N</c>. StopTimer records one aggregate
/// occurrence with the running time. Only the connection that started a timer may stop it (another
/// caller could otherwise inflate or cut someone else's durations), and at most <see cref="MaxTimers"/>
/// run at once, so a caller that never stops its timers cannot grow the agent's memory without bound;
/// the timers of a connection that leaves the bus are forgotten (<see cref="Forget"/>).
/// </summary>
internal sealed class AggregateTimers(EventRecorder recorder, TimeProvider time) : IPathMethodHandler
{
    public const string Prefix = EventRecorderServer.ObjectPath + "/AggregateTimer";
    public const int MaxTimers = 1024;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Timer> _running = new();
    private long _next;

    private sealed record Timer(string Owner, Guid Event, IReadOnlyList<VariantValue> Payload, long StartedAt);

    public string Path => Prefix;

    public bool HandlesChildPaths => true;

    public int Running { get { lock (_lock) return _running.Count; } }

    /// <returns>The new timer's object path, or null when <see cref="MaxTimers"/> are already running.</returns>
    public string? Start(string owner, Guid eventId, IReadOnlyList<VariantValue> payload)
    {
        lock (_lock)
        {
            if (_running.Count >= MaxTimers)
                return null;
            // A counter, not a random id: the path is visible only to the caller and identifies nothing beyond this run.
            string path = $"{Prefix}/{(++_next).ToString(CultureInfo.InvariantCulture)}";
            _running[path] = new Timer(owner, eventId, payload, time.GetTimestamp());
            return path;
        }
    }

    /// <summary>
    /// Forgets the timers of a connection that left the bus without stopping them (an application that
    /// crashed): nobody can stop them any more, and kept they would fill <see cref="MaxTimers"/> for good.
    /// They record nothing: a running time cut short by a crash is not a measurement.
    /// </summary>
    public int Forget(string owner)
    {
        lock (_lock)
        {
            var gone = _running.Where(t => t.Value.Owner == owner).Select(t => t.Key).ToList();
            foreach (var path in gone)
                _running.Remove(path);
            return gone.Count;
        }
    }

    public void Clear()
    {
        lock (_lock)
            _running.Clear();
    }

    public ValueTask HandleMethodAsync(MethodContext context)
    {
        var request = context.Request;
        string path = request.PathAsString ?? "";
        if (context.IsDBusIntrospectRequest)
        {
            lock (_lock)
            {
                if (path == Prefix)
                    context.ReplyIntrospectXml([], _running.Keys.Select(p => p[(Prefix.Length + 1)..]).ToArray());
                else if (_running.ContainsKey(path))
                    context.ReplyIntrospectXml([Introspection.Timer], ReadOnlySpan<string>.Empty);
                else
                    context.ReplyError("org.freedesktop.DBus.Error.UnknownObject", $"no timer at {path}");
            }
            return ValueTask.CompletedTask;
        }
        if (request.InterfaceAsString != Introspection.TimerInterface || request.MemberAsString != "StopTimer")
        {
            context.ReplyUnknownMethodError();
            return ValueTask.CompletedTask;
        }
        Timer? timer;
        lock (_lock)
        {
            if (!_running.TryGetValue(path, out timer))
            {
                context.ReplyError("org.freedesktop.DBus.Error.UnknownObject", $"no running timer at {path}");
                return ValueTask.CompletedTask;
            }
            if (timer.Owner != request.SenderAsString)
            {
                context.ReplyError("org.freedesktop.DBus.Error.AccessDenied", "only the caller that started a timer may stop it");
                return ValueTask.CompletedTask;
            }
            _running.Remove(path);
        }
        var duration = time.GetElapsedTime(timer.StartedAt);
        recorder.Record(new Occurrence(timer.Event, EventKind.Timer, 1, timer.Payload, false, duration));
        if (!context.NoReplyExpected)
        {
            using var writer = context.CreateReplyWriter(null);
            context.Reply(writer.CreateMessage());
        }
        return ValueTask.CompletedTask;
    }
}
