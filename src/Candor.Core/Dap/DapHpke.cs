using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Candor.Hpke;

namespace Candor.Dap;

/// <summary>
/// The two HPKE uses of DAP-09: input shares sealed by a client to one aggregator, and aggregate shares
/// sealed by an aggregator to the Collector. The info string names sender and recipient roles, so a
/// ciphertext meant for the Helper does not open at the Leader even under the same key.
/// </summary>
internal static class DapHpke
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
        var suite = key.Config.Suite();
        var context = LoadedKeys.GetValue(key, Load).Key is { } loaded
            ? suite.SetupBaseRecipient(ciphertext.Enc, loaded, info)
            : suite.SetupBaseRecipient(ciphertext.Enc, key.PrivateKey, key.Config.PublicKey, info);
        return context.Open(aad, ciphertext.Payload);
    }

    /// <summary>
    /// Each aggregator key loaded into OpenSSL once: loading a raw X25519 key computes its public key, a full
    /// scalar multiplication, which per report doubled the curve work of every upload at the Leader and of
    /// every aggregation job at the Helper (docs/benchmarks.md, "DAP"). Weak, so a task's keys go with it.
    /// </summary>
    private static readonly ConditionalWeakTable<DapHpkeKeyPair, LoadedKey> LoadedKeys = new();

    private sealed record LoadedKey(DhkemPrivateKey? Key);

    private static LoadedKey Load(DapHpkeKeyPair key)
    {
        try
        {
            var loaded = key.Config.Suite().Kem.LoadPrivateKey(key.PrivateKey);
            // A configuration whose public key is not the private key's keeps the per-call path, so that
            // such a mistake fails every open exactly as before rather than opening under another key.
            return new LoadedKey(loaded.PublicKey.AsSpan().SequenceEqual(key.Config.PublicKey) ? loaded : null);
        }
        catch (CryptographicException)
        {
            return new LoadedKey(null);
        }
    }
}

/// <summary>An HPKE configuration with its private key (an aggregator's, or the Collector's).</summary>
internal sealed record DapHpkeKeyPair(DapHpkeConfig Config, byte[] PrivateKey)
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
