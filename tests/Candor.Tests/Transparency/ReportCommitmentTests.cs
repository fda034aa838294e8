using Candor.Transparency;

namespace Candor.Tests.Transparency;

public sealed class ReportCommitmentTests
{
    // Known answers computed outside .NET (Python's hashlib over the documented byte layout), so a
    // change to the layout on one side cannot pass by agreeing with itself.
    [Fact]
    public void Commitment_matches_the_documented_byte_layout()
    {
        var nonce = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        Assert.Equal("6b9968b3d6b9f6cb28932d67f1036222eb5503b9db88be61e5314c037dac0fa4",
            Convert.ToHexStringLower(ReportCommitment.Compute(nonce, "org.example.editor", "system.os", "2026-W47", "linux")));

        var ones = Enumerable.Repeat((byte)0xff, 32).ToArray();
        Assert.Equal("4deca5fd696ae32a0ba8ace23fe268fd200e48b64a50dcf81a9d54fdaa9a2d63",
            Convert.ToHexStringLower(ReportCommitment.Compute(ones, "org.example.editor", "app.histo", "2026-11-21", "{\"100\":3,\"250\":1}é")));
    }

    [Fact]
    public void Moving_a_field_boundary_or_changing_the_nonce_changes_the_commitment()
    {
        var nonce = ReportCommitment.NewNonce();
        var a = ReportCommitment.Compute(nonce, "app", "ab", "2026-W47", "c");
        Assert.NotEqual(a, ReportCommitment.Compute(nonce, "app", "a", "2026-W47", "bc"));
        Assert.NotEqual(a, ReportCommitment.Compute(nonce, "app", "ab", "2026-W48", "c"));
        Assert.NotEqual(a, ReportCommitment.Compute(ReportCommitment.NewNonce(), "app", "ab", "2026-W47", "c"));
        Assert.Equal(a, ReportCommitment.Compute(nonce, "app", "ab", "2026-W47", "c"));
    }

    [Fact]
    public void A_zero_character_or_a_short_nonce_is_refused()
    {
        Assert.Throws<ArgumentException>(() => ReportCommitment.Compute(new byte[16], "app", "m", "2026-W47", "v"));
        Assert.Contains("metric", Assert.Throws<ArgumentException>(() => ReportCommitment.Compute(new byte[32], "app", "m\0", "2026-W47", "v")).Message);
    }

    [Fact]
    public void Only_the_canonical_unpadded_base64url_spelling_decodes()
    {
        var bytes = ReportCommitment.NewNonce();
        var text = ReportCommitment.Encode(bytes);
        Assert.Equal(ReportCommitment.EncodedLength, text.Length);
        Assert.True(ReportCommitment.TryDecode(text, out var back));
        Assert.Equal(bytes, back);

        Assert.False(ReportCommitment.TryDecode(text + "=", out _));
        Assert.False(ReportCommitment.TryDecode(text[..^1], out _));
        Assert.False(ReportCommitment.TryDecode(null, out _));
        Assert.False(ReportCommitment.TryDecode(Convert.ToBase64String(new byte[32]).TrimEnd('=').Replace('A', '+'), out _));
        // 32 bytes use 2 of the last character's 6 bits: 'B' sets a stray low bit that 'A' does not.
        Assert.False(ReportCommitment.TryDecode(new string('A', 42) + "B", out _));
        Assert.True(ReportCommitment.TryDecode(new string('A', 43), out var zeros));
        Assert.Equal(new byte[32], zeros);
    }

    [Fact]
    public void A_log_entry_is_a_kind_byte_and_a_commitment()
    {
        var commitment = ReportCommitment.NewNonce();
        var entry = new LogEntry(LogEntryKind.Deletion, commitment);
        var bytes = entry.ToBytes();
        Assert.Equal(33, bytes.Length);
        Assert.Equal((byte)1, bytes[0]);
        Assert.True(LogEntry.TryParse(bytes, out var back));
        Assert.Equal(LogEntryKind.Deletion, back.Kind);
        Assert.Equal(commitment, back.Commitment);
        Assert.Equal(MerkleHash.Leaf(bytes), entry.LeafHash());

        bytes[0] = 2;
        Assert.False(LogEntry.TryParse(bytes, out _));
        Assert.False(LogEntry.TryParse(bytes[..32], out _));
    }
}
