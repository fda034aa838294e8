using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Candor.Collector.Hosting;

/// <summary>
/// Counts every answer by route template, method and status class. The path and method as sent are
/// never used as labels: a request to <c>/v1/apps/anything/reports</c> counts under the template, one
/// to a path nothing serves under <c>unmatched</c>, and an unusual method under <c>OTHER</c>, so a
/// client can neither write into the metrics nor grow them without bound.
/// </summary>
public static class RequestMetrics
{
    public const string Unmatched = "unmatched";

    public static void UseRequestMetrics(this WebApplication app)
    {
        var metrics = app.Services.GetRequiredService<CollectorMetrics>();
        app.Use(async (http, next) =>
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                await next(http);
            }
            finally
            {
                // Read after the pipeline ran: routing has chosen the endpoint and the status is final
                // (an exception the handler turned into a 500 is counted as 5xx).
                metrics.RequestAnswered(http.GetEndpoint(), Method(http.Request.Method), http.Response.StatusCode,
                    System.Diagnostics.Stopwatch.GetElapsedTime(start));
            }
        });
    }

    // The constant strings, never the request's own: they are label values and cache keys.
    private static string Method(string method) => method switch
    {
        "GET" => HttpMethods.Get,
        "HEAD" => HttpMethods.Head,
        "POST" => HttpMethods.Post,
        "PUT" => HttpMethods.Put,
        "DELETE" => HttpMethods.Delete,
        "OPTIONS" => HttpMethods.Options,
        "PATCH" => HttpMethods.Patch,
        _ => "OTHER",
    };
}
