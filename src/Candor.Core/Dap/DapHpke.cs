using System.Text;
using Candor.Hpke;

namespace Candor.Dap;

/// <summary>
/// The two HPKE uses of DAP-09: input shares sealed by a client to one aggregator, and aggregate shares
/// sealed by an aggregator to the Collector. The info string names sender and recipient roles, so a
/// ciphertext meant for the Helper does not open at the Leader even under the same key.
/// </summary>
public static class DapHpke
{
    private static readonly byte[] InputShareLabel = Encoding.ASCII.GetBytes("dap-09 input share");
    private static readonly byte[] AggregateShareLabel = Encoding.ASCII.GetBytes("dap-09 aggregate share");

    public static byte[] InputShareInfo(DapRole recipient) => [.. InputShareLabel, (byte)DapRole.Client, (byte)recipient];

    public static byte[] AggregateShareInfo(DapRole sender) => [.. AggregateShareLabel, (byte)sender, (byte)DapRole.Collector];

    public static HpkeCiphertext Seal(DapHpkeConfig config, byte[] info, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext)
    {
        var (enc, context) = config.Suite().SetupBaseSender(config.PublicKey, info);
        return new HpkeCiphertext(config.Id, enc, context.Seal(aad, plaintext));
    }

    /// <exception cref="System.Security.Cryptography.CryptographicException">The ciphertext does not open under this key, info and aad.</exception>
    public static byte[] Open(DapHpkeKeyPair key, byte[] info, ReadOnlySpan<byte> aad, HpkeCiphertext ciphertext)
    {
        var context = key.Config.Suite().SetupBaseRecipient(ciphertext.Enc, key.PrivateKey, key.Config.PublicKey, info);
        return context.Open(aad, ciphertext.Payload);
    }
}

/// <summary>An HPKE configuration with its private key (an aggregator's, or the Collector's).</summary>
public sealed record DapHpkeKeyPair(DapHpkeConfig Config, byte[] PrivateKey)
{
    /// <summary>A fresh X25519 / HKDF-SHA256 / AES-128-GCM key, the suite every DAP-09 client implements.</summary>
    public static DapHpkeKeyPair Generate(byte id)
    {
        var kem = Dhkem.X25519Sha256;
        var privateKey = kem.GeneratePrivateKey();
        return new DapHpkeKeyPair(new DapHpkeConfig(id, (ushort)KemId.X25519Sha256, (ushort)KdfId.HkdfSha256, (ushort)AeadId.Aes128Gcm,
            kem.PublicKey(privateKey)), privateKey);
    }
}
