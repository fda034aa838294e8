using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Candor.Client.Transport;
using Candor.Transparency;

namespace Candor.Client.Transparency;

/// <summary>
/// The collector's public log API (docs/api.md, "Transparency log"), over the client's transport (direct,
/// Tor or Oblivious HTTP, as for uploads). Every request is a plain GET of public data except deletion;
/// none carries a header that could say who asks. Answers that do not parse are refused with the reason,
/// never half read.
/// </summary>
internal sealed class LogReader(ClientTransport transport)
{
    /// <summary>The reader over the client's transport; without a collector there is no log, which is the caller's mistake.</summary>
    public static LogReader Over(ClientTransport? transport) =>
        transport is null ? throw new InvalidOperationException("No collector is configured (CollectorUrl): there is no log to check.") : new LogReader(transport);

    public const string PendingProblem = "urn:candor:problem:commitment-pending";
    public const string NotInLogProblem = "urn:candor:problem:not-in-log";
    public const string NoCheckpointProblem = "urn:candor:problem:no-checkpoint";
    public const string LogDisabledProblem = "urn:candor:problem:log-disabled";

    /// <summary>Refuses answers larger than any honest one (a proof at 2^64 leaves is 64 hashes).</summary>
    private const int MaxAnswerBytes = 1 << 20;

    /// <summary>The latest signed checkpoint; null while the log has none (no epoch sealed yet).</summary>
    public async Task<string?> CheckpointAsync(CancellationToken cancel)
    {
        var (status, text, type) = await GetAsync("v1/log/checkpoint", cancel).ConfigureAwait(false);
        if (status == HttpStatusCode.NotFound && type == NoCheckpointProblem)
            return null;
        return status == HttpStatusCode.OK ? text : throw Unexpected("the checkpoint", status, text);
    }

    public async Task<string> KeyAsync(CancellationToken cancel)
    {
        var (status, text, _) = await GetAsync("v1/log/key", cancel).ConfigureAwait(false);
        return status == HttpStatusCode.OK ? text.Trim() : throw Unexpected("the log key", status, text);
    }

    /// <summary>The inclusion proof of a commitment's report (or deletion) leaf in the tree of <paramref name="treeSize"/> leaves.</summary>
    public async Task<InclusionAnswer> InclusionAsync(string commitment, ulong treeSize, LogEntryKind kind, CancellationToken cancel)
    {
        var path = $"v1/log/inclusion?commitment={commitment}&tree_size={treeSize}" + (kind == LogEntryKind.Deletion ? "&kind=deletion" : "");
        var (status, text, type) = await GetAsync(path, cancel).ConfigureAwait(false);
        if (status == HttpStatusCode.NotFound && type is PendingProblem or NotInLogProblem)
            return new InclusionAnswer(type == PendingProblem ? InclusionState.Pending : InclusionState.NotInLog, 0, 0, []);
        if (status != HttpStatusCode.OK)
            throw Unexpected("an inclusion proof", status, text);
        using var doc = Parse(text, "an inclusion proof");
        var root = doc.RootElement;
        if (!root.TryGetProperty("leaf_index", out var i) || !i.TryGetUInt64(out var index)
            || !root.TryGetProperty("tree_size", out var s) || !s.TryGetUInt64(out var size))
            throw new InvalidDataException("The collector's inclusion proof has no leaf_index or tree_size.");
        return new InclusionAnswer(InclusionState.Found, index, size, Hashes(root, "an inclusion proof"));
    }

    public async Task<IReadOnlyList<byte[]>> ConsistencyAsync(ulong from, ulong to, CancellationToken cancel)
    {
        var (status, text, _) = await GetAsync($"v1/log/consistency?from={from}&to={to}", cancel).ConfigureAwait(false);
        if (status != HttpStatusCode.OK)
            throw Unexpected("a consistency proof", status, text);
        using var doc = Parse(text, "a consistency proof");
        return Hashes(doc.RootElement, "a consistency proof");
    }

