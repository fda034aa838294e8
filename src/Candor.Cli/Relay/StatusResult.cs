using Microsoft.AspNetCore.Http;

namespace Candor.Cli.Relay;

/// <summary>Gives a bytes result the gateway's status code (Results.Bytes always answers 200).</summary>
internal sealed class StatusResult(IResult inner, int status) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = status;
        return inner.ExecuteAsync(httpContext);
    }
}
