using System.Net;
using Candor.Ohttp;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Candor.Collector.Ohttp;

/// <summary>
/// Runs a request that arrived inside Oblivious HTTP through the collector's own pipeline (routing,
/// endpoints, problem details), in memory. The inner request has no connection: no address, no port,
/// and only the allowlisted headers below, so an endpoint cannot learn more about its sender than
/// the encapsulated request itself carries. Only the routes a client needs are reachable this way.
/// </summary>
internal sealed class InProcessDispatcher(IHttpContextFactory contexts)
{
    /// <summary>Set when the pipeline is built (<see cref="Capture"/>); everything after the capture point.</summary>
    private RequestDelegate? _pipeline;

    /// <summary>Marks contexts made here, so the per-address rate limit knows there is no address to key on.</summary>
    public const string InnerRequestItem = "candor.ohttp.inner";

    // Request headers an encapsulated request may pass on; User-Agent and the rest never reach an endpoint.
    // Authorization is the Privacy Pass token (RFC 9577): it was sealed inside the request, so the relay
    // never saw it, and without it an app that requires tokens could not be reached through a relay.
    private static readonly HashSet<string> RequestHeaders = new(StringComparer.OrdinalIgnoreCase)
        { "content-type", "content-encoding", "idempotency-key", "accept", "authorization" };

    // WWW-Authenticate carries the app's token challenge (the same for every client): the client reads it
    // to tell an expired token key from a spent token.
    private static readonly HashSet<string> ResponseHeaders = new(StringComparer.OrdinalIgnoreCase)
        { "content-type", "retry-after", "cache-control", "etag", "last-modified", "www-authenticate" };

    /// <summary>Installs the capture point: call before UseRouting so inner requests are routed afresh.</summary>
    public void Capture(IApplicationBuilder app) => app.Use(next =>
    {
        _pipeline = next;
        return next;
    });

    /// <summary>
    /// Whether a path may be reached through the gateway: reports (split-trust DAP reports too),
    /// announcements, the registry and the token challenge, and the transparency log's lookups and deletions, which a device sends over the
    /// same transport as its reports so that its checks are not tied to its address either.
    /// </summary>
    public static bool IsAllowed(string method, string path)
    {
        var segments = path.Split('?')[0].Split('/');
        // "", "v1", "log", "{resource}"
        if (segments.Length == 4 && segments[0] == "" && segments[1] == "v1" && segments[2] == "log")
            return (method, segments[3]) is ("GET", "checkpoint" or "key" or "inclusion" or "consistency") or ("POST", "deletions");
        // "", "tasks", "{task}", "reports": a split-trust report for the DAP Leader (docs/dap.md), sealed to the aggregators already.
        if (segments.Length == 4 && segments[0] == "" && segments[1] == "tasks" && segments[2].Length > 0 && segments[3] == "reports")
            return method == "PUT";
        // "", "v1", "apps", "{app}", "{resource}"
        if (segments.Length != 5 || segments[0] != "" || segments[1] != "v1" || segments[2] != "apps" || segments[3].Length == 0)
            return false;
        return (method, segments[4]) switch
        {
            ("POST", "reports") => true,
            ("GET", "announcements") => true,
            ("GET", "registry") => true,
            ("GET", "token-challenge") => true,
            _ => false,
        };
    }

    public async Task<BinaryHttpResponse> DispatchAsync(BinaryHttpRequest request, CancellationToken cancellationToken)
    {
        var pipeline = _pipeline ?? throw new InvalidOperationException("The gateway's dispatcher was not captured in the pipeline.");
        var features = new FeatureCollection();
        int query = request.Path.IndexOf('?');
        var requestFeature = new HttpRequestFeature
        {
            Method = request.Method,
            Scheme = "https",
            Protocol = "HTTP/1.1",
            PathBase = "",
            Path = query < 0 ? request.Path : request.Path[..query],
            QueryString = query < 0 ? "" : request.Path[query..],
            Body = new MemoryStream(request.Content, writable: false),
        };
        foreach (var (name, value) in request.Headers)
            if (RequestHeaders.Contains(name))
                requestFeature.Headers.Append(name, value);
        requestFeature.Headers.ContentLength = request.Content.Length;
        requestFeature.Headers.Host = "gateway.invalid";
        var responseBody = new MemoryStream();
        features.Set<IHttpRequestFeature>(requestFeature);
        features.Set<IHttpResponseFeature>(new HttpResponseFeature());
        features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(responseBody));
        features.Set<IHttpConnectionFeature>(new HttpConnectionFeature { RemoteIpAddress = null, LocalIpAddress = IPAddress.None });
        features.Set<IHttpRequestLifetimeFeature>(new HttpRequestLifetimeFeature { RequestAborted = cancellationToken });

        var context = contexts.Create(features);
        try
        {
            context.Items[InnerRequestItem] = true;
            await pipeline(context);
            await context.Response.CompleteAsync();
            var headers = new List<KeyValuePair<string, string>>();
            foreach (var (name, values) in context.Response.Headers)
                if (ResponseHeaders.Contains(name))
                    foreach (var value in values)
                        headers.Add(new(name.ToLowerInvariant(), value ?? ""));
            return new BinaryHttpResponse { Status = context.Response.StatusCode, Headers = headers, Content = responseBody.ToArray() };
        }
        finally
        {
            contexts.Dispose(context);
        }
    }
}
