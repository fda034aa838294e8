using System.Globalization;
using System.Text.Json;
using System.Text;
using Candor.Client.Consent;
using Candor.Client.LocalStore;
using Candor.Client.Outbox;
using Candor.Client.Transparency;
using Candor.Registry;

namespace Candor.Client.UserData;

/// <summary>Writes everything the device holds in a form the user can keep or inspect (privacy invariant 7).</summary>
internal static class LocalDataExport
{
    /// <summary>
    /// UTC with a Z: plain ISO 8601 that no JSON writer escapes (an offset's '+' came out as \u002B,
    /// which a user reading their own export should not have to decode).
    /// </summary>
    internal static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    public static string Json(MetricRegistry registry, EffectiveConsent consent, List<Observation> observations, List<OutboxBatch> pending, List<SentBatch> sent,
        IReadOnlyList<Receipt>? receipts = null)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("app", registry.App);
            w.WriteNumber("registry_version", registry.Version);
            w.WriteString("consent", consent.State.ToString().ToLowerInvariant());
            w.WriteStartArray("collected");
            foreach (var o in observations)
            {
                w.WriteStartObject();
                w.WriteString("metric", o.Metric);
                w.WriteString("period", o.Period);
                if (o.Item.Length > 0) w.WriteString("item", o.Item);
                w.WriteNumber("amount", o.Amount);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("pending");
            foreach (var b in pending)
            {
                using var doc = JsonDocument.Parse(b.Body);
                doc.RootElement.WriteTo(w);
            }
            w.WriteEndArray();
            w.WriteStartArray("sent");
            foreach (var s in sent)
            {
                w.WriteStartObject();
                w.WriteString("sent_at", Iso(s.SentAt));
                w.WriteNumber("accepted", s.Accepted);
                w.WritePropertyName("batch");
                using var doc = JsonDocument.Parse(s.Body);
                doc.RootElement.WriteTo(w);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            // The nonces are the user's: with them the reports can be checked and deleted from anywhere.
            w.WriteStartArray("receipts");
            foreach (var r in receipts ?? [])
            {
                w.WriteStartObject();
                w.WriteString("metric", r.Metric);
                w.WriteString("period", r.Period);
                w.WriteString("value", r.Value);
                w.WriteString("commitment", r.Commitment);
                w.WriteString("nonce", r.Nonce);
                w.WriteString("status", r.Status.ToString().ToLowerInvariant());
                if (r.SentAt is { } at) w.WriteString("sent_at", Iso(at));
                if (r.LeafIndex is { } leaf) w.WriteNumber("leaf_index", leaf);
                if (r.TreeSize is { } size) w.WriteNumber("tree_size", size);
                if (r.DeletedAt is { } deleted) w.WriteString("deleted_at", Iso(deleted));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <summary>One row per collected item, sent/pending report or receipt: <c>section,metric,period,item,value</c>
    /// (a receipt's item is <c>status commitment nonce</c>).</summary>
    public static string Csv(List<Observation> observations, List<OutboxBatch> pending, List<SentBatch> sent, IReadOnlyList<Receipt>? receipts = null)
    {
        var sb = new StringBuilder("section,metric,period,item,value\n");
        foreach (var o in observations)
            Row(sb, "collected", o.Metric, o.Period, o.Item, o.Amount.ToString(CultureInfo.InvariantCulture));
        foreach (var b in pending)
            Reports(sb, "pending", b.Body);
        foreach (var s in sent)
            Reports(sb, "sent", Encoding.UTF8.GetBytes(s.Body));
        foreach (var r in receipts ?? [])
            Row(sb, "receipt", r.Metric, r.Period, $"{r.Status.ToString().ToLowerInvariant()} {r.Commitment} {r.Nonce}", r.Value);
        return sb.ToString();
    }

    private static void Reports(StringBuilder sb, string section, byte[] body)
    {
        using var doc = JsonDocument.Parse(body);
        string? batchPeriod = doc.RootElement.TryGetProperty("period", out var bp) ? bp.GetString() : null;
        foreach (var r in doc.RootElement.GetProperty("reports").EnumerateArray())
        {
            var period = r.TryGetProperty("period", out var p) ? p.GetString() : batchPeriod;
            Row(sb, section, r.GetProperty("metric").GetString()!, period ?? "", "", r.GetProperty("value").GetRawText());
        }
    }

    private static void Row(StringBuilder sb, params string[] fields) =>
        sb.AppendLine(string.Join(',', fields.Select(Quote)));

    private static string Quote(string f) =>
        f.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + f.Replace("\"", "\"\"") + "\"" : f;
}
