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
        // Hosting's request logger is what makes ASP.NET Core start an Activity (from the client's
        // traceparent, if any) and a logging scope for every request; the relay logs no requests, so
        // both were pure cost (docs/benchmarks.md). Its start-up failures still reach the caller as exceptions.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
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

        // The sealed requests go over the relay's own pooled connections (GatewayForwarder); a handler
        // given by a test or an embedder carries them instead, through the same watch.
        Func<byte[], CancellationToken, Task<(int, string?, byte[])>> send;
        GatewayForwarder? forwarder = null;
        if (upstream is null)
        {
            forwarder = new GatewayForwarder(options, operations.Watch!);
            send = forwarder.ForwardAsync;
        }
        else
            send = (body, cancellationToken) => SendThroughClientAsync(client, options, body, cancellationToken);

        var app = builder.Build();
        app.Lifetime.ApplicationStopped.Register(client.Dispose);
        if (forwarder is not null)
            app.Lifetime.ApplicationStopped.Register(() => forwarder.DisposeAsync().AsTask().Wait());
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        operations.Use(app);
        // POST / is answered here, before routing: matching, endpoint selection and the minimal-API
        // glue did nothing for the one hot route but cost a few percent of the relay per request. Every
        // other request (and other methods on /, answered 405) goes through routing as before.
        app.Use(next => http => http.Request.Path.Value == "/" && HttpMethods.IsPost(http.Request.Method) ? ForwardAndAnswerAsync(http, send, options) : next(http));
        app.UseRouting();

        // Mapped too, so that routing answers 405 for other methods on / (the POSTs never get here).
        // Typed as Func<..., Task<IResult>>: a bare (HttpContext) => Task lambda would bind as a
        // RequestDelegate and its result would be dropped (an empty 200 for every request).
        app.MapPost("/", (Func<HttpContext, Task<IResult>>)(http => ForwardAsync(http, send, options)));
        // Key documents come from a cache every client shares (KeyDocumentCache): the consistency route.
        var gatewayKeys = new KeyDocumentCache(client, new Uri(options.Gateway!, "/.well-known/ohttp-gateway"), OhttpMediaTypes.Keys, options.KeyCacheDuration, options.Clock);
        var issuerDirectory = new KeyDocumentCache(client, options.EffectiveIssuerDirectory, "application/private-token-issuer-directory", options.KeyCacheDuration, options.Clock);
        app.MapGet("/.well-known/ohttp-gateway", (Func<HttpContext, Task<IResult>>)(http => gatewayKeys.GetAsync(http.RequestAborted)));
        app.MapGet("/.well-known/private-token-issuer-directory", (Func<HttpContext, Task<IResult>>)(http => issuerDirectory.GetAsync(http.RequestAborted)));
        app.MapGet("/healthz", () => TypedResults.Text("ok\n"));
        return app;
    }

    private static async Task ForwardAndAnswerAsync(HttpContext http, Func<byte[], CancellationToken, Task<(int, string?, byte[])>> send, RelayOptions options) =>
        await (await ForwardAsync(http, send, options)).ExecuteAsync(http);

    private static async Task<IResult> ForwardAsync(HttpContext http, Func<byte[], CancellationToken, Task<(int, string?, byte[])>> send, RelayOptions options)
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

        return await RelayAnswerAsync(send, body, http.RequestAborted);
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

    private static async Task<(int, string?, byte[])> SendThroughClientAsync(HttpClient client, RelayOptions options, byte[] body, CancellationToken cancellationToken)
    {
        var forward = new HttpRequestMessage(HttpMethod.Post, options.Gateway) { Content = new ByteArrayContent(body) };
        forward.Content.Headers.ContentType = new(OhttpMediaTypes.Request);
        using var answer = await client.SendAsync(forward, cancellationToken);
        return ((int)answer.StatusCode, answer.Content.Headers.ContentType?.MediaType, await answer.Content.ReadAsByteArrayAsync(cancellationToken));
    }

    private static async Task<IResult> RelayAnswerAsync(Func<byte[], CancellationToken, Task<(int, string?, byte[])>> send, byte[] body, CancellationToken cancellationToken)
    {
        RelayHeaderAllowlist.Detach();
        try
        {
            var (status, type, bytes) = await send(body, cancellationToken);
            // Only the status, the media type and the bytes come back: the gateway's other headers
            // (cookies, dates, server names) could otherwise tag one client's response.
            return new GatewayAnswer(status,
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
