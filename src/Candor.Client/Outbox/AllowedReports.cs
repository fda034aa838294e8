using System.Text.Json;

namespace Candor.Client.Outbox;

/// <summary>
/// The one place that cuts a sealed batch down to what the user still allows (privacy invariant 3 for
/// data already sealed). Used twice: when the user switches a metric or category off (the pending
/// batches are rewritten at once) and by the upload worker just before each send, because the rewrite
/// can fail (a full disk) or be lost (the app exits before the disk has room again), and a batch sealed
/// while a metric was on must never leave after it was switched off.
/// </summary>
internal static class AllowedReports
{
    /// <summary>What is left of a batch: the same bytes when every report is allowed, a rewritten body, or null when nothing may leave.</summary>
    public readonly record struct Kept(byte[]? Body, int Removed, bool Damaged)
    {
        public bool Changed => Removed > 0 || Damaged;
    }

    /// <summary>
    /// Keeps the reports whose metric <paramref name="allowed"/> accepts, and every other field of the batch
    /// as it was. A body that is not a batch any more cannot be checked, so none of it may be sent (Damaged).
    /// </summary>
    public static Kept Filter(byte[] body, Func<string, bool> allowed)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(body); }
        catch (JsonException) { return new(null, 0, true); }
        using var _ = doc;
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("reports", out var list) || list.ValueKind != JsonValueKind.Array)
            return new(null, 0, true);
        var reports = list.EnumerateArray().ToList();
        var keep = reports.Where(r => r.ValueKind == JsonValueKind.Object && r.TryGetProperty("metric", out var m)
            && m.ValueKind == JsonValueKind.String && allowed(m.GetString()!)).ToList();
        if (keep.Count == reports.Count)
            return new(body, 0, false);
        if (keep.Count == 0)
            return new(null, reports.Count, false);
        return new(WithReports(root, keep), reports.Count - keep.Count, false);
    }

    /// <summary>The batch <paramref name="root"/> with its <c>reports</c> array replaced by <paramref name="keep"/>, every other field as it was.</summary>
    internal static byte[] WithReports(JsonElement root, IEnumerable<JsonElement> keep)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            foreach (var field in root.EnumerateObject())
            {
                if (!field.NameEquals("reports"))
                {
                    field.WriteTo(w);
                    continue;
                }
                w.WriteStartArray("reports");
                foreach (var r in keep)
                    r.WriteTo(w);
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        return ms.ToArray();
    }
}
