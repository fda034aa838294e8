using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Candor.Client.Transparency;
using Candor.Transparency;
using Microsoft.AspNetCore.WebUtilities;

namespace Candor.Tests.Transparency;

/// <summary>
/// The collector's log API (docs/api.md) answered from an in-memory <see cref="MerkleTree"/> the test
/// controls, through <see cref="Candor.Tests.Client.WireTap.Intercept"/>: reports still go to the real
/// collector, and the test can make the log misbehave in ways a correct collector never would (serve
/// another tree, a smaller one, a bad proof, a note signed by another key).
/// </summary>
internal sealed class ScriptedLog
{
    public const string Origin = "log.example.test/candor";

    private readonly List<byte[]> _entries = [];
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);

    public ScriptedLog()
    {
        Signer = EcdsaNoteKey.ForSigning(Origin, Key);
        Tree = new MerkleTree();
    }

    public ECDsa Key { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public EcdsaNoteKey Signer { get; private set; }

    public MerkleTree Tree { get; private set; }

    /// <summary>The verifier key in vkey form, as an app would ship it.</summary>
    public string VerifierKey => NoteVerifierKey.Format(Signer);

    /// <summary>Set to serve a checkpoint of this many leaves instead of the whole tree.</summary>
    public long? ServedSize { get; set; }

    /// <summary>Set to serve this note instead of the honest checkpoint.</summary>
    public string? ServedNote { get; set; }

    /// <summary>Set to corrupt every inclusion proof served.</summary>
    public bool BreakInclusionProofs { get; set; }

    /// <summary>Set to make every log request fail as if the collector could not be reached.</summary>
    public bool Unreachable { get; set; }

    public int LookUps { get; private set; }

    public List<string> Paths { get; } = [];

    public void Append(string commitment, LogEntryKind kind = LogEntryKind.Report)
    {
        Assert.True(ReportCommitment.TryDecode(commitment, out var c));
        var entry = new LogEntry(kind, c).ToBytes();
        _index[IndexKey(commitment, kind)] = _entries.Count;
        _entries.Add(entry);
        Tree.AppendEntry(entry);
    }

    /// <summary>Replaces the history: the same leaves but one, then the rest, as a collector rewriting its log would.</summary>
    public void Rewrite(int leaf, byte[] newEntry)
    {
        _entries[leaf] = newEntry;
        Tree = new MerkleTree();
        foreach (var e in _entries)
            Tree.AppendEntry(e);
    }

    public string Checkpoint(long size) =>
        SignedNote.Sign(new Checkpoint(Origin, (ulong)size, Tree.RootHash(size)).ToNoteText(), Signer);

    public HttpResponseMessage? Answer(HttpRequestMessage request)
    {
        var path = request.RequestUri!.AbsolutePath;
        if (!path.StartsWith("/v1/log/", StringComparison.Ordinal))
            return null;
        lock (Paths)
            Paths.Add(request.RequestUri.PathAndQuery);
        if (Unreachable)
            throw new HttpRequestException("Connection refused (simulated)");
        var query = QueryHelpers.ParseQuery(request.RequestUri.Query);
        var size = ServedSize ?? Tree.Size;
        switch (path)
        {
            case "/v1/log/deletions" when request.Method == HttpMethod.Post:
                return Delete(request);
            case "/v1/log/key":
                return Text(VerifierKey + "\n");
            case "/v1/log/checkpoint":
                return Text(ServedNote ?? Checkpoint(size));
            case "/v1/log/consistency":
                long from = long.Parse(query["from"]!), to = long.Parse(query["to"]!);
                if (to > Tree.Size) // as the collector answers (LogEndpoints): 400, beyond the latest checkpoint
                    return new(HttpStatusCode.BadRequest) { Content = new StringContent(JsonSerializer.Serialize(new { type = "urn:candor:problem:bad-log-request", title = "Bad request", status = 400, detail = $"to ({to}) is beyond the latest checkpoint ({Tree.Size} leaves)." }), Encoding.UTF8, "application/problem+json") };
                return Json(new { from, to, hashes = Tree.ConsistencyProof(from, to).Select(Convert.ToBase64String) });
            case "/v1/log/inclusion":
                LookUps++;
                var kind = query.TryGetValue("kind", out var k) && k == "deletion" ? LogEntryKind.Deletion : LogEntryKind.Report;
                long treeSize = long.Parse(query["tree_size"]!);
                if (!_index.TryGetValue(IndexKey(query["commitment"]!, kind), out var leaf))
                    return Problem(LogReader.NotInLogProblem);
                if (leaf >= treeSize)
                    return Problem(LogReader.PendingProblem);
                var hashes = Tree.InclusionProof(leaf, treeSize).Select(h => h.ToArray()).ToList();
                if (BreakInclusionProofs && hashes.Count > 0)
                    hashes[0][0] ^= 1;
                return Json(new { leaf_index = leaf, tree_size = treeSize, kind = kind == LogEntryKind.Report ? "report" : "deletion", hashes = hashes.Select(Convert.ToBase64String) });
            default:
                return new HttpResponseMessage(HttpStatusCode.NotFound);
        }
    }

    /// <summary>The commitments deleted so far, in order.</summary>
    public List<string> Deleted { get; } = [];

    /// <summary>Deletion by receipt as the contract says: recompute each commitment, answer per receipt, append a deletion leaf once.</summary>
    private HttpResponseMessage Delete(HttpRequestMessage request)
    {
        using var doc = JsonDocument.Parse(request.Content!.ReadAsStringAsync().GetAwaiter().GetResult());
        var app = doc.RootElement.GetProperty("app").GetString()!;
        var results = new List<object>();
        foreach (var r in doc.RootElement.GetProperty("receipts").EnumerateArray())
        {
            Assert.True(ReportCommitment.TryDecode(r.GetProperty("nonce").GetString(), out var nonce));
            var commitment = ReportCommitment.Encode(ReportCommitment.Compute(nonce, app, r.GetProperty("metric").GetString()!,
                r.GetProperty("period").GetString()!, r.GetProperty("value").GetString()!));
            string status;
            if (!_index.ContainsKey(IndexKey(commitment, LogEntryKind.Report)))
                status = "not-found";
            else if (_index.ContainsKey(IndexKey(commitment, LogEntryKind.Deletion)))
                status = "already-deleted";
            else
            {
                Append(commitment, LogEntryKind.Deletion);
                Deleted.Add(commitment);
                status = "deleted";
            }
            results.Add(new { commitment, status });
        }
        return Json(new { results });
    }

    private static string IndexKey(string commitment, LogEntryKind kind) => $"{(int)kind}:{commitment}";

    private static HttpResponseMessage Text(string text) =>
        new(HttpStatusCode.OK) { Content = new StringContent(text, Encoding.UTF8, "text/plain") };

    private static HttpResponseMessage Json(object value) =>
        new(HttpStatusCode.OK) { Content = new StringContent(JsonSerializer.Serialize(value), Encoding.UTF8, "application/json") };

    private static HttpResponseMessage Problem(string type) =>
        new(HttpStatusCode.NotFound) { Content = new StringContent(JsonSerializer.Serialize(new { type, title = "Not found", status = 404 }), Encoding.UTF8, "application/problem+json") };
}
