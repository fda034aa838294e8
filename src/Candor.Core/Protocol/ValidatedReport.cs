namespace Candor.Protocol;

/// <summary>
/// One report that passed validation, in canonical form: what the store keeps as a raw row. The value
/// is canonical text (<c>"10"</c>, <c>"linux"</c>, <c>"true"</c>, <c>{"100":3,"250":1}</c>), so equal
/// values are equal strings whatever the client's spelling.
/// </summary>
/// <param name="Commitment">The 32-byte commitment the client sent with the report for the transparency
/// log (docs/transparency.md), or null when it sent none (clients before the log, or with it off).</param>
internal readonly record struct ValidatedReport(string Metric, string Period, string Value, HistogramEntry[]? Histogram, byte[]? Commitment = null);

/// <summary>One bucket of a histogram report: the bucket's canonical lower bound and its count.</summary>
internal readonly record struct HistogramEntry(string Bucket, long Count);
