using Candor.Client.LocalStore;
using Candor.Client.Transparency;
using Candor.Registry;

namespace Candor.Client.Reporting;

/// <summary>
/// Makes the <see cref="ReportBuilder"/> for one sealing or preview, with the device's local secrets: the
/// randomized-response secret and the commitment nonces. It lives here, beside the builder, so the upload
/// worker and the user's view get builders without calling back into the client's facade.
/// </summary>
internal sealed class ReportBuilderFactory(ClientStore store, MetricRegistry registry, Func<MetricDefinition, bool> allowed, int retentionDays, bool commitments)
{
    private const string NoiseSecretKey = "noise_secret";

    public ReportBuilder Create()
    {
        byte[]? secret = null;
        try { secret = store.GetState(NoiseSecretKey) is { } text ? Convert.FromBase64String(text) : null; }
        catch (FormatException) { /* damaged: a new one is drawn below */ }
        if (secret is not { Length: 32 })
        {
            // Local only, never sent; erasing the local data forgets it too.
            secret = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
            store.SetState(NoiseSecretKey, Convert.ToBase64String(secret));
        }
        var nonces = commitments ? CommitmentNonces.Load(store) : null;
        return new(registry, allowed, retentionDays, (metric, period) => RandomizedResponse.For(secret, metric, period), nonces is null ? null : nonces.For)
        {
            NextNonceGeneration = nonces?.Generation + 1,
        };
    }
}
