using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Candor.Client.LocalStore;

namespace Candor.Client.Transparency;

/// <summary>
/// The nonce of each committed report: HMAC-SHA256 under a secret that never leaves the device, over the
/// seal generation, metric and period. Derived rather than drawn so that <c>Preview()</c> shows the very
/// bytes the next upload sends, commitments included (privacy invariant 7); the generation moves on with
/// every seal, so a period sent again (development uploads send a running week in parts) gets a new nonce
/// and a new commitment. HMAC is a pseudorandom function: a revealed nonce says nothing of the secret or
/// of any other nonce, so commitments stay unlinkable.
/// </summary>
internal sealed class CommitmentNonces
{
    public const string SecretKey = "commitment_secret";
    public const string GenerationKey = "commitment_generation";

    private readonly byte[] _secret;

    private CommitmentNonces(byte[] secret, long generation)
    {
        _secret = secret;
        Generation = generation;
    }

    /// <summary>The generation the next seal uses; the seal stores <c>Generation + 1</c> with its batches.</summary>
    public long Generation { get; }

    /// <summary>Reads (or creates) the secret and the generation from the local store; erasing the store forgets both.</summary>
    public static CommitmentNonces Load(ClientStore store)
    {
        byte[]? secret = null;
        try { secret = store.GetState(SecretKey) is { } text ? Convert.FromBase64String(text) : null; }
        catch (FormatException) { /* damaged: a new one below; old receipts keep their own nonces */ }
        if (secret is not { Length: 32 })
        {
            secret = RandomNumberGenerator.GetBytes(32);
            store.SetState(SecretKey, Convert.ToBase64String(secret));
        }
        long generation = long.TryParse(store.GetState(GenerationKey), NumberStyles.None, CultureInfo.InvariantCulture, out var g) ? g : 0;
        return new CommitmentNonces(secret, generation);
    }

    public byte[] For(string metric, string period) =>
        HMACSHA256.HashData(_secret, Encoding.UTF8.GetBytes($"candor commitment nonce v1\0{Generation.ToString(CultureInfo.InvariantCulture)}\0{metric}\0{period}"));
}
