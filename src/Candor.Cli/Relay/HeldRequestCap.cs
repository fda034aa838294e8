using Candor.Collector.Api;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Candor.Cli.Relay;

/// <summary>
/// At most <see cref="RelayOptions.MaxHeldRequests"/> client requests wait for the gateway at once; the
/// next is answered at once with 503, <c>Retry-After</c> and a problem. Without it a slow gateway makes
/// the relay hold every client's connection (and its memory) for the whole timeout, and a burst of
/// clients exhausts the relay before the gateway recovers. The first refusal of an overload is logged
/// once, with no client detail; its end is logged when requests fit again.
/// </summary>
public sealed class HeldRequestCap(RelayOptions options, RelayMetrics metrics)
{
    private int _held;
    private int _overloaded;

    public ILogger Log { get; set; } = NullLogger.Instance;

    public int Held => Volatile.Read(ref _held);

    public async Task InvokeAsync(HttpContext http, RequestDelegate next)
    {
        if (http.Request.Path.StartsWithSegments("/healthz"))
        {
            await next(http);
            return;
        }
        int now = Interlocked.Increment(ref _held);
        try
        {
            if (now > options.MaxHeldRequests)
            {
                metrics.RefusedBusy();
                if (Interlocked.Exchange(ref _overloaded, 1) == 0)
                    Log.LogWarning("{Max} requests are waiting for the gateway (MaxHeldRequests); further clients are answered 503 with Retry-After {Seconds} s.",
                        options.MaxHeldRequests, options.RetryAfterSeconds);
                await ProblemTypes.RelayBusy.Answer(http,
                    $"{options.MaxHeldRequests} requests are already waiting for the gateway; retry after {options.RetryAfterSeconds} seconds. Nothing was forwarded.",
                    options.RetryAfterSeconds).ExecuteAsync(http);
                return;
            }
            metrics.Held(now);
            if (now <= options.MaxHeldRequests / 2 && Interlocked.Exchange(ref _overloaded, 0) == 1)
                Log.LogWarning("Requests waiting for the gateway are below MaxHeldRequests again; clients are forwarded.");
            await next(http);
        }
        finally
        {
            metrics.Held(Interlocked.Decrement(ref _held));
        }
    }
}
