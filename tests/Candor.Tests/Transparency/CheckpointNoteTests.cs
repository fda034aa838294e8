using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;
using Candor.Transparency;

namespace Candor.Tests.Transparency;

/// <summary>
/// Checkpoints as C2SP signed notes: Candor's own P-256 signatures round-trip and catch edits, and the
/// real Argon 2020 signed tree head verifies when carried as a type 0x05 signed note.
/// </summary>
public class CheckpointNoteTests
{
    private const string ArgonOrigin = "ct.googleapis.com/logs/argon2020";

    [Fact]
    public void A_signed_checkpoint_opens_with_its_key_and_parses_back()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var key = EcdsaNoteKey.ForSigning("candor.example/log", ecdsa);
        var checkpoint = new Checkpoint("candor.example/log", 42, MerkleHash.Leaf([1]));

        var note = SignedNote.Sign(checkpoint.ToNoteText(), key);
        var verifier = EcdsaNoteKey.ForVerifying("candor.example/log", ecdsa.ExportSubjectPublicKeyInfo());

        Assert.True(SignedNote.TryOpen(note, [verifier], out var text, out var reason), reason);
        Assert.True(Checkpoint.TryParse(text, out var back, out reason), reason);
        Assert.Equal(42UL, back!.Size);
        Assert.Equal(checkpoint.RootHash, back.RootHash);
        Assert.StartsWith("candor.example/log\n42\n", note);
        Assert.Contains("\n\n\u2014 candor.example/log ", note);
    }

    [Fact]
    public void An_edited_tree_size_or_a_foreign_key_is_rejected()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var note = SignedNote.Sign(new Checkpoint("candor.example/log", 42, MerkleHash.Leaf([1])).ToNoteText(),
            EcdsaNoteKey.ForSigning("candor.example/log", ecdsa));
        var verifier = EcdsaNoteKey.ForVerifying("candor.example/log", ecdsa.ExportSubjectPublicKeyInfo());

        Assert.False(SignedNote.TryOpen(note.Replace("\n42\n", "\n43\n"), [verifier], out _, out var reason));
        Assert.Contains("does not verify", reason);
        Assert.False(SignedNote.TryOpen(note, [EcdsaNoteKey.ForVerifying("candor.example/log", other.ExportSubjectPublicKeyInfo())], out _, out reason));
        Assert.Contains("no known key", reason);
        Assert.False(SignedNote.TryOpen("candor.example/log\n42\n", [verifier], out _, out _));
    }

    [Theory]
    [InlineData("origin\n042\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")]
    [InlineData("origin\n-1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")]
    [InlineData("origin\n1\nAAAA\n")]
    [InlineData("\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")]
    [InlineData("origin\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    public void A_malformed_checkpoint_is_refused_with_a_reason(string text)
    {
        Assert.False(Checkpoint.TryParse(text, out _, out var reason));
        Assert.NotEmpty(reason);
    }

    [Fact]
    public void The_argon2020_signed_tree_head_verifies_as_a_signed_note()
    {
        var verifier = new Rfc6962NoteVerifier(ArgonOrigin, ArgonKey());

        Assert.True(SignedNote.TryOpen(ArgonNote(), [verifier], out var text, out var reason), reason);
        Assert.True(Checkpoint.TryParse(text, out var checkpoint, out reason), reason);
        Assert.Equal(961984013UL, checkpoint!.Size);
    }

    [Fact]
    public void The_argon2020_signature_does_not_cover_a_different_tree_size()
    {
        var verifier = new Rfc6962NoteVerifier(ArgonOrigin, ArgonKey());

        Assert.False(SignedNote.TryOpen(ArgonNote().Replace("\n961984013\n", "\n961984014\n"), [verifier], out _, out var reason));
        Assert.Contains("does not verify", reason);
    }

    private static string ArgonNote()
    {
        var sth = JsonDocument.Parse(File.ReadAllText(Path.Combine(SharedVectors.Folder("ct-argon2020"), "sth.json"))).RootElement;
        var text = new Checkpoint(ArgonOrigin, sth.GetProperty("tree_size").GetUInt64(),
            Convert.FromBase64String(sth.GetProperty("sha256_root_hash").GetString()!)).ToNoteText();
        var digitallySigned = Convert.FromBase64String(sth.GetProperty("tree_head_signature").GetString()!);
        var blob = new byte[4 + 8 + digitallySigned.Length];
        BinaryPrimitives.WriteUInt32BigEndian(blob, new Rfc6962NoteVerifier(ArgonOrigin, ArgonKey()).KeyId);
        BinaryPrimitives.WriteUInt64BigEndian(blob.AsSpan(4), sth.GetProperty("timestamp").GetUInt64());
        digitallySigned.CopyTo(blob, 12);
        return text + "\n\u2014 " + ArgonOrigin + " " + Convert.ToBase64String(blob) + "\n";
    }

    // The log's public key, quoted in the vector folder's SOURCE.txt from the CT log list.
    private static byte[] ArgonKey()
    {
        var line = File.ReadAllLines(Path.Combine(SharedVectors.Folder("ct-argon2020"), "SOURCE.txt")).Single(l => l.StartsWith("Argon2020 log public key", StringComparison.Ordinal));
        return Convert.FromBase64String(line[(line.LastIndexOf(' ') + 1)..]);
    }
}
