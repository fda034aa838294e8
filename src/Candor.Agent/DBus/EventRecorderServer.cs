using Candor.Agent.Consent;
using Candor.Agent.Recording;
using Candor.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tmds.DBus.Protocol;

namespace Candor.Agent.DBus;

/// <summary>
/// The object <c>/com/endlessm/Metrics</c>: eos-metrics' <c>com.endlessm.Metrics.EventRecorderServer</c>
/// (what applications call, unchanged) and Candor's <c>org.candor.Agent1</c> (what any local user calls to
/// see what is kept). Arguments are checked against the signature first: the bus does not check them,
/// and a mis-typed call must get InvalidArgs, never a half-read event.
/// </summary>
internal sealed class EventRecorderServer : IPathMethodHandler
{
    public const string ObjectPath = "/com/endlessm/Metrics";
    private const string InvalidArgs = "org.freedesktop.DBus.Error.InvalidArgs";

    private readonly CandorClient _client;
    private readonly EventRecorder _recorder;
    private readonly DropCounts _drops;
    private readonly AggregateTimers _timers;
    private readonly IConsentAuthority _authority;
    private readonly ILogger _log;

    public EventRecorderServer(CandorClient client, EventRecorder recorder, DropCounts drops, AggregateTimers timers, IConsentAuthority authority, ILogger? log = null)
    {
        _client = client;
        _recorder = recorder;
        _drops = drops;
        _timers = timers;
        _authority = authority;
        _log = log ?? NullLogger.Instance;
    }

    public string Path => ObjectPath;

    /// <summary>Runs after the machine says yes (the agent records its built-in facts then).</summary>
    public Action? Granted { get; init; }

    public bool HandlesChildPaths => false;

