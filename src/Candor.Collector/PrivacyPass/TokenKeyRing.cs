using System.Buffers.Text;
using System.Globalization;
using Candor.PrivacyPass;
using Microsoft.Extensions.Logging;

namespace Candor.Collector.PrivacyPass;

/// <summary>
/// The token keys of one issuer, read from <see cref="PrivacyPassOptions.KeyDirectory"/>: each key is
/// named by its not-before time (Unix seconds). The newest key whose time has come issues; it and the
/// one before it are accepted (so a token fetched just before a rotation still counts for a whole key
/// lifetime); older keys are retired, and tokens under them are answered "expired key".
/// Where the issuer runs, a key older than its lifetime is replaced at the next look (rotation).
/// Collectors without the issuer re-read the folder every minute, and at once (at most every 5 s)
/// when a token names a key they do not know, so a rotation never looks like a wrong issuer for long.
/// </summary>
internal sealed class TokenKeyRing : IDisposable
{
    private static readonly TimeSpan RefreshEvery = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan UnknownKeyRefresh = TimeSpan.FromSeconds(5);

    private readonly PrivacyPassOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<TokenKeyRing> _log;
    private readonly Lock _lock = new();
    private Snapshot? _current;
    private DateTimeOffset _loadedAt;

    public TokenKeyRing(PrivacyPassOptions options, TimeProvider time, ILogger<TokenKeyRing> log)
    {
        _options = options;
        _time = time;
        _log = log;
        _current = Load();
    }

    /// <summary>What the collector checks tokens against right now.</summary>
    public Snapshot Current
    {
        get
        {
            if (_time.GetUtcNow() - _loadedAt >= RefreshEvery)
                Reload();
            return _current!;
        }
    }

    /// <summary>Re-reads the folder if the last read is older than a few seconds (a token named an unknown key).</summary>
    public Snapshot RefreshForUnknownKey()
    {
        if (_time.GetUtcNow() - _loadedAt >= UnknownKeyRefresh)
            Reload();
        return _current!;
    }

    private void Reload()
    {
        lock (_lock)
        {
            // The old snapshot is not disposed: a request may be verifying with it right now, and
            // disposing its RSA objects under it would turn a valid token into a 500. The GC frees it.
            _current = Load();
        }
    }

    private Snapshot Load()
    {
        var now = _time.GetUtcNow();
        _loadedAt = now;
        var directory = _options.KeyDirectory!;
        Directory.CreateDirectory(directory);
        var keys = ReadKeys(directory, now);
        if (_options.Issuer && (keys.Count == 0 || keys[^1].NotBefore.AddDays(_options.KeyLifetimeDays) <= now))
        {
            var fresh = RsaPrivateKey.Generate(2048);
            var stamp = now.ToUnixTimeSeconds();
            // The private half first, the public half last: a collector reading the folder meanwhile sees the key only once it is complete.
            WriteAtomically(Path.Combine(directory, $"{stamp}.key"), fresh.ToPem());
            WriteAtomically(Path.Combine(directory, $"{stamp}.pub"), Base64Url.EncodeToString(fresh.Public.Spki));
            _log.LogInformation("Privacy Pass: new token key {KeyId} (not before {NotBefore:u})", Convert.ToHexStringLower(fresh.Public.KeyId), now);
            keys = ReadKeys(directory, now);
        }
        return new Snapshot(new TokenChallenge(TokenChallenge.TokenTypeBlindRsa, _options.IssuerName, [], _options.OriginInfo), keys, _options.Issuer);
    }

    private List<KeyEntry> ReadKeys(string directory, DateTimeOffset now)
    {
        var keys = new List<KeyEntry>();
        foreach (var file in Directory.EnumerateFiles(directory, "*.pub"))
        {
            if (!long.TryParse(Path.GetFileNameWithoutExtension(file), NumberStyles.None, CultureInfo.InvariantCulture, out long stamp))
                continue;
            var notBefore = DateTimeOffset.FromUnixTimeSeconds(stamp);
            if (notBefore > now)
                continue;
            var pub = RsaPublicKey.FromSpki(Base64Url.DecodeFromChars(File.ReadAllText(file).Trim()));
            RsaPrivateKey? priv = null;
            var keyFile = Path.ChangeExtension(file, ".key");
            if (_options.Issuer && File.Exists(keyFile))
                priv = RsaPrivateKey.FromPem(File.ReadAllText(keyFile));
            keys.Add(new KeyEntry(notBefore, pub, priv));
        }
        keys.Sort((a, b) => a.NotBefore.CompareTo(b.NotBefore));
        return keys;
    }

    private static void WriteAtomically(string path, string text)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, text);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temp, path, overwrite: true);
    }

    public void Dispose() => _current?.Dispose();

    public sealed record KeyEntry(DateTimeOffset NotBefore, RsaPublicKey Public, RsaPrivateKey? Private);

    /// <summary>One consistent view: the challenge, the issuing key, the accepted and the retired keys.</summary>
    public sealed class Snapshot : IDisposable
    {
        public Snapshot(TokenChallenge challenge, IReadOnlyList<KeyEntry> keys, bool issuer)
        {
            Challenge = challenge;
            Keys = keys;
            Accepted = [.. keys.TakeLast(2)];
            Issuing = issuer ? keys.LastOrDefault(k => k.Private is not null) : null;
            Verifier = new TokenVerifier(challenge, [.. Accepted.Select(k => k.Public)], [.. keys.SkipLast(2).Select(k => k.Public.KeyId)]);
        }

        public TokenChallenge Challenge { get; }
        public IReadOnlyList<KeyEntry> Keys { get; }
        public IReadOnlyList<KeyEntry> Accepted { get; }
        public KeyEntry? Issuing { get; }
        public TokenVerifier Verifier { get; }

        /// <summary>The key clients should fetch tokens for now.</summary>
        public RsaPublicKey? Newest => Keys.Count == 0 ? null : Keys[^1].Public;

        public void Dispose() => Verifier.Dispose();
    }
}
