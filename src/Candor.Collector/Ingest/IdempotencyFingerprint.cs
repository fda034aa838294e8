using System.Security.Cryptography;
using System.Text;

namespace Candor.Collector.Ingest;

/// <summary>
/// What the idempotency table keeps of a batch, and why it cannot be used to test a guess of the batch.
/// Client bodies are deterministic (compact JSON in registry order), so an unkeyed hash of the body is a
/// fingerprint anyone holding the database can brute-force offline: enumerate plausible batches, hash,
/// compare. Here the body is authenticated under a key derived from the client's own Idempotency-Key,
/// which is never stored: the table holds only SHA-256 of (app, key) for lookup. A retry carries the
/// key again, so the collector can still tell a true retry from a reused key; someone with the database
/// would first have to invert SHA-256 of a 122-bit random key (the Candor client sends a random UUID).
/// No server secret is involved, so several collectors on one PostgreSQL need no shared setting and
/// there is nothing to rotate or lose. Residual: a client that chooses a guessable key (a counter, a
/// date) lets an attacker guess the key first and then the body; docs/privacy.md says so.
/// </summary>
public static class IdempotencyFingerprint
{
    private static readonly byte[] MacLabel = "candor idempotency body mac v1\n"u8.ToArray();

    /// <summary>The stored lookup key: SHA-256 of app and the client's key, as before (schema version 1).</summary>
    public static byte[] KeyId(string app, string clientKey) => SHA256.HashData(Encoding.UTF8.GetBytes(app + "\n" + clientKey));

    /// <summary>HMAC-SHA-256 of the body under a key only the client's Idempotency-Key (never stored) yields.</summary>
    public static byte[] BodyMac(string app, string clientKey, ReadOnlySpan<byte> body)
    {
        var key = SHA256.HashData([.. MacLabel, .. Encoding.UTF8.GetBytes(app + "\n" + clientKey)]);
        return HMACSHA256.HashData(key, body);
    }

    /// <summary>Whether a stored fingerprint belongs to this body. An empty one was kept by an older
    /// Candor as an unkeyed hash and wiped by migration 4: the body cannot be compared, so any retry
    /// with the key is a replay (what the key promised), never a second copy.</summary>
    public static bool Matches(ReadOnlySpan<byte> stored, ReadOnlySpan<byte> mac) =>
        stored.IsEmpty || CryptographicOperations.FixedTimeEquals(stored, mac);
}
