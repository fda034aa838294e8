using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Candor.Cli.Relay;

/// <summary>
/// Sits between the relay's HTTP client and the connection to the gateway: bounds each exchange by
/// <see cref="RelayOptions.GatewayTimeout"/> (headers and body: a gateway that answers headers and then
/// stalls must not hold a client forever), counts every outcome in <see cref="RelayMetrics"/>, and logs
/// a gateway outage as one warning when it starts and one line when it ends, never one line per request
/// (an outage under load would otherwise write thousands). The lines name the gateway and the error,
/// never anything of a client's: the request being forwarded is the relay's own fresh one.
/// A client that gives up is not a gateway failure and is not counted as one.
/// </summary>
public sealed class GatewayWatch(RelayOptions options, RelayMetrics metrics) : DelegatingHandler
{
    public const string Unreachable = "unreachable", Timeout = "timeout";

    /// <summary>What a request to the gateway is for: a sealed report, the key configuration, or a readiness probe.</summary>
    public static readonly string[] Kinds = ["report", "keys", "probe"];

    public static readonly HttpRequestOptionsKey<bool> Probe = new("candor-relay-probe");

    /// <summary>A shorter bound than GatewayTimeout for one request (readiness probes), applied here so that it is counted like any timeout.</summary>
    public static readonly HttpRequestOptionsKey<TimeSpan> TimeoutOverride = new("candor-relay-timeout");

    private readonly object _gate = new();
    private long _failedInOutage;
    private DateTimeOffset? _outageSince;

    /// <summary>Set once the relay's logging is built; until then nothing is logged.</summary>
    public ILogger Log { get; set; } = NullLogger.Instance;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        string kind = request.Options.TryGetValue(Probe, out var probe) && probe ? "probe" : request.Method == HttpMethod.Post ? "report" : "keys";
        long start = Stopwatch.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var limit = request.Options.TryGetValue(TimeoutOverride, out var shorter) && shorter < options.GatewayTimeout ? shorter : options.GatewayTimeout;
        timeout.CancelAfter(limit);
        HttpResponseMessage? response = null;
        try
        {
            response = await base.SendAsync(request, timeout.Token);
            await response.Content.LoadIntoBufferAsync(timeout.Token);
            CountAnswer(kind, (int)response.StatusCode, start);
            return response;
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            response?.Dispose();
            throw CountTimeout(kind, limit, start, e);
        }
        catch (HttpRequestException e)
        {
            response?.Dispose();
            CountUnreachable(kind, start, e);
            throw;
        }
    }

    /// <summary>Counts a whole answer of the gateway (any status) begun at <paramref name="start"/> (a Stopwatch timestamp); ends an outage.</summary>
    internal void CountAnswer(string kind, int status, long start)
    {
        metrics.GatewayAnswered(kind, status, Stopwatch.GetElapsedTime(start));
        Recovered();
    }

    /// <summary>Counts and logs an exchange that outlived <paramref name="limit"/>; returns what the caller throws.</summary>
    internal TaskCanceledException CountTimeout(string kind, TimeSpan limit, long start, Exception e)
    {
        metrics.GatewayFailed(kind, Timeout, Stopwatch.GetElapsedTime(start));
        Failed($"no answer within {limit.TotalSeconds:0.###} s (GatewayTimeout)");
        return new TaskCanceledException("The gateway did not answer within GatewayTimeout.", new TimeoutException(e.Message));
    }

    /// <summary>Counts and logs an unreachable gateway (refused, reset, or a broken answer); returns <paramref name="e"/>.</summary>
    internal HttpRequestException CountUnreachable(string kind, long start, HttpRequestException e)
    {
        metrics.GatewayFailed(kind, Unreachable, Stopwatch.GetElapsedTime(start));
        Failed(e.Message);
        return e;
    }

    private void Failed(string error)
    {
        bool first;
        lock (_gate)
        {
            first = _outageSince is null;
            _outageSince ??= DateTimeOffset.UtcNow;
            _failedInOutage++;
        }
        if (first)
            Log.LogWarning("The gateway {Gateway} fails: {Error}. Clients are answered 502/504 and readiness fails until the gateway is back.",
                options.Gateway, error);
    }

    private void Recovered()
    {
        DateTimeOffset since;
        long failed;
        lock (_gate)
        {
            if (_outageSince is not { } s)
                return;
            (since, failed) = (s, _failedInOutage);
            _outageSince = null;
            _failedInOutage = 0;
        }
        Log.LogWarning("The gateway {Gateway} is back: {Failed} requests to it failed over {Seconds:0} s.",
            options.Gateway, failed, (DateTimeOffset.UtcNow - since).TotalSeconds);
    }
}
