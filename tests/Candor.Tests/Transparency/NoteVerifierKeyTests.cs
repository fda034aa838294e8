using System.Security.Cryptography;
using Candor.Transparency;

namespace Candor.Tests.Transparency;

/// <summary>The verifier key line an app ships (name+keyid+base64(0x02 || SPKI)): read back exactly, refused when altered.</summary>
public sealed class NoteVerifierKeyTests
{
    private static readonly EcdsaNoteKey Signer = EcdsaNoteKey.ForSigning("log.example/candor", ECDsa.Create(ECCurve.NamedCurves.nistP256));

    [Fact]
    public void A_formatted_key_reads_back_and_verifies_notes_the_signer_signed()
    {
        var text = NoteVerifierKey.Format(Signer);
        Assert.True(NoteVerifierKey.TryParse(text, out var key, out var reason), reason);
        Assert.Equal((Signer.Name, Signer.KeyId), (key!.Name, key.KeyId));
        var note = SignedNote.Sign("log.example/candor\n1\n" + Convert.ToBase64String(new byte[32]) + "\n", Signer);
        Assert.True(SignedNote.TryOpen(note, [key], out _, out reason), reason);
    }

    [Theory]
    [InlineData("key id", "does not match the key")]
    [InlineData("type", "Candor log keys are ECDSA P-256")]
    [InlineData("parts", "name+keyid+key")]
    [InlineData("base64", "not base64")]
    public void An_altered_key_is_refused_with_a_reason(string alter, string expected)
    {
        var parts = NoteVerifierKey.Format(Signer).Split('+', 3);
        var blob = Convert.FromBase64String(parts[2]);
        var text = alter switch
        {
            "key id" => $"{parts[0]}+{Signer.KeyId ^ 1:x8}+{parts[2]}",
            "type" => $"{parts[0]}+{parts[1]}+{Convert.ToBase64String([0x01, .. blob[1..]])}",
            "parts" => parts[0],
            _ => $"{parts[0]}+{parts[1]}+!!!",
        };
        Assert.False(NoteVerifierKey.TryParse(text, out var key, out var reason));
        Assert.Null(key);
        Assert.Contains(expected, reason);
    }
}
