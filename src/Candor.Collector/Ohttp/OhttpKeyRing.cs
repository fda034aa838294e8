using System.Globalization;
using System.Text.Json.Nodes;
using Candor.Hpke;
using Candor.Ohttp;

namespace Candor.Collector.Ohttp;

/// <summary>
/// The gateway's keys, kept in one JSON file (private keys included: mode 0600, back it up like a TLS
/// key). Every collector process of one deployment reads the same file, so all of them publish the
/// same configuration: key consistency depends on it. Rotation (<see cref="Rotate"/>, run by
/// <c>candor ohttp rotate</c>) retires the published keys and adds new ones; a retired key still opens
/// requests for the overlap window, so clients that fetched the old configuration shortly before are
/// not refused, and after it every request under it is answered with the RFC 9458 key problem.
/// The file is re-read when it changes, at most once per <see cref="RecheckInterval"/>.
/// Keys can be <em>staged</em> first (<see cref="Stage"/>, <c>candor ohttp stage</c>): they open requests
/// but are not published until the next rotation promotes them, so their configurations can be carried
/// in the signed announcements beforehand and clients trust them without an app release (docs/ohttp.md).
/// </summary>
internal sealed class OhttpKeyRing
{
    public static readonly TimeSpan RecheckInterval = TimeSpan.FromSeconds(5);

    private readonly string _path;
    private readonly TimeSpan _overlap;
    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private volatile Snapshot _current;
    private DateTimeOffset _nextCheck;

    private sealed record Entry(OhttpGatewayKey Key, DateTimeOffset Created, DateTimeOffset? Retired, bool Staged = false);

    private sealed record Snapshot(IReadOnlyList<Entry> Entries, DateTime FileTime, byte[] Published);

    private OhttpKeyRing(string path, TimeSpan overlap, TimeProvider time)
    {
        _path = path;
        _overlap = overlap;
        _time = time;
        _current = Read(path);
        _nextCheck = time.GetUtcNow() + RecheckInterval;
    }

    /// <summary>Opens the key file, creating it with a fresh X25519 and P-256 key when it does not exist.</summary>
    public static OhttpKeyRing Open(string path, TimeSpan overlap, TimeProvider time)
    {
        if (!File.Exists(path))
            Write(path, [.. NewKeys([], time.GetUtcNow())]);
        return new OhttpKeyRing(path, overlap, time);
    }

    /// <summary>The <c>application/ohttp-keys</c> body: the configurations of the keys not retired, X25519 first.</summary>
    public byte[] PublishedConfigs
    {
        get
        {
            ReloadIfChanged();
            return _current.Published;
        }
    }

    /// <summary>The key a request names, if it is current or retired less than the overlap window ago.</summary>
    public OhttpGatewayKey? Find(byte keyId)
    {
        ReloadIfChanged();
        var now = _time.GetUtcNow();
        foreach (var entry in _current.Entries)
            if (entry.Key.KeyId == keyId && (entry.Retired is null || now < entry.Retired + _overlap))
                return entry.Key;
        return null;
    }

    /// <summary>
    /// Retires the published keys, publishes the staged ones (or, when none is staged, new ones) and drops
    /// keys retired longer ago than <paramref name="overlap"/>; returns the newly published configurations.
    /// </summary>
    public static byte[] Rotate(string path, DateTimeOffset now, TimeSpan overlap)
    {
        var entries = File.Exists(path) ? Read(path).Entries.ToList() : [];
        var staged = entries.Where(e => e.Staged).Select(e => e with { Staged = false }).ToList();
        var kept = entries.Where(e => !e.Staged && (e.Retired is null || now < e.Retired + overlap))
            .Select(e => e with { Retired = e.Retired ?? now }).ToList();
        var fresh = staged.Count > 0 ? staged : NewKeys(kept.Select(e => e.Key.KeyId).ToHashSet(), now);
        Write(path, [.. kept, .. fresh]);
        return OhttpKeyConfig.EncodeList(fresh.Select(e => e.Key.Config));
    }

    /// <summary>
    /// Adds the next keys without publishing them (replacing keys staged before); returns their
    /// configurations. They open requests at once, and the next <see cref="Rotate"/> publishes them.
    /// </summary>
    public static byte[] Stage(string path, DateTimeOffset now)
    {
        var entries = File.Exists(path) ? Read(path).Entries.Where(e => !e.Staged).ToList() : [];
        var staged = NewKeys(entries.Select(e => e.Key.KeyId).ToHashSet(), now).Select(e => e with { Staged = true }).ToList();
        Write(path, [.. entries, .. staged]);
        return OhttpKeyConfig.EncodeList(staged.Select(e => e.Key.Config));
    }

