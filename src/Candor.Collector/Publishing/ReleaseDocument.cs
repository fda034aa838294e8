using System.Text.Json;
using System.Text.Json.Serialization;

namespace Candor.Collector.Publishing;

/// <summary>
/// A period's release as stored (the <c>releases</c> table's <c>document</c>): only what is published,
/// before the display rounding. Values below the threshold are not stored at all, so a dump of the
/// releases table holds nothing the public does not see.
/// </summary>
public sealed record ReleaseDocument(
    [property: JsonPropertyName("epsilon")] string Epsilon,
    [property: JsonPropertyName("threshold")] long Threshold,
    [property: JsonPropertyName("values")] IReadOnlyList<ReleasedValue> Values,
    [property: JsonPropertyName("withheld")] long? Withheld)
{
    public string ToJson() => JsonSerializer.Serialize(this, ReleaseJsonContext.Default.ReleaseDocument);

    public static ReleaseDocument FromJson(string json) =>
        JsonSerializer.Deserialize(json, ReleaseJsonContext.Default.ReleaseDocument) ?? throw new JsonException("empty release");
}

public sealed record ReleasedValue([property: JsonPropertyName("value")] string Value, [property: JsonPropertyName("count")] long Count);

[JsonSerializable(typeof(ReleaseDocument))]
internal sealed partial class ReleaseJsonContext : JsonSerializerContext;
