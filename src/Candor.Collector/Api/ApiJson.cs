using System.Text.Json.Serialization;

namespace Candor.Collector.Api;

/// <summary>The 202 answer to a batch.</summary>
public sealed record AcceptedAnswer(
    [property: JsonPropertyName("accepted")] int Accepted,
    [property: JsonPropertyName("next_report_after_seconds")] long NextReportAfterSeconds);

/// <summary>A registry version as published on <c>GET /v1/apps/{app}/registry</c>.</summary>
public sealed record RegistryDocument(
    [property: JsonPropertyName("app")] string App,
    [property: JsonPropertyName("version")] int Version,
    [property: JsonPropertyName("versions")] IReadOnlyList<int> Versions,
    [property: JsonPropertyName("categories")] IReadOnlyList<CategoryDocument> Categories,
    [property: JsonPropertyName("metrics")] IReadOnlyList<MetricDocument> Metrics);

public sealed record CategoryDocument(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("description")] string Description);

public sealed record MetricDocument(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("category")] string Category,
    [property: JsonPropertyName("period")] string Period,
    [property: JsonPropertyName("buckets"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<long>? Buckets,
    [property: JsonPropertyName("values"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Values,
    [property: JsonPropertyName("transform"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Transform,
    [property: JsonPropertyName("description")] string Description,
    [property: JsonPropertyName("purpose")] string Purpose,
    [property: JsonPropertyName("expires")] string Expires,
    [property: JsonPropertyName("built_in")] bool BuiltIn);

/// <summary>The purge log of an app, as published on <c>GET /v1/apps/{app}/purges</c>.</summary>
public sealed record PurgeLogDocument(
    [property: JsonPropertyName("app")] string App,
    [property: JsonPropertyName("retention_days")] int RetentionDays,
    [property: JsonPropertyName("purges")] IReadOnlyList<PurgeDocument> Purges);

/// <summary>
/// One purge, in public: dates only. The row and report counts stay in the database and the operator's
/// log; published, a daily purge of <c>candor.active</c> would be an exact, unprotected daily-actives figure.
/// </summary>
public sealed record PurgeDocument(
    [property: JsonPropertyName("day")] string Day,
    [property: JsonPropertyName("purged_before")] string PurgedBefore);

[JsonSerializable(typeof(AcceptedAnswer))]
[JsonSerializable(typeof(PurgeLogDocument))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(RegistryDocument))]
[JsonSerializable(typeof(Candor.Collector.PrivacyPass.TokenChallengeDocument))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