    /// <summary>
    /// What signed announcements should vouch for: the published configurations and the staged ones, so
    /// that clients already trust the keys the next rotation publishes.
    /// </summary>
    public static byte[] AnnounceableConfigs(string path) =>
        OhttpKeyConfig.EncodeList(Read(path).Entries.Where(e => e.Retired is null)
            .OrderBy(e => e.Staged ? 1 : 0).ThenBy(e => e.Key.Config.Kem == KemId.X25519Sha256 ? 0 : 1).Select(e => e.Key.Config));

    private void ReloadIfChanged()
    {
        var now = _time.GetUtcNow();
        if (now < _nextCheck)
            return;
        lock (_gate)
        {
            if (now < _nextCheck)
                return;
            _nextCheck = now + RecheckInterval;
            try
            {
                if (File.GetLastWriteTimeUtc(_path) != _current.FileTime)
                    _current = Read(_path);
            }
            catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
            {
                // A half-written or unreadable file keeps the keys already loaded: the gateway goes on answering.
            }
        }
    }

    private static List<Entry> NewKeys(HashSet<byte> taken, DateTimeOffset now)
    {
        byte NextId()
        {
            int id = taken.Count == 0 ? 1 : (taken.Max() + 1) % 256;
            while (taken.Contains((byte)id)) id = (id + 1) % 256;
            taken.Add((byte)id);
            return (byte)id;
        }
        var result = new List<Entry>();
        if (X25519.IsSupported)
            result.Add(new Entry(OhttpGatewayKey.Generate(NextId(), KemId.X25519Sha256), now, null));
        result.Add(new Entry(OhttpGatewayKey.Generate(NextId(), KemId.P256Sha256), now, null));
        return result;
    }

    private static Snapshot Read(string path)
    {
        var fileTime = File.GetLastWriteTimeUtc(path);
        var root = JsonNode.Parse(File.ReadAllText(path)) ?? throw new FormatException($"{path}: empty key file.");
        var entries = new List<Entry>();
        foreach (var node in root["keys"]?.AsArray() ?? throw new FormatException($"{path}: no \"keys\" array."))
        {
            var kem = (string?)node!["kem"] switch
            {
                "x25519" => KemId.X25519Sha256,
                "p256" => KemId.P256Sha256,
                var other => throw new FormatException($"{path}: unknown kem '{other}' (x25519 or p256)."),
            };
            var key = new OhttpGatewayKey((byte)(int)node["id"]!, kem, Convert.FromBase64String((string)node["private_key"]!));
            var retired = (string?)node["retired"];
            entries.Add(new Entry(key, DateTimeOffset.Parse((string)node["created"]!, CultureInfo.InvariantCulture),
                retired is null ? null : DateTimeOffset.Parse(retired, CultureInfo.InvariantCulture), (bool?)node["staged"] ?? false));
        }
        var published = entries.Where(e => e.Retired is null && !e.Staged).OrderBy(e => e.Key.Config.Kem == KemId.X25519Sha256 ? 0 : 1).Select(e => e.Key.Config);
        return new Snapshot(entries, fileTime, OhttpKeyConfig.EncodeList(published));
    }

    private static void Write(string path, List<Entry> entries)
    {
        var keys = new JsonArray();
        foreach (var e in entries)
            keys.Add(new JsonObject
            {
                ["id"] = e.Key.KeyId,
                ["kem"] = e.Key.Config.Kem == KemId.X25519Sha256 ? "x25519" : "p256",
                ["private_key"] = Convert.ToBase64String(e.Key.PrivateKey),
                ["created"] = e.Created.ToString("O", CultureInfo.InvariantCulture),
                ["retired"] = e.Retired?.ToString("O", CultureInfo.InvariantCulture),
                ["staged"] = e.Staged ? true : null,
            });
        var text = new JsonObject { ["keys"] = keys }.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        // Written beside and renamed over, so a reading gateway never sees half a file.
        var temporary = Path.Combine(directory, "." + Path.GetFileName(path) + ".tmp");
        File.WriteAllText(temporary, text);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temporary, path, overwrite: true);
    }
}
