using System.Diagnostics;

namespace Candor.Client.Transport;

/// <summary>
/// The way out of every request the client makes (reports, announcements, log checks, key checks, token
/// refills), around whichever network handler is in use. Inside an app with an active
/// <see cref="Activity"/> (every ASP.NET Core or OpenTelemetry host), .NET's HTTP stack adds the app's
/// trace context to outgoing requests: <c>traceparent</c>, <c>tracestate</c>, <c>baggage</c> or
/// <c>Request-Id</c>. One trace id on six split parts puts them back together at the gateway, and ties
/// them to whatever else the app did in that trace. This handler sends without the ambient activity
/// and strips those headers; the handlers the client builds itself also have propagation turned off
/// (<see cref="NoPropagation"/>), so no fresh trace id is added below it either. An app that passes its
/// own <see cref="CandorClientOptions.HttpMessageHandler"/> must turn propagation off on it (docs/client.md).
/// </summary>
internal sealed class NoTraceContextHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    /// <summary>The headers .NET's propagators write (W3C trace context and baggage, and the legacy hierarchical id).</summary>
    public static readonly string[] TraceHeaders = ["traceparent", "tracestate", "baggage", "Correlation-Context", "Request-Id"];

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        foreach (var name in TraceHeaders)
            request.Headers.Remove(name);
        return SendWithoutActivityAsync(request, cancellationToken);
    }

    private async Task<HttpResponseMessage> SendWithoutActivityAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // An async method restores the caller's context when it returns: the app's activity is untouched,
        // but nothing below this line (the app's own handler included) sees it as the parent to propagate.
        Activity.Current = null;
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A handler of the client's own making with trace propagation off, whatever the process-wide propagator.</summary>
    public static SocketsHttpHandler NoPropagation(SocketsHttpHandler handler)
    {
        handler.ActivityHeadersPropagator = null;
        return handler;
    }
}
