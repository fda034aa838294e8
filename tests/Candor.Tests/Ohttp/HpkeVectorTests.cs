using System.Runtime.CompilerServices;
using System.Text.Json;
using Candor.Hpke;

namespace Candor.Tests.Ohttp;

/// <summary>Every RFC 9180 base-mode vector for the suites Candor implements, with every intermediate value.</summary>
public sealed class HpkeVectorTests
{
    private static readonly Lazy<JsonElement[]> Vectors = new(() =>
        JsonDocument.Parse(File.ReadAllBytes(VectorFile())).RootElement.EnumerateArray().ToArray());

    private static string VectorFile([CallerFilePath] string source = "") =>
        Path.Combine(Path.GetDirectoryName(source)!, "Vectors", "hpke-rfc9180-base-x25519-p256.json");

    public static TheoryData<int> Indexes() => new(Enumerable.Range(0, 12));

    private static byte[] Hex(JsonElement v, string name) => Convert.FromHexString(v.GetProperty(name).GetString()!);

    [Fact]
    public void The_vector_file_covers_both_kems_and_three_aeads()
    {
        var suites = Vectors.Value.Select(v => (v.GetProperty("kem_id").GetInt32(), v.GetProperty("aead_id").GetInt32())).ToHashSet();
        Assert.Equal(12, Vectors.Value.Length);
        Assert.Contains((0x20, 1), suites);
        Assert.Contains((0x10, 1), suites);
        Assert.Contains((0x20, 3), suites);
    }

    [Theory]
    [MemberData(nameof(Indexes))]
    public void Sender_and_recipient_reproduce_the_rfc9180_vector(int index)
    {
        var v = Vectors.Value[index];
        var suite = new HpkeSuite((KemId)v.GetProperty("kem_id").GetInt32(), (KdfId)v.GetProperty("kdf_id").GetInt32(), (AeadId)v.GetProperty("aead_id").GetInt32());
        var skR = Hex(v, "skRm");
        var pkR = Hex(v, "pkRm");
        Assert.Equal(pkR, suite.Kem.PublicKey(skR));
        Assert.Equal(Hex(v, "pkEm"), suite.Kem.PublicKey(Hex(v, "skEm")));

        var (sharedSecret, enc) = suite.Kem.Encap(pkR, Hex(v, "skEm"));
        Assert.Equal(Hex(v, "enc"), enc);
        Assert.Equal(Hex(v, "shared_secret"), sharedSecret);
        Assert.Equal(Hex(v, "shared_secret"), suite.Kem.Decap(enc, skR, pkR));

        var (_, sender) = suite.SetupBaseSender(pkR, Hex(v, "info"), Hex(v, "skEm"));
        var recipient = suite.SetupBaseRecipient(enc, skR, pkR, Hex(v, "info"));
        Assert.Equal(Hex(v, "key"), sender.Key);
        Assert.Equal(Hex(v, "base_nonce"), sender.BaseNonce);
        Assert.Equal(Hex(v, "exporter_secret"), recipient.ExporterSecret);

        int count = 0;
        foreach (var e in v.GetProperty("encryptions").EnumerateArray())
        {
            var aad = Hex(e, "aad");
            var ct = Hex(e, "ct");
            Assert.Equal(ct, sender.Seal(aad, Hex(e, "pt")));
            Assert.Equal(Hex(e, "pt"), recipient.Open(aad, ct));
            count++;
        }
        Assert.True(count > 0);
        foreach (var x in v.GetProperty("exports").EnumerateArray())
            Assert.Equal(Hex(x, "exported_value"), recipient.Export(Hex(x, "exporter_context"), x.GetProperty("L").GetInt32()));
    }

    [Theory]
    [MemberData(nameof(Indexes))]
    public void A_recipient_key_loaded_once_reproduces_the_rfc9180_vector(int index)
    {
        // The gateway's path: the private key prepared once (DhkemPrivateKey), many contexts from it.
        var v = Vectors.Value[index];
        var suite = new HpkeSuite((KemId)v.GetProperty("kem_id").GetInt32(), (KdfId)v.GetProperty("kdf_id").GetInt32(), (AeadId)v.GetProperty("aead_id").GetInt32());
        var loaded = suite.Kem.LoadPrivateKey(Hex(v, "skRm"));
        Assert.Equal(Hex(v, "pkRm"), loaded.PublicKey);
        Assert.Equal(Hex(v, "shared_secret"), suite.Kem.Decap(Hex(v, "enc"), loaded));
        for (int round = 0; round < 2; round++) // a second context from the same loaded key and suite: nothing carried over
        {
            var recipient = suite.SetupBaseRecipient(Hex(v, "enc"), loaded, Hex(v, "info"));
            Assert.Equal(Hex(v, "key"), recipient.Key);
            Assert.Equal(Hex(v, "base_nonce"), recipient.BaseNonce);
            Assert.Equal(Hex(v, "exporter_secret"), recipient.ExporterSecret);
            var first = v.GetProperty("encryptions")[0];
            Assert.Equal(Hex(first, "pt"), recipient.Open(Hex(first, "aad"), Hex(first, "ct")));
        }
    }

    [Fact]
    public void A_loaded_key_is_refused_by_another_kem()
    {
        var x25519Key = Dhkem.X25519Sha256.LoadPrivateKey(Dhkem.X25519Sha256.GeneratePrivateKey());
        Assert.Throws<ArgumentException>(() => Dhkem.P256Sha256.Decap(new byte[65], x25519Key));
        var p256 = new HpkeSuite(KemId.P256Sha256, KdfId.HkdfSha256, AeadId.Aes128Gcm);
        Assert.Throws<ArgumentException>(() => p256.SetupBaseRecipient(new byte[65], x25519Key, []));
    }

    [Fact]
    public void A_p256_public_key_off_the_curve_is_refused()
    {
        var kem = Dhkem.P256Sha256;
        var pk = kem.PublicKey(kem.GeneratePrivateKey());
        pk[64] ^= 1; // the point no longer satisfies the curve equation: an invalid-curve attack
        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => kem.Encap(pk));
    }

    [Fact]
    public void A_message_opened_twice_or_altered_fails()
    {
        var suite = new HpkeSuite(KemId.X25519Sha256, KdfId.HkdfSha256, AeadId.Aes128Gcm);
        var skR = suite.Kem.GeneratePrivateKey();
        var pkR = suite.Kem.PublicKey(skR);
        var (enc, sender) = suite.SetupBaseSender(pkR, "info"u8);
        var ct = sender.Seal([], "canary"u8);
        var recipient = suite.SetupBaseRecipient(enc, skR, pkR, "info"u8);
        var altered = (byte[])ct.Clone();
        altered[0] ^= 1;
        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => recipient.Open([], altered));
        Assert.Equal("canary"u8.ToArray(), recipient.Open([], ct));
        // Replaying the same ciphertext under the next sequence number must fail: nonces never repeat.
        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => recipient.Open([], ct));
    }
}
