using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Candor.Collector.Hosting;

/// <summary>
/// HEAD wherever GET is served (RFC 9110, 9.3.2): the request is routed as GET and its body is dropped,
/// so the status and headers are exactly those of the GET. Minimal APIs map GET alone, so HEAD / used to
/// answer 405, which breaks link checkers and monitors that probe with HEAD. A path that serves no GET
/// still answers 405 with its Allow header.
/// </summary>
public static class HeadRequests
{
    public static IApplicationBuilder UseHeadAsGet(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (!HttpMethods.IsHead(http.Request.Method))
        {
            await next(http);
            return;
        }
        http.Request.Method = HttpMethods.Get;
        var body = http.Response.Body;
        http.Response.Body = Stream.Null;
        try
        {
            await next(http);
        }
        finally
        {
            http.Response.Body = body;
            http.Request.Method = HttpMethods.Head; // what the request metrics and anything after see
        }
    });
}
