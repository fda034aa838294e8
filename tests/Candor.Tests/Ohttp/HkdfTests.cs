using System.Security.Cryptography;
using Candor.Hpke;

namespace Candor.Tests.Ohttp;

/// <summary>
/// Candor's HKDF (one HMAC context per key, input in parts) against the platform's <see cref="HKDF"/>.
/// The RFC 9180 vectors cover only single-block SHA-256 expansions; these cover every hash HPKE names,
/// lengths across block boundaries, empty and non-empty salts, and several expansions of one key.
/// </summary>
public sealed class HkdfTests
{
    public static TheoryData<string> Hashes() => new("SHA256", "SHA384", "SHA512");

    [Theory]
    [MemberData(nameof(Hashes))]
    public void Extract_and_expand_give_the_platform_hkdf_bytes_for_every_length(string hashName)
    {
        var hash = new HashAlgorithmName(hashName);
        int size = Labeled.HashSize(hash);
        foreach (var salt in new[] { Array.Empty<byte>(), RandomNumberGenerator.GetBytes(13), RandomNumberGenerator.GetBytes(200) })
        {
            var ikm = RandomNumberGenerator.GetBytes(45);
            var prk = new byte[size];
            Hkdf.Extract(hash, salt, prk, ikm.AsSpan(0, 10), ikm.AsSpan(10, 30), ikm.AsSpan(40));
            Assert.Equal(HKDF.Extract(hash, ikm, salt), prk);

            using var keyed = new Hkdf(hash, prk);
            var info = RandomNumberGenerator.GetBytes(29);
            foreach (int length in new[] { 1, 12, size - 1, size, size + 1, 2 * size, 3 * size + 7, 255 * size })
            {
                var mine = new byte[length];
                keyed.Expand(info, mine); // the same context, expansion after expansion
                Assert.Equal(HKDF.Expand(hash, prk, length, info), mine);
            }
            Assert.Throws<ArgumentException>(() => keyed.Expand(info, new byte[255 * size + 1]));
        }
    }

    [Fact]
    public void The_shared_empty_salt_context_carries_nothing_from_one_extract_to_the_next()
    {
        // DHKEM's extract reuses one per-thread HMAC keyed with the empty salt; each result must depend on its own input only.
        var a = RandomNumberGenerator.GetBytes(32);
        var b = RandomNumberGenerator.GetBytes(32);
        var first = new byte[32];
        var second = new byte[32];
        var again = new byte[32];
        Hkdf.Extract(HashAlgorithmName.SHA256, [], first, a);
        Hkdf.Extract(HashAlgorithmName.SHA256, [], second, b);
        Hkdf.Extract(HashAlgorithmName.SHA256, [], again, a);
        Assert.Equal(HKDF.Extract(HashAlgorithmName.SHA256, a, []), first);
        Assert.Equal(HKDF.Extract(HashAlgorithmName.SHA256, b, []), second);
        Assert.Equal(first, again);
    }
}