    public async ValueTask HandleMethodAsync(MethodContext context)
    {
        var request = context.Request;
        if (context.IsDBusIntrospectRequest)
        {
            context.ReplyIntrospectXml([Introspection.Server, Introspection.Agent], ReadOnlySpan<string>.Empty); // the library lists child objects (AggregateTimer) itself
            return;
        }
        string signature = request.SignatureIsSet ? request.SignatureAsString : "";
        switch (request.InterfaceAsString, request.MemberAsString, signature)
        {
            case (Introspection.ServerInterface, "RecordSingularEvent", "uayxbv"):
            {
                var reader = request.GetBodyReader();
                reader.ReadUInt32(); // user id: an identifier of a person on this machine, never kept
                var id = ReadEventId(ref reader);
                reader.ReadInt64();
                var payload = ReadPayload(ref reader);
                if (id is null) { context.ReplyError(InvalidArgs, "event_id must be 16 bytes (a UUID)"); return; }
                _recorder.Record(new Occurrence(id.Value, EventKind.Singular, 1, payload, false, null));
                ReplyEmpty(context);
                return;
            }
            case (Introspection.ServerInterface, "RecordAggregateEvent", "uayxxbv"):
            {
                var reader = request.GetBodyReader();
                reader.ReadUInt32();
                var id = ReadEventId(ref reader);
                long count = reader.ReadInt64();
                reader.ReadInt64();
                var payload = ReadPayload(ref reader);
                if (id is null) { context.ReplyError(InvalidArgs, "event_id must be 16 bytes (a UUID)"); return; }
                _recorder.Record(new Occurrence(id.Value, EventKind.Aggregate, count, payload, false, null));
                ReplyEmpty(context);
                return;
            }
            case (Introspection.ServerInterface, "RecordEventSequence", "uaya(xbv)"):
            {
                var reader = request.GetBodyReader();
                reader.ReadUInt32();
                var id = ReadEventId(ref reader);
                var payloads = new List<VariantValue>();
                bool missing = false;
                long? first = null, last = null;
                var end = reader.ReadArrayStart(DBusType.Struct);
                while (reader.HasNext(end))
                {
                    reader.AlignStruct();
                    long at = reader.ReadInt64();
                    bool has = reader.ReadBool();
                    var value = reader.ReadVariantValue();
                    first ??= at;
                    last = at;
                    if (has) payloads.Add(value); else missing = true;
                }
                if (id is null) { context.ReplyError(InvalidArgs, "event_id must be 16 bytes (a UUID)"); return; }
                if (first is null) { context.ReplyError(InvalidArgs, "a sequence needs at least one event"); return; }
                // A payload on some events of a sequence and not others is one shape a mapping cannot allow.
                bool partial = missing && payloads.Count > 0;
                var duration = TimeSpan.FromTicks(Math.Max(0, last!.Value - first.Value) / 100); // relative timestamps are nanoseconds
                _recorder.Record(new Occurrence(id.Value, EventKind.Sequence, 1, payloads, partial, duration));
                ReplyEmpty(context);
                return;
            }
            case (Introspection.ServerInterface, "StartAggregateTimer", "uaybv"):
            {
                var reader = request.GetBodyReader();
                reader.ReadUInt32();
                var id = ReadEventId(ref reader);
                var payload = ReadPayload(ref reader);
                if (id is null) { context.ReplyError(InvalidArgs, "event_id must be 16 bytes (a UUID)"); return; }
                if (_timers.Start(request.SenderAsString ?? "", id.Value, payload) is not { } path)
                {
                    context.ReplyError("org.freedesktop.DBus.Error.LimitsExceeded", $"too many aggregate timers are running (at most {AggregateTimers.MaxTimers})");
                    return;
                }
                using var writer = context.CreateReplyWriter("o");
                writer.WriteObjectPath(path);
                context.Reply(writer.CreateMessage());
                return;
            }
            case (Introspection.ServerInterface, "SetEnabled", "b"):
            {
                bool enabled = request.GetBodyReader().ReadBool();
                if (!await _authority.MayChangeConsentAsync(context.Connection, request.SenderAsString ?? "").ConfigureAwait(false))
                {
                    context.ReplyError("org.freedesktop.DBus.Error.AccessDenied", $"not authorised to change the machine's metrics consent ({_authority.Name}: {Consent.PolkitAuthority.ActionId})");
                    return;
                }
                await SetEnabledAsync(enabled, context.Connection).ConfigureAwait(false);
                ReplyEmpty(context);
                return;
            }
            case (Introspection.ServerInterface, "UploadEvents", ""):
                // Candor decides when the device speaks (period end plus random delay): an application
                // that could trigger uploads could time them to its own activity. Recorded data is
                // written to the local store now, which is all "upload" can safely mean here.
                await _client.FlushAsync().ConfigureAwait(false);
                ReplyEmpty(context);
                return;
            case (Introspection.ServerInterface, "ResetTrackingId", ""):
                // There is no tracking id to reset: reports carry none (privacy invariant 4).
                ReplyEmpty(context);
                return;
            case (Introspection.AgentInterface, "Show", ""):
            {
                string text = await ShowAsync().ConfigureAwait(false);
                using var writer = context.CreateReplyWriter("s");
                writer.WriteString(text);
                context.Reply(writer.CreateMessage());
                return;
            }
            case (Introspection.AgentInterface, "Export", "s"):
            {
                string format = request.GetBodyReader().ReadString();
                if (format is not ("json" or "csv")) { context.ReplyError(InvalidArgs, $"unknown format '{format}'; use json or csv"); return; }
                await _client.FlushAsync().ConfigureAwait(false);
                string data = _client.Export(format == "csv" ? ExportFormat.Csv : ExportFormat.Json);
                using var writer = context.CreateReplyWriter("s");
                writer.WriteString(data);
                context.Reply(writer.CreateMessage());
                return;
            }
            case ("org.freedesktop.DBus.Properties", "Get", "ss"):
            {
                var reader = request.GetBodyReader();
                string iface = reader.ReadString(), name = reader.ReadString();
                if (iface != Introspection.ServerInterface || Property(name) is not { } value)
                {
                    context.ReplyError(InvalidArgs, $"no property {iface}.{name}");
                    return;
                }
                using var writer = context.CreateReplyWriter("v");
                writer.WriteVariant(value);
                context.Reply(writer.CreateMessage());
                return;
            }
            case ("org.freedesktop.DBus.Properties", "GetAll", "s"):
            {
                string iface = request.GetBodyReader().ReadString();
                var all = new Dictionary<string, VariantValue>();
                if (iface == Introspection.ServerInterface)
                {
                    all["Enabled"] = Property("Enabled")!.Value;
                    all["TrackingId"] = Property("TrackingId")!.Value;
                }
                using var writer = context.CreateReplyWriter("a{sv}");
                writer.WriteDictionary(all);
                context.Reply(writer.CreateMessage());
                return;
            }
            case ("org.freedesktop.DBus.Properties", "Set", _):
                // Enabled is read-only on purpose (as in eos-metrics): changing it goes through SetEnabled and its authorisation.
                context.ReplyError("org.freedesktop.DBus.Error.PropertyReadOnly", "properties are read-only; use SetEnabled");
                return;
            case (Introspection.ServerInterface or Introspection.AgentInterface, _, _):
                context.ReplyError(InvalidArgs, $"{request.MemberAsString} does not take arguments of signature '{signature}'");
                return;
            default:
                context.ReplyUnknownMethodError();
                return;
        }
    }

