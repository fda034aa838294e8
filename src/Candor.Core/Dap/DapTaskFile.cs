using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Candor.Dap;

/// <summary>
/// Reads and writes the task file an aggregator is started with (<c>candor serve --dap FILE</c>; the format
/// is in docs/dap.md). Every error names the task and field, so an operator can fix the file in one pass.
/// </summary>
internal static class DapTaskFile
{
    /// <exception cref="FormatException">The file is not a valid task file; the message names the field.</exception>
    public static IReadOnlyList<DapTask> Parse(string json)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new FormatException($"not JSON: {e.Message}");
        }
        if (root?["tasks"] is not JsonArray tasks || tasks.Count == 0)
            throw new FormatException("a task file is {\"tasks\": [ ... ]} with at least one task");
        var result = new List<DapTask>();
        for (var i = 0; i < tasks.Count; i++)
        {
            try
            {
                result.Add(ParseTask(tasks[i] as JsonObject ?? throw new FormatException("must be an object")));
            }
            catch (FormatException e)
            {
                throw new FormatException($"tasks[{i}]: {e.Message}");
            }
        }
        var duplicate = result.GroupBy(t => t.IdText).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new FormatException($"task {duplicate.Key} appears twice");
        return result;
    }

    private static DapTask ParseTask(JsonObject o)
    {
        var id = Bytes(o, "id", DapTask.IdSize);
        var role = String(o, "role") switch
        {
            "leader" => DapRole.Leader,
            "helper" => DapRole.Helper,
            var r => throw new FormatException($"role must be leader or helper, not '{r}'"),
        };
        DapVdaf vdaf;
        try
        {
            vdaf = DapVdaf.Parse(o["vdaf"]);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or Vdaf.VdafException)
        {
            throw new FormatException($"vdaf: {e.Message}");
        }
        var keys = o["hpkeKeys"] as JsonArray ?? throw new FormatException("hpkeKeys must be a list of this aggregator's HPKE keys");
        if (keys.Count == 0)
            throw new FormatException("hpkeKeys must hold at least one key");
        var hpkeKeys = keys.Select((k, i) => KeyPair(k as JsonObject ?? throw new FormatException($"hpkeKeys[{i}] must be an object"), $"hpkeKeys[{i}]")).ToList();
        if (hpkeKeys.Select(k => k.Config.Id).Distinct().Count() != hpkeKeys.Count)
            throw new FormatException("hpkeKeys: two keys share an id");
        var collectorToken = o["collectorAuthToken"]?.GetValue<string>();
        if (role == DapRole.Leader && string.IsNullOrEmpty(collectorToken))
            throw new FormatException("collectorAuthToken is required for the leader");
        var precision = ULong(o, "timePrecision");
        if (precision == 0)
            throw new FormatException("timePrecision must be at least 1 second");
        var minBatch = ULong(o, "minBatchSize");
        if (minBatch == 0)
            throw new FormatException("minBatchSize must be at least 1");
        var token = String(o, "aggregatorAuthToken");
        if (token.Length < 16)
            throw new FormatException("aggregatorAuthToken must be at least 16 characters");
        return new DapTask
        {
            Id = id,
            Role = role,
            Leader = Url(o, "leader"),
            Helper = Url(o, "helper"),
            Vdaf = vdaf,
            VerifyKey = Bytes(o, "verifyKey", DapVdaf.VerifyKeySize),
            TimePrecision = precision,
            MinBatchSize = minBatch,
            Expiration = o["expiration"] is null ? null : ULong(o, "expiration"),
            HpkeKeys = hpkeKeys,
            AggregatorAuthToken = token,
            CollectorAuthToken = role == DapRole.Leader ? collectorToken : null,
            CollectorHpkeConfig = Config(o["collectorHpkeConfig"] as JsonObject ?? throw new FormatException("collectorHpkeConfig is required"), "collectorHpkeConfig"),
        };
    }

    private static DapHpkeKeyPair KeyPair(JsonObject o, string where)
    {
        var config = Config(o, where);
        var privateKey = Bytes(o, "privateKey", Hpke.Dhkem.PrivateKeySize, where);
        byte[] derived;
        try
        {
            derived = config.Suite().Kem.PublicKey(privateKey);
        }
        catch (CryptographicException e)
        {
            throw new FormatException($"{where}.privateKey: {e.Message}");
        }
        if (!derived.AsSpan().SequenceEqual(config.PublicKey))
            throw new FormatException($"{where}: publicKey is not the public key of privateKey");
        return new DapHpkeKeyPair(config, privateKey);
    }

    private static DapHpkeConfig Config(JsonObject o, string where)
    {
        var config = new DapHpkeConfig(checked((byte)ULong(o, "id", where)), checked((ushort)ULong(o, "kem", where)),
            checked((ushort)ULong(o, "kdf", where)), checked((ushort)ULong(o, "aead", where)), Bytes(o, "publicKey", null, where));
        if (!config.IsSupported)
            throw new FormatException($"{where}: KEM {config.KemId}, KDF {config.KdfId}, AEAD {config.AeadId} is not a suite Candor implements (KEM 16 or 32, KDF 1-3, AEAD 1-3)");
        if (config.PublicKey.Length != config.Suite().Kem.PublicKeySize)
            throw new FormatException($"{where}.publicKey must be {config.Suite().Kem.PublicKeySize} bytes");
        return config;
    }

    private static string String(JsonObject o, string name) =>
        o[name] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : throw new FormatException($"{name} must be a non-empty string");

    private static ulong ULong(JsonObject o, string name, string? where = null) =>
        o[name] is JsonValue v && v.TryGetValue<ulong>(out var n) ? n : throw new FormatException($"{Name(name, where)} must be a whole number");

    private static Uri Url(JsonObject o, string name)
    {
        var text = String(o, name);
        if (!Uri.TryCreate(text.EndsWith('/') ? text : text + "/", UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new FormatException($"{name} must be an http or https URL, not '{text}'");
        return uri;
    }

    private static byte[] Bytes(JsonObject o, string name, int? length, string? where = null)
    {
        var text = o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new FormatException($"{Name(name, where)} must be a base64url string");
        byte[] bytes;
        try
        {
            bytes = DapTask.FromBase64Url(text);
        }
        catch (FormatException)
        {
            throw new FormatException($"{Name(name, where)} is not unpadded base64url");
        }
        if (length is { } l && bytes.Length != l)
            throw new FormatException($"{Name(name, where)} must be {l} bytes, not {bytes.Length}");
        return bytes;
    }

    private static string Name(string name, string? where) => where is null ? name : $"{where}.{name}";

    /// <summary>A task as the task file writes it (the inverse of <see cref="Parse"/>).</summary>
    public static JsonObject ToJson(DapTask task)
    {
        static JsonObject ConfigJson(DapHpkeConfig c) => new()
        {
            ["id"] = c.Id, ["kem"] = c.KemId, ["kdf"] = c.KdfId, ["aead"] = c.AeadId, ["publicKey"] = DapTask.Base64Url(c.PublicKey),
        };
        var o = new JsonObject
        {
            ["id"] = task.IdText,
            ["role"] = task.Role == DapRole.Leader ? "leader" : "helper",
            ["leader"] = task.Leader.ToString(),
            ["helper"] = task.Helper.ToString(),
            ["vdaf"] = task.Vdaf.Spec,
            ["verifyKey"] = DapTask.Base64Url(task.VerifyKey),
            ["timePrecision"] = task.TimePrecision,
            ["minBatchSize"] = task.MinBatchSize,
            ["hpkeKeys"] = new JsonArray(task.HpkeKeys.Select(k =>
            {
                var j = ConfigJson(k.Config);
                j["privateKey"] = DapTask.Base64Url(k.PrivateKey);
                return (JsonNode)j;
            }).ToArray()),
            ["aggregatorAuthToken"] = task.AggregatorAuthToken,
            ["collectorHpkeConfig"] = ConfigJson(task.CollectorHpkeConfig),
        };
        if (task.Expiration is { } e)
            o["expiration"] = e;
        if (task.CollectorAuthToken is { } c)
            o["collectorAuthToken"] = c;
        return o;
    }

    public static string Write(IEnumerable<DapTask> tasks) =>
        new JsonObject { ["tasks"] = new JsonArray(tasks.Select(t => (JsonNode)ToJson(t)).ToArray()) }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
}