    /// <summary>Reveals the receipts' nonces to the collector, which deletes their reports; answers each receipt's outcome by commitment.</summary>
    public async Task<IReadOnlyDictionary<string, string>> DeleteAsync(string app, IReadOnlyList<Receipt> receipts, CancellationToken cancel)
    {
        var body = new MemoryStream();
        using (var w = new Utf8JsonWriter(body))
        {
            w.WriteStartObject();
            w.WriteString("app", app);
            w.WriteStartArray("receipts");
            foreach (var r in receipts)
            {
                w.WriteStartObject();
                w.WriteString("nonce", r.Nonce);
                w.WriteString("metric", r.Metric);
                w.WriteString("period", r.Period);
                w.WriteString("value", r.Value);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(transport.BaseUrl, "v1/log/deletions")) { Content = new ByteArrayContent(body.ToArray()) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        var (status, text, _) = await SendAsync(request, cancel).ConfigureAwait(false);
        if (status != HttpStatusCode.OK)
            throw Unexpected("the deletion", status, text);
        using var doc = Parse(text, "the deletion answer");
        var results = new Dictionary<string, string>(StringComparer.Ordinal);
        if (doc.RootElement.TryGetProperty("results", out var list) && list.ValueKind == JsonValueKind.Array)
            foreach (var r in list.EnumerateArray())
                if (r.TryGetProperty("commitment", out var c) && c.ValueKind == JsonValueKind.String
                    && r.TryGetProperty("status", out var st) && st.ValueKind == JsonValueKind.String)
                    results[c.GetString()!] = st.GetString()!;
        return results;
    }

    private async Task<(HttpStatusCode Status, string Text, string? ProblemType)> GetAsync(string path, CancellationToken cancel)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(transport.BaseUrl, path));
        return await SendAsync(request, cancel).ConfigureAwait(false);
    }

    private async Task<(HttpStatusCode Status, string Text, string? ProblemType)> SendAsync(HttpRequestMessage request, CancellationToken cancel)
    {
        using var response = await transport.SendAsync(request, cancel).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancel).ConfigureAwait(false);
        if (bytes.Length > MaxAnswerBytes)
            throw new InvalidDataException($"The collector's answer to {request.RequestUri!.AbsolutePath} is larger than any log answer ({bytes.Length} bytes).");
        var text = Encoding.UTF8.GetString(bytes);
        string? type = null;
        if (response.Content.Headers.ContentType?.MediaType == "application/problem+json")
            try
            {
                using var doc = JsonDocument.Parse(text);
                type = doc.RootElement.TryGetProperty("type", out var t) ? t.GetString() : null;
            }
            catch (JsonException) { }
        return (response.StatusCode, text, type);
    }

    private static JsonDocument Parse(string text, string what)
    {
        try { return JsonDocument.Parse(text); }
        catch (JsonException) { throw new InvalidDataException($"The collector's answer with {what} is not JSON."); }
    }

    private static List<byte[]> Hashes(JsonElement root, string what)
    {
        if (!root.TryGetProperty("hashes", out var hashes) || hashes.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"The collector's answer with {what} has no hashes.");
        var list = new List<byte[]>();
        foreach (var h in hashes.EnumerateArray())
        {
            byte[]? bytes = null;
            try { bytes = h.ValueKind == JsonValueKind.String ? Convert.FromBase64String(h.GetString()!) : null; }
            catch (FormatException) { }
            if (bytes is not { Length: MerkleHash.Size })
                throw new InvalidDataException($"The collector's answer with {what} holds a hash that is not 32 bytes of base64.");
            list.Add(bytes);
        }
        return list;
    }

    private static Exception Unexpected(string what, HttpStatusCode status, string text)
    {
        // A collector without a log says so in a problem; one that predates the log has no such route at all.
        if (status == HttpStatusCode.NotFound && text.Contains(LogDisabledProblem, StringComparison.Ordinal))
            return new InvalidOperationException("The collector keeps no transparency log (its Transparency:Enabled setting is off): there is nothing to check or delete by receipt.");
        if (status == HttpStatusCode.NotFound && !text.Contains("urn:candor:problem:", StringComparison.Ordinal))
            return new InvalidOperationException($"The collector has no transparency log API (404 for {what}): it may be a version without one.");
        return new HttpRequestException($"The collector answered {(int)status} {status} for {what}{(text.Length > 0 ? ": " + (text.Length > 200 ? text[..200] + "…" : text) : "")}.", null, status);
    }
}
