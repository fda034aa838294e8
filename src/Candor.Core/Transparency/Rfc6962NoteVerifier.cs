using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Candor.Transparency;

/// <summary>
/// Signed-note signature type 0x05 (c2sp.org/static-ct-api): a Certificate Transparency log's RFC 6962
/// TreeHeadSignature over a checkpoint. The signature line carries an 8-byte timestamp then the TLS
/// DigitallySigned struct (hash 4 = SHA-256, signature 3 = ECDSA, 2-byte length, DER signature); the
/// signed bytes are rebuilt from the checkpoint text, so a note whose size or root was edited fails.
/// </summary>
internal sealed class Rfc6962NoteVerifier : INoteVerifier
{
    private readonly ECDsa _key;

    public Rfc6962NoteVerifier(string name, byte[] subjectPublicKeyInfo)
    {
        Name = name;
        _key = ECDsa.Create();
        _key.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out _);
        KeyId = EcdsaNoteKey.KeyIdFor(name, 0x05, subjectPublicKeyInfo);
    }

    public string Name { get; }

    public uint KeyId { get; }

    public bool Verify(byte[] noteText, byte[] signature)
    {
        if (!Checkpoint.TryParse(Encoding.UTF8.GetString(noteText), out var checkpoint, out _) || checkpoint!.Origin != Name)
            return false;
        if (signature.Length < 12 || signature[8] != 4 || signature[9] != 3)
            return false;
        var length = BinaryPrimitives.ReadUInt16BigEndian(signature.AsSpan(10));
        if (signature.Length != 12 + length)
            return false;
        return VerifyTreeHead(BinaryPrimitives.ReadUInt64BigEndian(signature), checkpoint.Size, checkpoint.RootHash, signature[12..]);
    }

    /// <summary>Checks a bare RFC 6962 signed tree head (the DER ECDSA signature inside DigitallySigned).</summary>
    public bool VerifyTreeHead(ulong timestamp, ulong treeSize, byte[] rootHash, byte[] derSignature)
    {
        // TreeHeadSignature: version v1 (0), signature_type tree_hash (1), timestamp, tree_size, root.
        var signed = new byte[2 + 8 + 8 + 32];
        signed[0] = 0;
        signed[1] = 1;
        BinaryPrimitives.WriteUInt64BigEndian(signed.AsSpan(2), timestamp);
        BinaryPrimitives.WriteUInt64BigEndian(signed.AsSpan(10), treeSize);
        if (rootHash.Length != 32)
            return false;
        rootHash.CopyTo(signed, 18);
        return _key.VerifyData(signed, derSignature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
    }
}
