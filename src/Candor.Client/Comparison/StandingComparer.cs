using System.Globalization;
using System.Net;
using System.Text.Json;
using Candor.Client.LocalStore;
using Candor.Protocol;
using Candor.Registry;

namespace Candor.Client.Comparison;

/// <summary>
/// "Where do I stand": compares what this device recorded in the current period with the collector's
/// public figures for the newest published period, on the device. The only request is
/// <c>GET /v1/public/apps/{app}/metrics/{metric}?from=&amp;to=</c> over the client's configured
/// transport, with a range that depends on the date alone, so every installation asking about a metric
/// that day sends the same request: the answer reveals nothing about the installation, and no report,
/// count or value of it ever leaves the device for a comparison.
/// </summary>
internal static class StandingComparer
{
    /// <summary>How far back to look for a published (final) period: final periods lag by up to a few weeks.</summary>
    public const int LookBackWeeks = 8;

    public static async Task<Standing> CompareAsync(MetricDefinition metric, IReadOnlyList<Observation> observations, Transport.ClientTransport transport,
        string app, DateOnly today, CancellationToken cancel)
    {
        var current = PeriodKey.For(metric.Period, today);
        var mine = observations.Where(o => o.Metric == metric.Name && o.Period == current.ToString()).ToList();
        string unit = metric.Period == MetricPeriod.Week ? "week" : "day";
        if (metric.Type == MetricType.Histogram)
            return new Standing(metric.Name, $"{Text(metric)}: a distribution of many measurements, which has no single value to compare; see the dashboard for how it looks across installations.", null, null, null);

        var from = PeriodKey.For(metric.Period, today.AddDays(-7 * LookBackWeeks));
        var url = new Uri(transport.BaseUrl, $"v1/public/apps/{Uri.EscapeDataString(app)}/metrics/{Uri.EscapeDataString(metric.Name)}?from={from}&to={current}");
        using var response = await transport.SendAsync(new HttpRequestMessage(HttpMethod.Get, url), cancel).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
            throw new InvalidOperationException($"The collector at {transport.BaseUrl} publishes no figures for {app} {metric.Name}.");
        response.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(cancel).ConfigureAwait(false));
        // The newest final period with published rows; rows merged as "other (withheld)" have no value to compare with.
        var period = doc.RootElement.GetProperty("periods").EnumerateArray()
            .Where(p => p.GetProperty("state").GetString() == "final" && p.GetProperty("values").GetArrayLength() > 0)
            .LastOrDefault();
        if (period.ValueKind != JsonValueKind.Object)
            return new Standing(metric.Name, $"{Text(metric)}: nothing is published yet to compare with (periods are published once final, and only values enough installations report).", Yours(metric, mine), null, null);
        string published = period.GetProperty("period").GetString()!;
        var rows = period.GetProperty("values").EnumerateArray()
            .Where(v => !(v.TryGetProperty("withheld", out var w) && w.ValueKind == JsonValueKind.True))
            .Select(v => (Value: v.GetProperty("value").GetString()!, Count: v.GetProperty("count").GetInt64())).ToList();
        long total = rows.Sum(r => r.Count);
        string where = $"in {published}, the newest published {unit}, among {total.ToString("N0", CultureInfo.InvariantCulture)} installations";

        switch (metric.Type)
        {
            case MetricType.Flag:
            {
                bool used = mine.Count > 0;
                double share = total == 0 ? 0 : rows.Where(r => r.Value == "true").Sum(r => r.Count) / (double)total;
                string sentence = used
                    ? $"{Text(metric)}: yes for you this {unit}, as for about {Percent(share)} of installations ({where})."
                    : $"{Text(metric)}: not so far for you this {unit}; it was for about {Percent(share)} of installations ({where}).";
                return new Standing(metric.Name, sentence, used ? "yes" : "no", published, share);
            }
            case MetricType.Enum:
            {
                var value = mine.OrderByDescending(o => o.Amount).FirstOrDefault()?.Item;
                if (value is null)
                    return new Standing(metric.Name, $"{Text(metric)}: nothing recorded for you this {unit} yet.", null, published, null);
                double share = total == 0 ? 0 : rows.Where(r => r.Value == value).Sum(r => r.Count) / (double)total;
                return new Standing(metric.Name, $"{Text(metric)}: {value} for you this {unit}, as for about {Percent(share)} of installations ({where}).", value, published, share);
            }
            default:
            {
                long? raw = metric.Type == MetricType.Counter ? mine.Sum(o => o.Amount) : mine.LastOrDefault()?.Amount;
                if (raw is not { } v)
                    return new Standing(metric.Name, $"{Text(metric)}: nothing recorded for you this {unit} yet.", null, published, null);
                // Compare in the published form: a bucket's lower bound, or the order of magnitude.
                long yours = metric.Transform == NumberTransform.Log10 ? (long)Math.Round(Math.Log10(Math.Max(1, v)))
                    : metric.Buckets.Where(b => b <= v).DefaultIfEmpty(long.MinValue).Max();
                long below = rows.Where(r => long.TryParse(r.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var x) && x < yours).Sum(r => r.Count);
                double share = total == 0 ? 0 : below / (double)total;
                string shown = v.ToString("N0", CultureInfo.InvariantCulture);
                return new Standing(metric.Name, $"{Text(metric)}: {shown} for you this {unit}; about {Percent(share)} of installations had fewer ({where}).", shown, published, share);
            }
        }
    }

    /// <summary>The registry's description without its full stop, as the start of a sentence.</summary>
    private static string Text(MetricDefinition m) => m.Description.TrimEnd('.', ' ');

    private static string Percent(double share) => Math.Round(share * 100).ToString("0", CultureInfo.InvariantCulture) + " %";

    private static string? Yours(MetricDefinition m, List<Observation> mine) => mine.Count == 0 ? null
        : m.Type == MetricType.Counter ? mine.Sum(o => o.Amount).ToString(CultureInfo.InvariantCulture)
        : m.Type == MetricType.Flag ? "yes"
        : m.Type == MetricType.Enum ? mine.OrderByDescending(o => o.Amount).First().Item
        : mine[^1].Amount.ToString(CultureInfo.InvariantCulture);
}
