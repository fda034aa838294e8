using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Candor.Collector.Hosting;

/// <summary>
/// What an operator's monitoring reads: <c>/healthz</c> (liveness: the process answers),
/// <c>/readyz</c> (readiness: the store works, <see cref="StoreReadinessCheck"/>) and <c>/metrics</c>
/// (Prometheus text, <see cref="CollectorMetrics"/>). docs/operations.md, "What to watch".
/// </summary>
public static class OperationsEndpoints
{
    // Health checks map every method by default; probes read, so anything else is 405 like elsewhere.
    private static readonly HttpMethodMetadata Probe = new(["GET", "HEAD"]);

    public static void AddOperations(this IServiceCollection services)
    {
        services.AddSingleton<CollectorMetrics>();
        services.AddHealthChecks().AddCheck<StoreReadinessCheck>("store", tags: [StoreReadinessCheck.Tag]);
    }

    public static void MapOperations(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions
        {
            Predicate = _ => false, // liveness: restarting the process would not bring a database back
            ResponseWriter = WriteAsync,
        }).WithMetadata(Probe);
        app.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(StoreReadinessCheck.Tag),
            ResponseWriter = WriteAsync,
        }).WithMetadata(Probe);
        app.MapGet("/metrics", async (CollectorMetrics metrics, CancellationToken cancellationToken) =>
                TypedResults.Text(await metrics.ExportAsync(cancellationToken), CollectorMetrics.ContentType))
            .ExcludeFromDescription();
    }

    private static Task WriteAsync(HttpContext http, HealthReport report)
    {
        http.Response.ContentType = "text/plain; charset=utf-8";
        if (report.Status == HealthStatus.Healthy)
            return http.Response.WriteAsync("ok\n");
        var reasons = report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy).Select(e => $"{e.Key}: {e.Value.Description}");
        return http.Response.WriteAsync("unavailable: " + string.Join("; ", reasons) + "\n");
    }
}
