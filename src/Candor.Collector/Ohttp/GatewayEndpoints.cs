using Candor.Collector.Api;
using Candor.Ohttp;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Candor.Collector.Ohttp;

/// <summary>
/// The Oblivious HTTP gateway (RFC 9458, RFC 9540) at <c>/.well-known/ohttp-gateway</c>: GET serves
/// the key configurations (<c>application/ohttp-keys</c>); POST takes a <c>message/ohttp-req</c>,
/// opens it, runs the Binary HTTP request inside through the collector's own routes
/// (<see cref="InProcessDispatcher"/>) and answers a <c>message/ohttp-res</c>. The gateway sees the
/// relay's connection only; nothing here reads or logs an address or a header of it.
/// </summary>
public static class GatewayEndpoints
{
    public const string Path = "/.well-known/ohttp-gateway";

    /// <summary>RFC 9458, section 6.3: the problem type for a request under a key the gateway does not hold.</summary>
    public static string KeyProblemType => ProblemTypes.OhttpKey.Type;

    public static void MapGateway(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, (OhttpKeyRing keys, HttpContext http) =>
        {
            // Short caching: clients re-read soon after a rotation, and well inside the overlap window.
            http.Response.Headers.CacheControl = "public, max-age=3600";
            return TypedResults.Bytes(keys.PublishedConfigs, OhttpMediaTypes.Keys);
        }).WithSummary("The gateway's key configurations (RFC 9458, section 3.2)").Produces<byte[]>(StatusCodes.Status200OK, OhttpMediaTypes.Keys);
        app.MapPost(Path, PostAsync).WithSummary("Open an encapsulated request, answer it through the collector's routes, seal the answer")
            .Produces<byte[]>(StatusCodes.Status200OK, OhttpMediaTypes.Response)
            .ProducesProblems([ProblemTypes.UnsupportedMediaType, ProblemTypes.TooLarge, ProblemTypes.OhttpKey, .. ProblemTypes.OhttpUnreadable.Values]);
    }

    private static async Task<Results<SealedAnswer, ProblemHttpResult>> PostAsync(HttpContext http, OhttpKeyRing keys, InProcessDispatcher dispatcher, CollectorOptions options)
    {
        if (!string.Equals(http.Request.ContentType, OhttpMediaTypes.Request, StringComparison.OrdinalIgnoreCase))
            return ProblemTypes.UnsupportedMediaType.Answer(
                $"The gateway takes {OhttpMediaTypes.Request} bodies.");
        var body = await ReadBoundedAsync(http.Request, options.MaxBodyBytes + 256, http.RequestAborted);
        if (body is null)
            return ProblemTypes.TooLarge.Answer(
                $"An encapsulated request may hold at most {options.MaxBodyBytes + 256} bytes.");

        var key = OhttpGatewayKey.KeyIdOf(body) is { } id ? keys.Find(id) : null;
        if (key is null)
            return ProblemTypes.OhttpKey.Answer("The request names a key this gateway does not hold (or retired); fetch the current configuration.");

        DecapsulatedRequest opened;
        BinaryHttpRequest inner;
        try
        {
            opened = key.Decapsulate(body);
            inner = BinaryHttpRequest.Decode(opened.BinaryHttpRequest);
        }
        catch (OhttpFormatException e)
        {
            return ProblemTypes.OhttpUnreadableFor(e.Reason).Answer(e.Message);
        }

        BinaryHttpResponse answer;
        if (!InProcessDispatcher.IsAllowed(inner.Method, inner.Path))
            answer = new BinaryHttpResponse { Status = ProblemTypes.NotThroughGateway.Status, Headers = [new("content-type", "application/problem+json")],
                Content = NotThroughGatewayBody };
        else
            answer = await dispatcher.DispatchAsync(inner, http.RequestAborted);
        // Padded like the requests: the relay sees the sealed answer's length, and an unpadded one would
        // say which answer (accepted, refused, which problem) went to which address.
        return new SealedAnswer(opened.SealResponse(answer.EncodePadded()));
    }

    /// <summary>The inner answer to a method and path the gateway does not forward: the catalogue's type, status and title, no detail.</summary>
    private static readonly byte[] NotThroughGatewayBody = System.Text.Encoding.UTF8.GetBytes(
        $"{{\"type\":\"{ProblemTypes.NotThroughGateway.Type}\",\"title\":\"{ProblemTypes.NotThroughGateway.Title}\",\"status\":{ProblemTypes.NotThroughGateway.Status}}}");

    private static async Task<byte[]?> ReadBoundedAsync(HttpRequest request, int max, CancellationToken cancellationToken)
    {
        if (request.ContentLength > max)
            return null;
        if (request.ContentLength is { } length)
        {
            // The common case (every Candor client and relay declares the length): one array, no copies.
            var body = new byte[length];
            await request.Body.ReadExactlyAsync(body, cancellationToken);
            return body;
        }
        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > max)
                return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
