using System.Text;
using Candor.Collector.Hosting;
using Prometheus;

namespace Candor.Cli.Relay;

/// <summary>
/// The relay's own health for <c>/metrics</c> on its operator listener. Like the collector's, every
/// label value comes from a closed set the relay defines (what was forwarded, how the gateway answered):
/// the relay sees client addresses and nothing here may carry one, nor any count per client.
/// </summary>
public sealed class RelayMetrics
{
    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly Counter _gatewayRequests, _refusedBusy;
    private readonly Histogram _gatewaySeconds;
    private readonly Gauge _gatewayUp, _held;

    public RelayMetrics(int maxHeld)
    {
        var f = Metrics.WithCustomRegistry(_registry);
        _gatewayRequests = f.CreateCounter("candor_relay_gateway_requests_total",
            "Requests the relay sent to its gateway, by kind (report, keys, probe) and outcome (the status class of the gateway's answer, or unreachable, or timeout).",
            new CounterConfiguration { LabelNames = ["kind", "outcome"] });
        _gatewaySeconds = f.CreateHistogram("candor_relay_gateway_duration_seconds",
            "Time from sending a request to the gateway to having its whole answer (failures included).",
            new HistogramConfiguration { LabelNames = ["kind"], Buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
        _gatewayUp = f.CreateGauge("candor_relay_gateway_up", "1 while the gateway's last answer arrived (any status), 0 after it was unreachable or timed out.");
        _held = f.CreateGauge("candor_relay_held_requests", "Client requests waiting for the gateway now.");
        f.CreateGauge("candor_relay_max_held_requests", "MaxHeldRequests: beyond it clients are answered 503 with Retry-After.").Set(maxHeld);
        _refusedBusy = f.CreateCounter("candor_relay_refused_busy_total", "Client requests answered 503 because MaxHeldRequests were already waiting.");
        f.CreateGauge("candor_build_info", "Always 1; the labels say which Candor and which .NET runtime this is.",
            new GaugeConfiguration { LabelNames = ["version", "runtime"] })
            .WithLabels(CollectorMetrics.Version, System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription).Set(1);
        foreach (var kind in GatewayWatch.Kinds)
            foreach (var outcome in new[] { "2xx", "4xx", "5xx", GatewayWatch.Unreachable, GatewayWatch.Timeout })
                _gatewayRequests.WithLabels(kind, outcome); // exported as 0 from the start
        _gatewayUp.Set(1);
        DotNetStats.Register(_registry);
    }

    public void GatewayAnswered(string kind, int status, TimeSpan elapsed)
    {
        _gatewayRequests.WithLabels(kind, Math.Clamp(status / 100, 1, 5) + "xx").Inc();
        _gatewaySeconds.WithLabels(kind).Observe(elapsed.TotalSeconds);
        _gatewayUp.Set(1);
    }

    public void GatewayFailed(string kind, string outcome, TimeSpan elapsed)
    {
        _gatewayRequests.WithLabels(kind, outcome).Inc();
        _gatewaySeconds.WithLabels(kind).Observe(elapsed.TotalSeconds);
        _gatewayUp.Set(0);
    }

    public void Held(int now) => _held.Set(now);

    public void RefusedBusy() => _refusedBusy.Inc();

    public async Task<string> ExportAsync(CancellationToken cancellationToken)
    {
        using var m = new MemoryStream();
        await _registry.CollectAndExportAsTextAsync(m, cancellationToken);
        return Encoding.UTF8.GetString(m.GetBuffer(), 0, (int)m.Length);
    }
}
