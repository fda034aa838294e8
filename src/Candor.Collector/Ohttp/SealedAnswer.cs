using Candor.Ohttp;
using Microsoft.AspNetCore.Http;

namespace Candor.Collector.Ohttp;

/// <summary>
/// The gateway's <c>message/ohttp-res</c>: status 200, the media type, the length and the sealed bytes,
/// written straight to the response. Not <c>TypedResults.Bytes</c>: that runs range, validator and
/// content-disposition handling on every request, none of which a sealed answer can use (a range of
/// ciphertext opens nothing), and it was measurable per request on the gateway's hot path
/// (docs/benchmarks.md, "Oblivious HTTP: reaching 5,000 relayed requests per second").
/// The same bytes on the wire as before; the endpoint declares the media type for OpenAPI itself.
/// </summary>
internal sealed class SealedAnswer(byte[] sealedResponse) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = OhttpMediaTypes.Response;
        response.ContentLength = sealedResponse.Length;
        return response.Body.WriteAsync(sealedResponse, httpContext.RequestAborted).AsTask();
    }
}
