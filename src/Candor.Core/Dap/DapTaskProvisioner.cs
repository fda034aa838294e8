using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Candor.Dap;

/// <summary>What the Collector keeps for a task: where the Leader is, its token, its HPKE key and the VDAF.</summary>
internal sealed record DapCollectorCredentials(byte[] TaskId, Uri Leader, DapVdaf Vdaf, ulong TimePrecision, string AuthToken, DapHpkeKeyPair HpkeKey)
{
    public JsonObject ToJson() => new()
    {
        ["id"] = DapTask.Base64Url(TaskId),
        ["leader"] = Leader.ToString(),
        ["vdaf"] = Vdaf.Spec,
        ["timePrecision"] = TimePrecision,
        ["collectorAuthToken"] = AuthToken,
        ["hpkeKey"] = new JsonObject
        {
            ["id"] = HpkeKey.Config.Id, ["kem"] = HpkeKey.Config.KemId, ["kdf"] = HpkeKey.Config.KdfId, ["aead"] = HpkeKey.Config.AeadId,
            ["publicKey"] = DapTask.Base64Url(HpkeKey.Config.PublicKey), ["privateKey"] = DapTask.Base64Url(HpkeKey.PrivateKey),
        },
    };

    /// <exception cref="FormatException">Not a collector credentials file.</exception>
    public static DapCollectorCredentials Parse(string json)
    {
        try
        {
            var o = JsonNode.Parse(json) as JsonObject ?? throw new FormatException("not an object");
            var key = o["hpkeKey"] as JsonObject ?? throw new FormatException("hpkeKey is required");
            var config = new DapHpkeConfig(key["id"]!.GetValue<byte>(), key["kem"]!.GetValue<ushort>(), key["kdf"]!.GetValue<ushort>(),
                key["aead"]!.GetValue<ushort>(), DapTask.FromBase64Url(key["publicKey"]!.GetValue<string>()));
            return new DapCollectorCredentials(DapTask.FromBase64Url(o["id"]!.GetValue<string>()), new Uri(o["leader"]!.GetValue<string>()),
                DapVdaf.Parse(o["vdaf"]), o["timePrecision"]!.GetValue<ulong>(), o["collectorAuthToken"]!.GetValue<string>(),
                new DapHpkeKeyPair(config, DapTask.FromBase64Url(key["privateKey"]!.GetValue<string>())));
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or NullReferenceException or UriFormatException)
        {
            throw new FormatException($"not a DAP collector file: {e.Message}");
        }
    }
}

/// <summary>
/// Creates a new task: fresh task id, verification key, tokens and HPKE keys, and the three matching
/// views of it (the Leader's, the Helper's and the Collector's). In a real deployment the Helper's
/// operator makes its own HPKE key; this is for one operator provisioning both, and for tests.
/// </summary>
internal static class DapTaskProvisioner
{
    public static (DapTask Leader, DapTask Helper, DapCollectorCredentials Collector) Create(
        Uri leader, Uri helper, JsonNode vdaf, ulong timePrecision, ulong minBatchSize, ulong? expiration = null)
    {
        // Resource URIs are resolved relative to these: without the trailing slash a path's last segment is dropped.
        leader = WithSlash(leader);
        helper = WithSlash(helper);
        var id = RandomNumberGenerator.GetBytes(DapTask.IdSize);
        var verifyKey = RandomNumberGenerator.GetBytes(DapVdaf.VerifyKeySize);
        var aggregatorToken = DapTask.Base64Url(RandomNumberGenerator.GetBytes(24));
        var collectorToken = DapTask.Base64Url(RandomNumberGenerator.GetBytes(24));
        var collectorKey = DapHpkeKeyPair.Generate(1);
        DapTask Make(DapRole role, DapHpkeKeyPair key) => new()
        {
            Id = id,
            Role = role,
            Leader = leader,
            Helper = helper,
            Vdaf = DapVdaf.Parse(vdaf),
            VerifyKey = verifyKey,
            TimePrecision = timePrecision,
            MinBatchSize = minBatchSize,
            Expiration = expiration,
            HpkeKeys = [key],
            AggregatorAuthToken = aggregatorToken,
            CollectorAuthToken = role == DapRole.Leader ? collectorToken : null,
            CollectorHpkeConfig = collectorKey.Config,
        };
        return (Make(DapRole.Leader, DapHpkeKeyPair.Generate(1)), Make(DapRole.Helper, DapHpkeKeyPair.Generate(1)),
            new DapCollectorCredentials(id, leader, DapVdaf.Parse(vdaf), timePrecision, collectorToken, collectorKey));
    }

    private static Uri WithSlash(Uri uri) => uri.AbsolutePath.EndsWith('/') ? uri : new Uri(uri + "/");
}
