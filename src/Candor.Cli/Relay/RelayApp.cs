using Candor.Collector.Api;
using Candor.Collector.Hosting;
using Candor.Ohttp;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Candor.Cli.Relay;

/// <summary>
/// An Oblivious HTTP relay (RFC 9458, section 6.2): takes <c>message/ohttp-req</c> bodies from
/// clients and posts them, byte for byte, to one configured gateway, with a fresh request that carries
/// nothing of the client's (no header, no address, no Forwarded/X-Forwarded-For), then hands the
/// gateway's <c>message/ohttp-res</c> back. It cannot read either: the content is sealed to the
/// gateway's key. It keeps no log of requests or addresses (the collector's logging filters apply).
/// GET <c>/.well-known/ohttp-gateway</c> and <c>/.well-known/private-token-issuer-directory</c> are served
/// from a cache every client shares (<see cref="KeyDocumentCache"/>): the route by which clients check that
/// they all get the same gateway and token keys, without telling the operator who asks.
/// </summary>
public static class RelayApp
{
    public static WebApplication Build(RelayOptions options, Action<ILoggingBuilder>? configureLogging = null, HttpMessageHandler? upstream = null)
    {
        var problems = options.Validate();
        if (problems.Count > 0)
            throw new CollectorConfigurationException("Invalid relay settings:\n  " + string.Join("\n  ", problems));

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls([.. options.Urls]);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = options.MaxBodyBytes;
        });
        CollectorApp.ConfigurePrivateLogging(builder.Logging);
        configureLogging?.Invoke(builder.Logging);
        builder.Services.AddProblemDetails();
        var operations = new RelayOperations(options); // metrics, readiness, the held-request cap (RelayOperations.cs)
        operations.AddServices(builder.Services);

        // One pooled client: connections to the gateway are shared by all users, which is the point.
        // No proxy from the environment, no cookies, no redirects: nothing may change where bytes go.
        // No trace propagation: ASP.NET Core starts an activity from the client's traceparent, and the
        // default handler would pass that trace id on to the gateway (RelayHeaderAllowlist).
        var client = new HttpClient(operations.WatchGateway(upstream ?? new SocketsHttpHandler { UseCookies = false, UseProxy = false, AllowAutoRedirect = false, ActivityHeadersPropagator = null }), disposeHandler: true)
        {
            Timeout = Timeout.InfiniteTimeSpan, // GatewayWatch applies GatewayTimeout, to the body too, and counts it
        };
        client.DefaultRequestHeaders.UserAgent.Clear();

        var app = builder.Build();
        app.Lifetime.ApplicationStopped.Register(client.Dispose);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        operations.Use(app);

        // Typed as Func<..., Task<IResult>>: a bare (HttpContext) => Task lambda would bind as a
        // RequestDelegate and its result would be dropped (an empty 200 for every request).
        app.MapPost("/", (Func<HttpContext, Task<IResult>>)(http => ForwardAsync(http, client, options)));
        // Key documents come from a cache every client shares (KeyDocumentCache): the consistency route.
        var gatewayKeys = new KeyDocumentCache(client, new Uri(options.Gateway!, "/.well-known/ohttp-gateway"), OhttpMediaTypes.Keys, options.KeyCacheDuration, options.Clock);
        var issuerDirectory = new KeyDocumentCache(client, options.EffectiveIssuerDirectory, "application/private-token-issuer-directory", options.KeyCacheDuration, options.Clock);
        app.MapGet("/.well-known/ohttp-gateway", (Func<HttpContext, Task<IResult>>)(http => gatewayKeys.GetAsync(http.RequestAborted)));
        app.MapGet("/.well-known/private-token-issuer-directory", (Func<HttpContext, Task<IResult>>)(http => issuerDirectory.GetAsync(http.RequestAborted)));
        app.MapGet("/healthz", () => TypedResults.Text("ok\n"));
        return app;
    }

    private static async Task<IResult> ForwardAsync(HttpContext http, HttpClient client, RelayOptions options)
    {
        if (!string.Equals(http.Request.ContentType, OhttpMediaTypes.Request, StringComparison.OrdinalIgnoreCase))
            return ProblemTypes.RelayUnsupportedMediaType.Answer($"The relay forwards {OhttpMediaTypes.Request} bodies only.");
        byte[] body;
        try
        {
            // Refused before anything is allocated for it: the body is read into an array of the declared length.
            if (http.Request.ContentLength > options.MaxBodyBytes)
                throw new BadHttpRequestException("Request body too large.", 413);
            body = await ReadBodyAsync(http.Request, http.RequestAborted);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == 413)
        {
            return ProblemTypes.RelayTooLarge.Answer($"The relay forwards at most {options.MaxBodyBytes} bytes.");
        }

        var forward = new HttpRequestMessage(HttpMethod.Post, options.Gateway) { Content = new ByteArrayContent(body) };
        forward.Content.Headers.ContentType = new(OhttpMediaTypes.Request);
        return await RelayAnswerAsync(client, forward, http.RequestAborted);
    }

    /// <summary>
    /// The whole body: straight into an array of its declared length (clients send Content-Length), or
    /// through a buffer for a chunked one. The caller refuses a declared length above MaxBodyBytes first, and
    /// Kestrel's MaxRequestBodySize bounds a chunked body by throwing 413 on the read.
    /// </summary>
    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength is not { } length || length > int.MaxValue)
        {
            var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, cancellationToken);
            return buffer.ToArray();
        }
        var body = new byte[length];
        await request.Body.ReadExactlyAsync(body, cancellationToken);
        return body;
    }

    private static async Task<IResult> RelayAnswerAsync(HttpClient client, HttpRequestMessage forward, CancellationToken cancellationToken)
    {
        RelayHeaderAllowlist.Detach();
        try
        {
            using var answer = await client.SendAsync(forward, cancellationToken);
            var bytes = await answer.Content.ReadAsByteArrayAsync(cancellationToken);
            // Only the status, the media type and the bytes come back: the gateway's other headers
            // (cookies, dates, server names) could otherwise tag one client's response.
            var type = answer.Content.Headers.ContentType?.MediaType;
            return new GatewayAnswer((int)answer.StatusCode,
                type is OhttpMediaTypes.Response or OhttpMediaTypes.Keys or "application/problem+json" ? type : "application/octet-stream", bytes);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return e is TaskCanceledException
                ? ProblemTypes.RelayGatewayTimeout.Answer("The gateway did not answer in time; nothing is known about whether it processed the request.")
                : ProblemTypes.RelayGatewayUnreachable.Answer("The relay could not reach its gateway; retry later.");
        }
    }
}