    /// <summary>Grant or deny for the whole machine; denying erases everything kept, drop counts included.</summary>
    public async Task SetEnabledAsync(bool enabled, DBusConnection? announceOn)
    {
        if (enabled)
        {
            await _client.GrantConsentAsync().ConfigureAwait(false);
            Granted?.Invoke();
        }
        else
        {
            await _client.DenyConsentAsync().ConfigureAwait(false);
            _drops.Erase();
            _timers.Clear();
        }
        _log.LogInformation("Machine-wide metrics consent {State}", enabled ? "granted" : "denied; local data erased");
        if (announceOn is not null)
            AnnounceEnabled(announceOn);
    }

    private void AnnounceEnabled(DBusConnection bus)
    {
        using var writer = bus.GetMessageWriter();
        writer.WriteSignalHeader(null, ObjectPath, "org.freedesktop.DBus.Properties", "PropertiesChanged", "sa{sv}as");
        writer.WriteString(Introspection.ServerInterface);
        writer.WriteDictionary(new Dictionary<string, VariantValue> { ["Enabled"] = VariantValue.Bool(_recorder.Enabled) });
        writer.WriteArray(Array.Empty<string>());
        bus.TrySendMessage(writer.CreateMessage());
    }

    private VariantValue? Property(string name) => name switch
    {
        "Enabled" => VariantValue.Bool(_recorder.Enabled),
        // Always empty: eos-event-recorder-daemon sent a per-machine UUID here; Candor reports carry no identifier.
        "TrackingId" => VariantValue.String(""),
        _ => (VariantValue?)null,
    };

    /// <summary>The user's view: the consent answer, what is kept per period, and what was dropped.</summary>
    public async Task<string> ShowAsync()
    {
        var consent = _client.Consent;
        var lines = new List<string>
        {
            $"consent: {consent.State.ToString().ToLowerInvariant()} ({consent.Reason})",
        };
        if (consent.IsGranted)
            await _client.FlushAsync().ConfigureAwait(false);
        var items = await _client.ShowAsync().ConfigureAwait(false);
        if (items.Count == 0)
            lines.Add("Nothing collected and not yet sent.");
        foreach (var period in items.GroupBy(i => i.Period))
        {
            lines.Add($"{period.Key}:");
            lines.AddRange(period.Select(i => $"  {i.Description} ({i.Metric}): {i.Summary}"));
        }
        lines.Add(_drops.Summary());
        return string.Join('\n', lines) + "\n";
    }

    private static Guid? ReadEventId(ref Reader reader)
    {
        var bytes = reader.ReadArrayOfByte();
        return bytes.Length == 16 ? new Guid(bytes, bigEndian: true) : null;
    }

    private static IReadOnlyList<VariantValue> ReadPayload(ref Reader reader)
    {
        bool has = reader.ReadBool();
        var value = reader.ReadVariantValue();
        return has ? [value] : [];
    }

    private static void ReplyEmpty(MethodContext context)
    {
        if (context.NoReplyExpected)
            return;
        using var writer = context.CreateReplyWriter(null!);
        context.Reply(writer.CreateMessage());
    }
}
