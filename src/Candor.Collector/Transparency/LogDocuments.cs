using System.Text.Json.Serialization;

namespace Candor.Collector.Transparency;

/// <summary>An inclusion proof: the leaf's index, the tree size it is proved against, the hashes (standard base64).</summary>
public sealed record InclusionDocument(
    [property: JsonPropertyName("leaf_index")] long LeafIndex,
    [property: JsonPropertyName("tree_size")] long TreeSize,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("hashes")] IReadOnlyList<string> Hashes);

/// <summary>A consistency proof from tree size <c>from</c> to <c>to</c>.</summary>
public sealed record ConsistencyDocument(
    [property: JsonPropertyName("from")] long From,
    [property: JsonPropertyName("to")] long To,
    [property: JsonPropertyName("hashes")] IReadOnlyList<string> Hashes);

/// <summary>Log entries from leaf <c>start</c> on, each the 33 bytes kind || commitment in standard base64.</summary>
public sealed record EntriesDocument(
    [property: JsonPropertyName("start")] long Start,
    [property: JsonPropertyName("entries")] IReadOnlyList<string> Entries);

/// <summary>A deletion request: the app and, per report, the nonce and the report as it was committed.</summary>
public sealed record DeletionRequestDocument(
    [property: JsonPropertyName("app")] string? App,
    [property: JsonPropertyName("receipts")] IReadOnlyList<ReceiptDocument?>? Receipts);

public sealed record ReceiptDocument(
    [property: JsonPropertyName("nonce")] string? Nonce,
    [property: JsonPropertyName("metric")] string? Metric,
    [property: JsonPropertyName("period")] string? Period,
    [property: JsonPropertyName("value")] string? Value);

public sealed record DeletionAnswerDocument([property: JsonPropertyName("results")] IReadOnlyList<DeletionResultDocument> Results);

public sealed record DeletionResultDocument(
    [property: JsonPropertyName("commitment")] string Commitment,
    [property: JsonPropertyName("status")] string Status);

[JsonSerializable(typeof(InclusionDocument))]
[JsonSerializable(typeof(ConsistencyDocument))]
[JsonSerializable(typeof(EntriesDocument))]
[JsonSerializable(typeof(DeletionRequestDocument))]
[JsonSerializable(typeof(DeletionAnswerDocument))]
[JsonSourceGenerationOptions(UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow)]
internal sealed partial class LogJsonContext : JsonSerializerContext;
