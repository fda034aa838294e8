using System.Formats.Asn1;
using System.Numerics;
using System.Text.Json;
using Candor.Transparency;

namespace Candor.Tests.Transparency;

/// <summary>
/// The checkpoint key (ECDSA P-256 / SHA-256) against Wycheproof: every valid signature verifies and
/// every invalid one (malleated, out of range, wrong point) is refused.
/// </summary>
public class NoteKeyWycheproofTests
{
    [Fact]
    public void Every_wycheproof_p256_verdict_matches()
    {
        var file = Path.Combine(SharedVectors.Folder("wycheproof"), "ecdsa_secp256r1_sha256_p1363_test.json");
        var groups = JsonDocument.Parse(File.ReadAllText(file)).RootElement.GetProperty("testGroups");
        var checkedCases = 0;
        foreach (var group in groups.EnumerateArray())
        {
            var key = EcdsaNoteKey.ForVerifying("wycheproof", Convert.FromHexString(group.GetProperty("publicKeyDer").GetString()!));
            foreach (var test in group.GetProperty("tests").EnumerateArray())
            {
                var valid = test.GetProperty("result").GetString() == "valid";
                var sig = Convert.FromHexString(test.GetProperty("sig").GetString()!);
                // The vectors are in the fixed r||s form; notes carry DER, so re-encode. A signature
                // that is not 64 bytes has no DER form and must be one the vectors call invalid.
                var verified = sig.Length == 64 && key.Verify(Convert.FromHexString(test.GetProperty("msg").GetString()!), Der(sig));
                Assert.True(verified == valid, $"tcId {test.GetProperty("tcId").GetInt32()}: verified={verified}, expected {valid}");
                checkedCases++;
            }
        }
        Assert.True(checkedCases > 200, $"only {checkedCases} cases");
    }

    private static byte[] Der(byte[] p1363)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(new BigInteger(p1363.AsSpan(0, 32), isUnsigned: true, isBigEndian: true));
            writer.WriteInteger(new BigInteger(p1363.AsSpan(32, 32), isUnsigned: true, isBigEndian: true));
        }
        return writer.Encode();
    }
}
