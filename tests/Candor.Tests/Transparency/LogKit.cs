using System.Net;
using System.Text.Json;
using Candor.Collector.Transparency;
using Candor.Tests.Infrastructure;
using Candor.Transparency;
using Microsoft.Extensions.DependencyInjection;

namespace Candor.Tests.Transparency;

/// <summary>What the tests do as a device and as a monitor would: send committed reports, read the log over HTTP, check it.</summary>
internal static class LogKit
{
    public sealed record Sent(byte[] Nonce, string Commitment, string Metric, string Period, string Value);

    /// <summary>A batch of reports (metric, value as JSON, canonical value) each with a fresh commitment.</summary>
    public static (string Body, List<Sent> Sent) Batch(string app, params (string Metric, string Json, string Canonical)[] reports)
    {
        var sent = new List<Sent>();
        var items = new List<string>();
        foreach (var (metric, json, canonical) in reports)
        {
            var nonce = ReportCommitment.NewNonce();
            var c = ReportCommitment.Encode(ReportCommitment.Compute(nonce, app, metric, TestRegistries.Week, canonical));
            sent.Add(new Sent(nonce, c, metric, TestRegistries.Week, canonical));
            items.Add($$"""{"metric":"{{metric}}","value":{{json}},"commitment":"{{c}}"}""");
        }
        return ($$"""{"schema":1,"period":"{{TestRegistries.Week}}","reports":[{{string.Join(",", items)}}]}""", sent);
    }

    public static Task<long?> SealAsync(CollectorHost host, bool force = true) =>
        host.App.Services.GetRequiredService<EpochSealer>().SealNowAsync(force);

    public static async Task<EcdsaNoteKey> KeyAsync(HttpClient client)
    {
        var text = await client.GetStringAsync("/v1/log/key");
        Assert.True(NoteVerifierKey.TryParse(text, out var key, out var reason), reason);
        return key!;
    }

    /// <summary>The latest checkpoint, its signature checked with <paramref name="key"/>.</summary>
    public static async Task<Checkpoint> CheckpointAsync(HttpClient client, EcdsaNoteKey key)
    {
        var response = await client.GetAsync("/v1/log/checkpoint");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Equal("no-cache", response.Headers.CacheControl!.ToString());
        var note = await response.Content.ReadAsStringAsync();
        Assert.True(SignedNote.TryOpen(note, [key], out var text, out var reason), reason);
        Assert.True(Checkpoint.TryParse(text, out var checkpoint, out reason), reason);
        return checkpoint!;
    }

    public static async Task<JsonElement> JsonAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement;
    }

    public static List<byte[]> Hashes(JsonElement proof) =>
        proof.GetProperty("hashes").EnumerateArray().Select(h => Convert.FromBase64String(h.GetString()!)).ToList();

    /// <summary>Fetches the inclusion proof of a commitment's entry and checks it against the checkpoint; returns the leaf index.</summary>
    public static async Task<ulong> ProveIncludedAsync(HttpClient client, Checkpoint checkpoint, string commitment, LogEntryKind kind = LogEntryKind.Report)
    {
        var kindText = kind == LogEntryKind.Report ? "report" : "deletion";
        var proof = await JsonAsync(client, $"/v1/log/inclusion?commitment={commitment}&tree_size={checkpoint.Size}&kind={kindText}");
        Assert.Equal((long)checkpoint.Size, proof.GetProperty("tree_size").GetInt64());
        Assert.Equal(kindText, proof.GetProperty("kind").GetString());
        ReportCommitment.TryDecode(commitment, out var c);
        var index = (ulong)proof.GetProperty("leaf_index").GetInt64();
        Assert.True(MerkleProof.VerifyInclusion(index, checkpoint.Size, new LogEntry(kind, c).LeafHash(), Hashes(proof), checkpoint.RootHash, out var reason), reason);
        return index;
    }
}
