using System.Buffers;
using System.Text.Json;
using Candor.Announcements;
using Candor.Protocol;
using Candor.Registry;

namespace Candor.Client.Announcements;

/// <summary>
/// What an announcements fetch may say about the installation: each parameter is a registry metric like
/// any report (<see cref="FetchParameterNames"/>), sent only when the registry declares it, the user's
/// consent covers it (category and metric switched on), and the value is one the registry allows: an
/// enum value from its list (else <c>other</c> if listed, else nothing), an install age as
/// <c>round(log10(days))</c>. Each one is checked by the collector's own batch reader, as reports are,
/// so a raw version string such as <c>2.0.0-nightly.20261201+g3f1c0a9</c> or a language tag such as
/// <c>pt-BR-x-anna</c> never leaves the device.
/// </summary>
internal sealed record FetchParameters(IReadOnlyList<(string Name, string Value)> Values)
{
    public static readonly FetchParameters None = new([]);

    /// <summary>A repeat fetch of the day: served, not counted, and saying nothing else (<see cref="FetchParameterNames.Counted"/>).</summary>
    public static readonly FetchParameters Repeat = new([(FetchParameterNames.Counted, "0")]);

    /// <summary><c>round(log10(install_age_days))</c>: 0 for under ~3 days, 1 up to ~31, 2 up to ~316, 3 beyond.</summary>
    public static int InstallAgeBucket(double days) => days < 1 ? 0 : (int)Math.Round(Math.Log10(days), MidpointRounding.AwayFromZero);

    public string ToQuery() => string.Join("&", Values.Select(v => v.Name + "=" + Uri.EscapeDataString(v.Value)));

    public static FetchParameters For(MetricRegistry registry, Func<MetricDefinition, bool> allowed, CandorClientOptions options, DateTimeOffset now)
    {
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var compiled = new CompiledRegistry(registry);
        var values = new List<(string, string)>();
        foreach (var (name, metricName) in FetchParameterNames.Metrics)
        {
            if (registry.FindMetric(metricName) is not { } metric || !allowed(metric))
                continue;
            object? value = (name, metric.Type) switch
            {
                ("version", MetricType.Enum) => Allowlisted(metric, options.AppVersion),
                ("platform", MetricType.Enum) => Allowlisted(metric, options.Platform),
                ("language", MetricType.Enum) => Allowlisted(metric, options.Language?.ToLowerInvariant()), // registry values are lower case
                ("install_age", MetricType.Quantity) when metric.Transform == NumberTransform.Log10 && options.InstalledAt is { } at =>
                    InstallAgeBucket((now - at).TotalDays),
                _ => null,
            };
            if (value is not null && PassesTheCollectorsReader(registry, compiled, metric, value, today))
                values.Add((name, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!));
        }
        return new(values);
    }

    private static string? Allowlisted(MetricDefinition metric, string? value) =>
        value is null ? null
        : metric.Values.Contains(value, StringComparer.Ordinal) ? value
        : metric.Values.Contains("other", StringComparer.Ordinal) ? "other"
        : null;

    /// <summary>The value as a one-report batch, read by the same code the collector uses for reports.</summary>
    private static bool PassesTheCollectorsReader(MetricRegistry registry, CompiledRegistry compiled, MetricDefinition metric, object value, DateOnly today)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("schema", registry.Version);
            w.WriteStartArray("reports");
            w.WriteStartObject();
            w.WriteString("metric", metric.Name);
            w.WriteString("period", PeriodKey.For(metric.Period, today).ToString());
            if (value is int n) w.WriteNumber("value", n);
            else w.WriteString("value", (string)value);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return ReportBatchReader.Read(buffer.WrittenSpan, v => v == registry.Version ? compiled : null, new BatchRules(today)).Status == BatchStatus.Valid;
    }
}
