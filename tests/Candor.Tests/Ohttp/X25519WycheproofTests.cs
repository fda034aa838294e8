using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using Candor.Hpke;

namespace Candor.Tests.Ohttp;

public sealed class X25519WycheproofTests
{
    private static string VectorFile([CallerFilePath] string source = "") =>
        Path.Combine(Path.GetDirectoryName(source)!, "Vectors", "x25519_test.json");

    [Fact]
    public void X25519_agrees_with_every_wycheproof_vector_and_refuses_zero_shared_secrets()
    {
        Assert.True(X25519.IsSupported, "OpenSSL 3 libcrypto must be loadable on the test machine");
        CheckEveryVector((id, priv, pub, _) => X25519.SharedSecret(priv, pub));
    }

    [Fact]
    public void A_private_key_loaded_once_agrees_with_every_wycheproof_vector_and_refuses_zero_shared_secrets()
    {
        // X25519PrivateKey is what the gateway keeps loaded; it must answer exactly like the one-shot call.
        CheckEveryVector((id, priv, pub, disagreements) =>
        {
            using var key = new X25519PrivateKey(priv);
            if (!key.PublicKey.AsSpan().SequenceEqual(X25519.PublicKey(priv)))
                disagreements.Add($"tcId {id}: another public key than X25519.PublicKey");
            return key.SharedSecret(pub);
        });
    }

    /// <summary>
    /// Runs <paramref name="agree"/> (tcId, private, public, disagreements) on all 518 vectors: valid ones give the
    /// vector's shared secret, invalid ones and the 31 all-zero outputs are refused (HPKE, RFC 9180 7.1.4,
    /// requires refusing an all-zero DH output; nothing else may fail).
    /// </summary>
    private static void CheckEveryVector(Func<int, byte[], byte[], List<string>, byte[]> agree)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(VectorFile()));
        var disagreements = new List<string>();
        int checkedCount = 0, refusedZero = 0;
        foreach (var group in doc.RootElement.GetProperty("testGroups").EnumerateArray())
        foreach (var test in group.GetProperty("tests").EnumerateArray())
        {
            checkedCount++;
            var id = test.GetProperty("tcId").GetInt32();
            var flags = test.GetProperty("flags").EnumerateArray().Select(f => f.GetString()).ToList();
            var result = test.GetProperty("result").GetString();
            var priv = Convert.FromHexString(test.GetProperty("private").GetString()!);
            var pub = Convert.FromHexString(test.GetProperty("public").GetString()!);
            var shared = Convert.FromHexString(test.GetProperty("shared").GetString()!);
            try
            {
                var computed = agree(id, priv, pub, disagreements);
                if (result == "invalid" || flags.Contains("ZeroSharedSecret"))
                    disagreements.Add($"tcId {id}: accepted, should be refused ({string.Join(",", flags)})");
                else if (!computed.AsSpan().SequenceEqual(shared))
                    disagreements.Add($"tcId {id}: wrong shared secret");
            }
            catch (CryptographicException)
            {
                if (flags.Contains("ZeroSharedSecret"))
                    refusedZero++;
                else if (result != "invalid")
                    disagreements.Add($"tcId {id}: refused a {result} vector");
            }
        }
        Assert.Empty(disagreements);
        Assert.Equal(518, checkedCount);
        Assert.Equal(31, refusedZero);
    }

    [Fact]
    public void One_loaded_key_reusing_its_derivation_contexts_agrees_with_a_fresh_agreement_for_every_vector_public_key()
    {
        // X25519PrivateKey lends each agreement a context it keeps for the next one (X25519Agreement), with the
        // peer's key replaced in place. Run every Wycheproof public key (low-order ones, which are refused, in
        // between) through ONE loaded key, twice: each answer must be what a fresh one-shot agreement gives.
        using var doc = JsonDocument.Parse(File.ReadAllBytes(VectorFile()));
        var publicKeys = doc.RootElement.GetProperty("testGroups").EnumerateArray()
            .SelectMany(g => g.GetProperty("tests").EnumerateArray())
            .Select(t => Convert.FromHexString(t.GetProperty("public").GetString()!)).ToList();
        var own = X25519.GeneratePrivateKey();
        using var key = new X25519PrivateKey(own);
        int agreed = 0, refused = 0;
        var disagreements = new List<string>();
        for (int round = 0; round < 2; round++)
            foreach (var pub in publicKeys)
            {
                byte[]? expected = null;
                try { expected = X25519.SharedSecret(own, pub); } catch (CryptographicException) { }
                try
                {
                    var computed = key.SharedSecret(pub);
                    if (expected is null || !computed.AsSpan().SequenceEqual(expected))
                        disagreements.Add($"{Convert.ToHexString(pub)}: {(expected is null ? "accepted, fresh refuses" : "another secret")}");
                    agreed++;
                }
                catch (CryptographicException)
                {
                    if (expected is not null)
                        disagreements.Add($"{Convert.ToHexString(pub)}: refused, fresh agrees");
                    refused++;
                }
            }
        Assert.Empty(disagreements);
        Assert.True(refused > 0 && agreed > refused, $"{agreed} agreed, {refused} refused: the file's low-order keys must be among them");
    }

    [Fact]
    public async Task One_loaded_private_key_agrees_correctly_on_many_threads_at_once()
    {
        // The gateway shares one loaded key between all requests in flight.
        var gateway = X25519.GeneratePrivateKey();
        using var key = new X25519PrivateKey(gateway);
        var peers = Enumerable.Range(0, 64).Select(_ => X25519.GeneratePrivateKey()).ToArray();
        var wrong = await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            int mismatches = 0;
            for (int i = 0; i < 200; i++)
            {
                var peer = peers[(i + t) % peers.Length];
                if (!key.SharedSecret(X25519.PublicKey(peer)).AsSpan().SequenceEqual(X25519.SharedSecret(peer, key.PublicKey)))
                    mismatches++;
            }
            return mismatches;
        })));
        Assert.All(wrong, w => Assert.Equal(0, w));
    }

    [Fact]
    public void A_disposed_private_key_refuses_to_agree_and_bad_lengths_are_refused()
    {
        var key = new X25519PrivateKey(X25519.GeneratePrivateKey());
        Assert.Throws<CryptographicException>(() => key.SharedSecret(new byte[31]));
        key.Dispose();
        Assert.Throws<ObjectDisposedException>(() => key.SharedSecret(X25519.PublicKey(X25519.GeneratePrivateKey())));
        Assert.Throws<CryptographicException>(() => new X25519PrivateKey(new byte[33]));
    }

    [Fact]
    public void The_rfc7748_alice_and_bob_keys_agree()
    {
        var alice = Convert.FromHexString("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        var bob = Convert.FromHexString("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
        Assert.Equal("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", Convert.ToHexStringLower(X25519.PublicKey(alice)));
        var expected = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
        Assert.Equal(expected, Convert.ToHexStringLower(X25519.SharedSecret(alice, X25519.PublicKey(bob))));
        Assert.Equal(expected, Convert.ToHexStringLower(X25519.SharedSecret(bob, X25519.PublicKey(alice))));
    }
}
