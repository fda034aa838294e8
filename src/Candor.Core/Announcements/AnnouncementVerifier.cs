using System.Buffers.Text;
using System.Text.Json;

namespace Candor.Announcements;

internal enum RejectionReason { Malformed, UnknownKey, BadSignature, WrongApp, Expired, NotYetValid, Rollback }

internal sealed class AnnouncementRejectedException(RejectionReason reason, string message) : Exception(message)
{
    public RejectionReason Reason { get; } = reason;
}

/// <summary>A document that passed every check, and the keys its statements introduced.</summary>
internal sealed record VerifiedAnnouncements(AnnouncementDocument Document, IReadOnlyDictionary<string, byte[]> NewKeys);

/// <summary>
/// The client's whole trust decision in one place: the signature over the exact payload bytes by a
/// trusted key, the app, the validity window, and no rollback below the last accepted serial. A new
/// key is trusted only through a statement signed by a key that is already trusted (possibly one
/// introduced by an earlier statement in the same document, so a chain of rotations works).
/// </summary>
internal static class AnnouncementVerifier
{
    /// <summary>Clock skew tolerated on <c>issued_at</c>.</summary>
    public static readonly TimeSpan Skew = TimeSpan.FromMinutes(10);

    public static VerifiedAnnouncements Verify(ReadOnlySpan<byte> served, string app, IReadOnlyDictionary<string, byte[]> trusted,
        DateTimeOffset now, long lastSerial)
    {
        SignedAnnouncements signed;
        try
        {
            signed = JsonSerializer.Deserialize(served, AnnouncementJson.Default.SignedAnnouncements)
                ?? throw new AnnouncementRejectedException(RejectionReason.Malformed, "empty document");
        }
        catch (JsonException e)
        {
            throw new AnnouncementRejectedException(RejectionReason.Malformed, "not a signed announcements document: " + e.Message);
        }

        var keys = new Dictionary<string, byte[]>(trusted, StringComparer.Ordinal);
        var added = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var pending = (signed.KeyStatements ?? []).ToList();
        // Statements may come in any order; keep going while one of them becomes verifiable.
        for (bool progress = true; progress && pending.Count > 0;)
        {
            progress = false;
            foreach (var statement in pending.ToList())
            {
                if (!keys.ContainsKey(statement.KeyId))
                    continue;
                pending.Remove(statement);
                var s = Parse(Open(statement, keys), AnnouncementJson.Default.KeyStatement, "a key statement");
                if (s.App != app)
                    throw new AnnouncementRejectedException(RejectionReason.WrongApp, $"a key statement is for '{s.App}', not '{app}'");
                byte[] spki;
                try { spki = AnnouncementKeys.ParsePublicKey(s.PublicKey); }
                catch (FormatException e) { throw new AnnouncementRejectedException(RejectionReason.Malformed, "a key statement's key: " + e.Message); }
                if (AnnouncementKeys.KeyId(spki) != s.KeyId)
                    throw new AnnouncementRejectedException(RejectionReason.Malformed, "a key statement's key_id does not match its key");
                if (keys.TryAdd(s.KeyId, spki))
                    added[s.KeyId] = spki;
                progress = true;
            }
        }

        var payload = Open(signed.Envelope, keys);
        var doc = Parse(payload, AnnouncementJson.Default.AnnouncementDocument, "the signed payload");
        if (doc.KeyId != signed.KeyId)
            throw new AnnouncementRejectedException(RejectionReason.Malformed, "the signed key_id differs from the envelope's");
        if (doc.App != app)
            throw new AnnouncementRejectedException(RejectionReason.WrongApp, $"the document is for '{doc.App}', not '{app}'");
        if (now >= doc.ExpiresAt)
            throw new AnnouncementRejectedException(RejectionReason.Expired, $"the document expired at {doc.ExpiresAt:O}");
        if (doc.IssuedAt > now + Skew)
            throw new AnnouncementRejectedException(RejectionReason.NotYetValid, $"the document is issued in the future ({doc.IssuedAt:O})");
        if (doc.Serial < lastSerial)
            throw new AnnouncementRejectedException(RejectionReason.Rollback, $"serial {doc.Serial} is older than the accepted {lastSerial}");
        return new VerifiedAnnouncements(doc, added);
    }

    // Signed is not the same as well-formed: a trusted key may still have signed a mistake.
    private static T Parse<T>(byte[] payload, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, string what) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(payload, type) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new AnnouncementRejectedException(RejectionReason.Malformed, $"{what} is not well-formed: {e.Message}");
        }
    }

    private static byte[] Open(SignedEnvelope envelope, IReadOnlyDictionary<string, byte[]> keys)
    {
        if (!keys.TryGetValue(envelope.KeyId, out var spki))
            throw new AnnouncementRejectedException(RejectionReason.UnknownKey, $"signed by unknown key {envelope.KeyId}");
        byte[] payload, signature;
        try
        {
            payload = Base64Url.DecodeFromChars(envelope.Payload);
            signature = Base64Url.DecodeFromChars(envelope.Signature);
        }
        catch (FormatException)
        {
            throw new AnnouncementRejectedException(RejectionReason.Malformed, "payload or signature is not base64url");
        }
        if (!AnnouncementKeys.Verify(spki, payload, signature))
            throw new AnnouncementRejectedException(RejectionReason.BadSignature, $"the signature by {envelope.KeyId} does not match the payload");
        return payload;
    }
}
