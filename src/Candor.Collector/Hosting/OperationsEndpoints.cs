using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Candor.Collector.Hosting;

/// <summary>
/// What an operator's monitoring reads. On the public listener only <c>/healthz</c> (liveness: the
/// process answers), which says nothing any other public request does not. On the operator listener
/// (<see cref="OperatorListener"/>, <c>OperatorUrls</c>): <c>/healthz</c> again, <c>/readyz</c>
/// (readiness: the store works, <see cref="StoreReadinessCheck"/>) and <c>/metrics</c> (Prometheus text,
/// <see cref="CollectorMetrics"/>). docs/operations.md, "What to watch".
/// </summary>
public static class OperationsEndpoints
{
    // Probes read; anything else is 405, as elsewhere.
    private static readonly string[] Probe = ["GET", "HEAD"];

    public static void AddOperations(this IServiceCollection services, CollectorOptions options)
    {
        services.AddSingleton<CollectorMetrics>();
        services.AddSingleton<StoreReadinessCheck>();
        services.AddSingleton(sp => new OperatorListener(options.OperatorUrls, sp.GetRequiredService<ILoggerFactory>(), op => op.MapOperatorEndpoints(sp)));
        services.AddHostedService(sp => sp.GetRequiredService<OperatorListener>());
    }

    /// <summary>The public listener's one operations route. Kept public because container and process
    /// supervisors (and <c>candor serve</c>'s own tests) probe it where clients connect.</summary>
    public static void MapOperations(this IEndpointRouteBuilder app) =>
        app.MapMethods("/healthz", Probe, () => TypedResults.Text("ok\n", "text/plain; charset=utf-8")).ExcludeFromDescription();

    /// <summary>The operator listener's routes, answered from the collector's own services.</summary>
    public static void MapOperatorEndpoints(this IEndpointRouteBuilder app, IServiceProvider collector)
    {
        var metrics = collector.GetRequiredService<CollectorMetrics>();
        var readiness = collector.GetRequiredService<StoreReadinessCheck>();
        app.MapMethods("/healthz", Probe, () => TypedResults.Text("ok\n", "text/plain; charset=utf-8"));
        app.MapMethods("/readyz", Probe, async (HttpContext http) =>
        {
            var result = await readiness.CheckHealthAsync(new HealthCheckContext(), http.RequestAborted);
            await WriteProbeAsync(http, result.Status == HealthStatus.Healthy ? null : "store: " + result.Description);
        });
        app.MapMethods("/metrics", Probe, async (CancellationToken cancellationToken) =>
            TypedResults.Text(await metrics.ExportAsync(cancellationToken), CollectorMetrics.ContentType));
    }

    /// <summary>"ok" with 200, or "unavailable: reason" with 503: the text a person reading a probe's answer wants.</summary>
    public static Task WriteProbeAsync(HttpContext http, string? unavailable)
    {
        http.Response.ContentType = "text/plain; charset=utf-8";
        if (unavailable is null)
            return http.Response.WriteAsync("ok\n");
        http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        return http.Response.WriteAsync("unavailable: " + unavailable + "\n");
    }
}
