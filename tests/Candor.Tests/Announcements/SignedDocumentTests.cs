using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Candor.Announcements;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Announcements;

public sealed class SignedDocumentTests : IDisposable
{
    private const string App = TestRegistries.App;
    private static readonly DateTimeOffset Now = TestRegistries.Now;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "candor-tests", Guid.NewGuid().ToString("n"));
    private readonly ECDsa _key = AnnouncementKeys.Generate();

    public void Dispose()
    {
        _key.Dispose();
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private Dictionary<string, byte[]> Trusting(params ECDsa[] keys) =>
        keys.ToDictionary(AnnouncementKeys.KeyId, k => k.ExportSubjectPublicKeyInfo());

    private byte[] Publish(ECDsa key, Action<AnnouncementSource>? edit = null, DateTimeOffset? at = null)
    {
        var source = AnnouncementSource.Load(_dir, App);
        source.News.Clear();
        source.News.Add(new NewsItem { Id = "n1", Title = "Hello", Body = "First news" });
        edit?.Invoke(source);
        source.Publish(_dir, key, at ?? Now);
        return File.ReadAllBytes(AnnouncementSource.PublishedPath(_dir, App));
    }

    private static RejectionReason Rejected(byte[] served, Dictionary<string, byte[]> trusted, DateTimeOffset? now = null, long lastSerial = 0) =>
        Assert.Throws<AnnouncementRejectedException>(() => AnnouncementVerifier.Verify(served, App, trusted, now ?? Now, lastSerial)).Reason;

    [Fact]
    public void The_signature_covers_the_exact_payload_bytes()
    {
        var served = Publish(_key);
        var json = JsonNode.Parse(served)!;
        var payload = Base64Url.DecodeFromChars(json["payload"]!.GetValue<string>());
        var signature = Base64Url.DecodeFromChars(json["signature"]!.GetValue<string>());

        Assert.Equal(64, signature.Length); // IEEE P1363 r||s, not DER
        using var pub = ECDsa.Create();
        pub.ImportSubjectPublicKeyInfo(_key.ExportSubjectPublicKeyInfo(), out _);
        Assert.True(pub.VerifyData(payload, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
        // The same fields re-serialised differently (indentation) are different bytes and do not verify.
        var reformatted = Encoding.UTF8.GetBytes(JsonNode.Parse(payload)!.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        Assert.False(pub.VerifyData(reformatted, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));

        var verified = AnnouncementVerifier.Verify(served, App, Trusting(_key), Now, 0);
        Assert.Equal(1, verified.Document.Serial);
        Assert.Equal("Hello", Assert.Single(verified.Document.News).Title);
        Assert.Equal(AnnouncementKeys.KeyId(_key), verified.Document.KeyId);
    }

    [Fact]
    public void A_tampered_payload_is_rejected()
    {
        var json = JsonNode.Parse(Publish(_key))!;
        var payload = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(json["payload"]!.GetValue<string>()));
        json["payload"] = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload.Replace("First news", "Install this")));

        Assert.Equal(RejectionReason.BadSignature, Rejected(Encoding.UTF8.GetBytes(json.ToJsonString()), Trusting(_key)));
    }

    [Fact]
    public void A_tampered_signature_and_garbage_are_rejected()
    {
        var json = JsonNode.Parse(Publish(_key))!;
        var signature = Base64Url.DecodeFromChars(json["signature"]!.GetValue<string>());
        signature[10] ^= 1;
        json["signature"] = Base64Url.EncodeToString(signature);

        Assert.Equal(RejectionReason.BadSignature, Rejected(Encoding.UTF8.GetBytes(json.ToJsonString()), Trusting(_key)));
        Assert.Equal(RejectionReason.Malformed, Rejected("not json"u8.ToArray(), Trusting(_key)));
        json["signature"] = "!!!";
        Assert.Equal(RejectionReason.Malformed, Rejected(Encoding.UTF8.GetBytes(json.ToJsonString()), Trusting(_key)));
    }

    [Fact]
    public void A_document_signed_by_an_untrusted_key_is_rejected()
    {
        using var other = AnnouncementKeys.Generate();
        var served = Publish(other);

        Assert.Equal(RejectionReason.UnknownKey, Rejected(served, Trusting(_key)));
        // Claiming a trusted key id while signing with another key fails the signature check.
        var json = JsonNode.Parse(served)!;
        json["key_id"] = AnnouncementKeys.KeyId(_key);
        Assert.Equal(RejectionReason.BadSignature, Rejected(Encoding.UTF8.GetBytes(json.ToJsonString()), Trusting(_key)));
    }

    [Fact]
    public void An_expired_document_is_rejected()
    {
        var served = Publish(_key, s => s.LifetimeDays = 7);

        AnnouncementVerifier.Verify(served, App, Trusting(_key), Now.AddDays(6), 0);
        Assert.Equal(RejectionReason.Expired, Rejected(served, Trusting(_key), Now.AddDays(7)));
        Assert.Equal(RejectionReason.NotYetValid, Rejected(served, Trusting(_key), Now.AddHours(-1)));
    }

    [Fact]
    public void A_document_for_another_app_is_rejected()
    {
        var served = Publish(_key);
        Assert.Throws<AnnouncementRejectedException>(() => AnnouncementVerifier.Verify(served, "org.example.other", Trusting(_key), Now, 0));
    }

    [Fact]
    public void A_rolled_back_document_is_rejected()
    {
        var first = Publish(_key);
        var second = Publish(_key);
        long accepted = AnnouncementVerifier.Verify(second, App, Trusting(_key), Now, 0).Document.Serial;

        Assert.Equal(2, accepted);
        Assert.Equal(RejectionReason.Rollback, Rejected(first, Trusting(_key), lastSerial: accepted));
        AnnouncementVerifier.Verify(second, App, Trusting(_key), Now, accepted); // the same document again is fine
    }

    [Fact]
    public void A_new_key_is_accepted_only_through_a_statement_signed_by_a_trusted_key()
    {
        using var next = AnnouncementKeys.Generate();
        var served = Publish(next, s => s.Endorse(_key, next, Now));

        var verified = AnnouncementVerifier.Verify(served, App, Trusting(_key), Now, 0);
        Assert.Equal(AnnouncementKeys.KeyId(next), Assert.Single(verified.NewKeys).Key);

        // The same statement made by a key nobody trusts introduces nothing.
        using var stranger = AnnouncementKeys.Generate();
        File.Delete(AnnouncementSource.SourcePath(_dir, App));
        var forged = Publish(next, s => s.Endorse(stranger, next, Now));
        Assert.Equal(RejectionReason.UnknownKey, Rejected(forged, Trusting(_key)));
    }

    [Fact]
    public void A_signed_but_malformed_payload_or_statement_is_rejected()
    {
        var served = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new SignedAnnouncements
        {
            Payload = AnnouncementKeys.Sign("{\"app\":1}"u8, _key).Payload,
            KeyId = AnnouncementKeys.KeyId(_key),
            Signature = AnnouncementKeys.Sign("{\"app\":1}"u8, _key).Signature,
        }, AnnouncementJson.Default.SignedAnnouncements));
        Assert.Equal(RejectionReason.Malformed, Rejected(served, Trusting(_key)));

        var good = JsonNode.Parse(Publish(_key))!;
        var statement = AnnouncementKeys.Sign("not json"u8, _key);
        good["key_statements"] = new JsonArray(JsonSerializer.SerializeToNode(statement, AnnouncementJson.Default.SignedEnvelope));
        Assert.Equal(RejectionReason.Malformed, Rejected(Encoding.UTF8.GetBytes(good.ToJsonString()), Trusting(_key)));
    }

    [Fact]
    public void A_chain_of_rotations_is_followed()
    {
        using var second = AnnouncementKeys.Generate();
        using var third = AnnouncementKeys.Generate();
        var served = Publish(third, s => { s.Endorse(second, third, Now); s.Endorse(_key, second, Now); });

        var verified = AnnouncementVerifier.Verify(served, App, Trusting(_key), Now, 0);
        Assert.Equal(2, verified.NewKeys.Count);
    }

    [Theory]
    [InlineData(null, null, null, "linux", "1.0", true)]
    [InlineData("windows", null, null, "linux", "1.0", false)]
    [InlineData("linux,macos", null, null, "macOS", "1.0", true)]
    [InlineData(null, "1.2", null, "linux", "1.1.9", false)]
    [InlineData(null, "1.2", "1.4", "linux", "1.3.0", true)]
    [InlineData(null, null, "1.4", "linux", "1.4.1", false)]
    [InlineData(null, "1.2", null, "linux", "not-a-version", false)]
    public void Targeted_news_reaches_only_matching_platforms_and_versions(string? platforms, string? min, string? max, string platform, string version, bool applies)
    {
        var item = new NewsItem { Id = "x", Title = "t", Platforms = platforms?.Split(','), MinVersion = min, MaxVersion = max };
        Assert.Equal(applies, item.AppliesTo(platform, version));
    }
}
