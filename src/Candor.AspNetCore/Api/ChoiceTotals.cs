using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text;
using Candor.AspNetCore.Consent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Candor.AspNetCore.Api;

/// <summary>
/// Totals of this service's <c>candor.metrics_optout.choices</c> counter, for a Prometheus-style
/// <c>/metrics</c> without an exporter package. Only the counter's own tags (value, source) exist here,
/// so nothing about a user can reach the page.
/// </summary>
public sealed class ChoiceTotals : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(string Value, string Source), long> _totals = new();

    /// <summary>Listens to the choices counter of the <see cref="ConsentPreferences"/> created by <paramref name="factory"/> only.</summary>
    public ChoiceTotals(IMeterFactory factory)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == ConsentPreferences.MeterName && instrument.Name == ConsentPreferences.CounterName
                && ReferenceEquals(instrument.Meter.Scope, factory))
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string v = "", s = "";
            foreach (var t in tags)
            {
                if (t.Key == "metrics_optout") v = t.Value as string ?? "";
                else if (t.Key == "source") s = t.Value as string ?? "";
            }
            _totals.AddOrUpdate((v, s), value, (_, old) => old + value);
        });
        _listener.Start();
    }

    /// <summary>Prometheus text exposition of the totals.</summary>
    public string ToPrometheusText()
    {
        var sb = new StringBuilder();
        sb.Append("# HELP candor_metrics_optout_choices_total Non-default metrics_optout values set, by value and source; no user id.\n");
        sb.Append("# TYPE candor_metrics_optout_choices_total counter\n");
        foreach (var ((value, source), total) in _totals.OrderBy(kv => kv.Key))
            sb.Append($"candor_metrics_optout_choices_total{{metrics_optout=\"{value}\",source=\"{source}\"}} {total}\n");
        return sb.ToString();
    }

    /// <summary>Stops listening.</summary>
    public void Dispose() => _listener.Dispose();
}

/// <summary>Maps the choice totals for a metrics scraper.</summary>
public static class ChoiceTotalsEndpoints
{
    /// <summary>Serves <see cref="ChoiceTotals"/> as Prometheus text at <paramref name="path"/> (default <c>/metrics</c>).</summary>
    public static IEndpointConventionBuilder MapCandorConsentMetrics(this IEndpointRouteBuilder endpoints, string path = "/metrics")
    {
        // Resolved now so the listener counts from start-up, not from the first scrape.
        var totals = endpoints.ServiceProvider.GetRequiredService<ChoiceTotals>();
        return endpoints.MapGet(path, () => Results.Text(totals.ToPrometheusText(), "text/plain; version=0.0.4"));
    }
}
