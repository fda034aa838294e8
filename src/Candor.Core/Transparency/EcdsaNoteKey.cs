using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Candor.Transparency;

/// <summary>
/// Signed-note signature type 0x02: ECDSA P-256 with SHA-256 over the note text, DER-encoded, as
/// transparency-dev/witness does. Ed25519 (type 0x01, the usual choice) is not in the .NET base library,
/// and P-256 is, so a log key is P-256. The key ID is the first four bytes of SHA-256 of the public key
/// in SPKI DER form, as the signed-note specification sets for this type.
/// </summary>
internal sealed class EcdsaNoteKey : INoteVerifier
{
    private readonly ECDsa _key;
    private readonly bool _canSign;

    private EcdsaNoteKey(string name, ECDsa key, bool canSign)
    {
        if (name.Length == 0 || name.Any(c => c <= ' ' || c == '+'))
            throw new ArgumentException("A key name is non-empty, without spaces or '+'.", nameof(name));
        if (key.KeySize != 256)
            throw new ArgumentException("A note key is ECDSA P-256.", nameof(key));
        Name = name;
        _key = key;
        _canSign = canSign;
        KeyId = BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(key.ExportSubjectPublicKeyInfo()));
    }

    public string Name { get; }

    public uint KeyId { get; }

    /// <summary>The public key in SPKI DER form: what a verifier key carries after its type byte.</summary>
    public byte[] SubjectPublicKeyInfo => _key.ExportSubjectPublicKeyInfo();

    public static EcdsaNoteKey ForSigning(string name, ECDsa privateKey) => new(name, privateKey, true);

    public static EcdsaNoteKey ForVerifying(string name, byte[] subjectPublicKeyInfo)
    {
        var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out _);
        return new EcdsaNoteKey(name, key, false);
    }

    public byte[] Sign(byte[] noteText) =>
        _canSign
            ? _key.SignData(noteText, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)
            : throw new InvalidOperationException($"The key {Name} holds only a public key.");

    public bool Verify(byte[] noteText, byte[] signature) =>
        _key.VerifyData(noteText, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

    internal static uint KeyIdFor(string name, byte type, byte[] publicKey)
    {
        var input = Encoding.UTF8.GetBytes(name + "\n").Concat([type]).Concat(publicKey).ToArray();
        return BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(input));
    }
}
