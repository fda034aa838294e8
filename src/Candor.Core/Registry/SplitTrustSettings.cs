namespace Candor.Registry;

/// <summary>
/// A metric aggregated with Prio3 over DAP (docs/registry.md, "Split trust"): the device splits the period's
/// value into two secret shares, seals one to the Leader's and one to the Helper's HPKE key given here, and
/// no single server ever sees it. The keys come with the registry, that is with the application's release,
/// so the Leader (the collector) cannot hand a device a Helper key of its own making.
/// </summary>
/// <param name="TaskId">The DAP task id: 32 bytes, unpadded base64url. One task per metric.</param>
/// <param name="Leader">The Leader's base URL: the collector the application reports to.</param>
/// <param name="Helper">The Helper's base URL, run by another organisation.</param>
/// <param name="LeaderHpkeConfig">The Leader's DAP <c>HpkeConfig</c>, unpadded base64url.</param>
/// <param name="HelperHpkeConfig">The Helper's DAP <c>HpkeConfig</c>, unpadded base64url.</param>
/// <param name="Vdaf"><c>count</c> or <c>histogram</c>.</param>
/// <param name="Length">Histogram buckets (0 for count).</param>
/// <param name="ChunkLength">Histogram chunk length (0 for count).</param>
public sealed record SplitTrustSettings(string TaskId, Uri Leader, Uri Helper, string LeaderHpkeConfig, string HelperHpkeConfig,
    string Vdaf, int Length, int ChunkLength)
{
    /// <summary>The <see cref="Vdaf"/> of a flag: Prio3Count.</summary>
    public const string Count = "count";

    /// <summary>The <see cref="Vdaf"/> of an enum, counter or quantity: Prio3Histogram over its allowed values.</summary>
    public const string Histogram = "histogram";

    /// <summary>The task's VDAF in the JSON Divvi Up's clients and Candor's task files use.</summary>
    public string VdafJson => Vdaf == Count
        ? "{\"type\":\"count\"}"
        : "{\"type\":\"histogram\",\"length\":" + Length + ",\"chunkLength\":" + ChunkLength + "}";

    /// <summary>
    /// The VDAF a metric's values fit, and the histogram length: a flag is a Count (true is 1); an enum, a
    /// counter and a quantity are one bucket of a Histogram over the values the registry allows (the same
    /// values the plain publication counts). Null for a histogram metric: a per-device distribution needs a
    /// vector of counts (SumVec) whose bounds the registry does not state yet.
    /// </summary>
    internal static (string Vdaf, int Length)? Fits(MetricType type, int values, int buckets, NumberTransform transform) => type switch
    {
        MetricType.Flag => (Count, 0),
        MetricType.Enum => (Histogram, values),
        MetricType.Counter => (Histogram, buckets),
        MetricType.Quantity when transform == NumberTransform.Log10 => (Histogram, MetricDefinition.MaxLog10Value + 1),
        MetricType.Quantity => (Histogram, buckets),
        _ => null,
    };
}
