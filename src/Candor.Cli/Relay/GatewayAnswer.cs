using Microsoft.AspNetCore.Http;

namespace Candor.Cli.Relay;

/// <summary>
/// An upstream answer as the relay passes it on: the status, one media type the relay chose, the length
/// and the bytes, written straight to the client's response. Nothing else of upstream's answer crosses
/// (cookies, dates, server names could tag one client's response). Written by hand rather than through
/// <c>Results.Bytes</c>, which always answers 200 and runs range and validator handling a relayed
/// answer never needs, on every forwarded request (docs/benchmarks.md, the relay's share of CPU).
/// </summary>
internal sealed class GatewayAnswer(int status, string contentType, byte[] body) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = status;
        response.ContentType = contentType;
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body, httpContext.RequestAborted).AsTask();
    }
}
