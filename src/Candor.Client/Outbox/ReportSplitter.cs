using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Candor.Protocol;

namespace Candor.Client.Outbox;

/// <summary>
/// Turns a sealed batch into one single-report batch per report (split uploads, docs/ohttp.md). Each
/// report is copied as it stands, every field it has, and every top-level field but <c>reports</c> is
/// kept, so whatever the report builder puts into a report reaches the collector unchanged, one report
/// at a time. The checks the collector's reader makes per batch hold for each part because they held
/// for the whole.
/// </summary>
internal static class ReportSplitter
{
    /// <summary>
    /// The parts of <paramref name="body"/>, in report order. Each key is derived from the batch's key and
    /// the report's index: splitting the same batch twice (a crash between splitting and committing, a
    /// second device process) gives the same keys, so no report can ever be sent under two keys and be
    /// counted twice. Throws <see cref="JsonException"/> or <see cref="KeyNotFoundException"/> for a body
    /// that is not a batch.
    /// </summary>
    public static List<SplitItem> Split(byte[] body, string batchKey)
    {
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        string? batchPeriod = root.TryGetProperty("period", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
        var items = new List<SplitItem>();
        int index = 0;
        foreach (var report in root.GetProperty("reports").EnumerateArray())
        {
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                foreach (var field in root.EnumerateObject())
                {
                    if (field.NameEquals("reports"))
                    {
                        w.WriteStartArray("reports");
                        report.WriteTo(w);
                        w.WriteEndArray();
                    }
                    else
                        field.WriteTo(w);
                }
                w.WriteEndObject();
            }
            string? period = report.TryGetProperty("period", out var rp) && rp.ValueKind == JsonValueKind.String ? rp.GetString() : batchPeriod;
            var end = period is not null && PeriodKey.TryParse(period, out var key) ? key.Value.End : DateOnly.MinValue;
            items.Add(new SplitItem(buffer.ToArray(), ItemKey(batchKey, index), end));
            index++;
        }
        return items;
    }

    /// <summary>
    /// 128 bits of SHA-256 over the batch key and the index: as unguessable as the batch key (a random
    /// UUID), and unlinkable to it or to the other parts' keys without it, which never leaves the device.
    /// </summary>
    public static string ItemKey(string batchKey, int index)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"candor split upload v1\n{batchKey}\n{index}"));
        return Convert.ToHexStringLower(hash.AsSpan(0, 16));
    }
}
