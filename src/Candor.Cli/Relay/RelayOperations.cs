using Candor.Collector.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Candor.Cli.Relay;

/// <summary>
/// Everything an operator needs to run a relay (docs/operations.md, "Running a relay"): the gateway
/// watch on the way out, the cap on held requests on the way in, and an operator listener
/// (<see cref="RelayOptions.OperatorUrls"/>) with <c>/metrics</c>, <c>/readyz</c> and <c>/healthz</c>,
/// never on the public addresses.
/// </summary>
public sealed class RelayOperations
{
    private readonly RelayOptions _options;

    public RelayOperations(RelayOptions options)
    {
        _options = options;
        Metrics = new RelayMetrics(options.MaxHeldRequests);
        Cap = new HeldRequestCap(options, Metrics);
    }

    public RelayMetrics Metrics { get; }
    public HeldRequestCap Cap { get; }
    public GatewayWatch? Watch { get; private set; }

    /// <summary>The handler chain to the gateway: the watch in front of <paramref name="connection"/>.</summary>
    public HttpMessageHandler WatchGateway(HttpMessageHandler connection) =>
        Watch = new GatewayWatch(_options, Metrics) { InnerHandler = connection };

    public void AddServices(IServiceCollection services)
    {
        services.AddSingleton(this);
        services.AddSingleton(sp => new OperatorListener(_options.OperatorUrls, sp.GetRequiredService<ILoggerFactory>(), MapOperatorEndpoints));
        services.AddHostedService(sp => sp.GetRequiredService<OperatorListener>());
    }

    /// <summary>After the app is built: logging for the watch and the cap, and the cap in the pipeline.</summary>
    public void Use(WebApplication app)
    {
        var logs = app.Services.GetRequiredService<ILoggerFactory>();
        Watch!.Log = logs.CreateLogger<GatewayWatch>();
        Cap.Log = logs.CreateLogger<HeldRequestCap>();
        app.Use(Cap.InvokeAsync);
    }

    private void MapOperatorEndpoints(WebApplication op)
    {
        // The readiness probe goes through the same watch and connection pool as the clients' requests.
        var readiness = new GatewayReadiness(_options, new HttpMessageInvoker(Watch!, disposeHandler: false), Cap);
        string[] probe = ["GET", "HEAD"];
        op.MapMethods("/healthz", probe, () => TypedResults.Text("ok\n", "text/plain; charset=utf-8"));
        op.MapMethods("/readyz", probe, async (HttpContext http) =>
            await OperationsEndpoints.WriteProbeAsync(http, await readiness.CheckAsync(http.RequestAborted)));
        op.MapMethods("/metrics", probe, async (CancellationToken cancellationToken) =>
            TypedResults.Text(await Metrics.ExportAsync(cancellationToken), CollectorMetrics.ContentType));
    }
}
