using Candor.Client.Consent;
using Candor.Client.LocalStore;

namespace Candor.Client;

public sealed partial class CandorClient
{
    // ---- Transparency log: receipts, checks, deletion by receipt (docs/transparency.md) ----

    /// <summary>
    /// The receipts of reports this device committed to (nonce, commitment, the report as stored, when
    /// sent, proved or deleted). Local only; kept after consent is revoked, so sent reports can still be
    /// checked and deleted, and erased with everything else by <see cref="Erase"/>.
    /// </summary>
    public IReadOnlyList<Transparency.Receipt> Receipts() => Quietly("reading the receipts", _log.Receipts, []);

    /// <inheritdoc cref="Receipts"/>
    public Task<IReadOnlyList<Transparency.Receipt>> ReceiptsAsync(CancellationToken cancel = default) => OffThread(Receipts, cancel);

    /// <summary>
    /// Checks every sent report against the collector's log: fetches the checkpoint, checks it is signed by
    /// the log key (<see cref="CandorClientOptions.LogKey"/>, else the key trusted on first use) and extends
    /// the newest checkpoint this device saw before, then proves each receipt included, or says it is
    /// pending, missing or deleted. A log caught misbehaving gives <see cref="Transparency.LogVerification.Alarm"/>
    /// with evidence. The lookups go out together; <see cref="Transparency.LogVerification.Disclosure"/> says what that reveals.
    /// Like every call that reaches the network, it runs only with consent: otherwise it throws
    /// <see cref="ConsentRequiredException"/> and sends nothing (privacy invariant 10).
    /// </summary>
    /// <remarks>Never throws for a full disk: the answer says <see cref="Transparency.LogVerification.LocalStoreUnavailable"/>, logged once per episode.</remarks>
    public async Task<Transparency.LogVerification> VerifyReportsAsync(CancellationToken cancel = default)
    {
        RequireConsent("checking reports in the transparency log");
        return await _log.VerifyAsync(cancel).ConfigureAwait(false);
    }

    /// <summary>
    /// The background check: with consent, looks up the one receipt whose random check time came first
    /// (one receipt per request). The background schedule calls this; null when nothing was due.
    /// </summary>
    public Task<Transparency.ReceiptCheck?> VerifyNextReceiptIfDueAsync(CancellationToken cancel = default) => _steps.VerifyNextReceiptIfDueAsync(cancel);

    /// <summary>
    /// Deletion by receipt: reveals the nonces of <paramref name="receipts"/> (default: every sent receipt)
    /// to the collector, which removes those reports from its stored counts (not from figures already
    /// published) and records the deletion in its log. Returns each receipt's outcome; receipts deleted
    /// (or already deleted) are marked so on the device. Runs with consent, and after the user's own "no"
    /// (a withdrawal is when deletion is wanted); with consent unset, <c>DO_NOT_TRACK</c> or a machine policy
    /// it throws <see cref="ConsentRequiredException"/> and sends nothing.
    /// </summary>
    /// <remarks>Never throws for a full disk: the answer says <see cref="Transparency.ReceiptDeletions.LocalStoreUnavailable"/>, logged once per episode.</remarks>
    public async Task<Transparency.ReceiptDeletions> DeleteReportsAsync(IEnumerable<Transparency.Receipt>? receipts = null, CancellationToken cancel = default)
    {
        if (_transport is not null)
            lock (_local)
                _gate.RequireForDeletion();
        return await _deletions.DeleteAsync(receipts, cancel).ConfigureAwait(false);
    }

    /// <summary>
    /// Deletion by receipt as split uploads travel: schedules <paramref name="receipts"/> (default: every sent
    /// receipt not deleted yet) to leave one per request, each at its own random moment within
    /// <see cref="CandorClientOptions.DeletionWindow"/>, so neither the collector nor its public log can tell how
    /// many reports this device deleted or that they went together. The background schedule sends them
    /// (<see cref="DeleteNextReceiptIfDueAsync"/>); runs whatever the consent state. Returns how many were scheduled.
    /// </summary>
    /// <remarks>A full disk schedules nothing (0) rather than throwing; call again once the disk has room.</remarks>
    public int ScheduleReportDeletion(IEnumerable<Transparency.Receipt>? receipts = null) => Quietly("scheduling deletions", () => _deletions.ScheduleDeletions(receipts), 0);

    /// <summary>The background step for scheduled deletions: sends the one whose moment came first, alone; null when none was due.</summary>
    public Task<Transparency.ReceiptDeletion?> DeleteNextReceiptIfDueAsync(CancellationToken cancel = default) => _steps.DeleteNextReceiptIfDueAsync(cancel);

    /// <summary>
    /// Compares a checkpoint seen elsewhere (another device, a mirror, a witness: the signed note text)
    /// with the newest one this device verified; a fork comes back with both notes as evidence.
    /// </summary>
    /// <remarks>Fetches the collector's checkpoint, so it runs only with consent (<see cref="ConsentRequiredException"/>).
    /// Never throws for a full disk: the answer says <see cref="Transparency.CheckpointComparison.LocalStoreUnavailable"/>.</remarks>
    public async Task<Transparency.CheckpointComparison> CompareCheckpointAsync(string signedCheckpoint, CancellationToken cancel = default)
    {
        RequireConsent("comparing checkpoints with the collector's");
        return await _log.CompareAsync(signedCheckpoint, cancel).ConfigureAwait(false);
    }

    // ---- Privacy Pass tokens (docs/client.md, "Anonymous tokens") ----

    /// <summary>
    /// Tops the token wallet up now (<see cref="CandorClientOptions.PrivateTokens"/>): the collector's
    /// challenge through the usual transport, then blinded requests to the issuer from this device's own
    /// address (or Tor exit). With <see cref="CandorClientOptions.BackgroundWork"/> on, refills already run
    /// at random moments of their own; an app that runs the client without background work calls this,
    /// at times unrelated to its uploads (a refill right before an upload would tell the issuer when this
    /// address uploads). Returns the tokens added (0 when the wallet is full or the collector asks for none).
    /// Throws <see cref="ConsentRequiredException"/> without consent, <see cref="InvalidOperationException"/>
    /// when tokens are off or no collector is configured, and <see cref="HttpRequestException"/> when the
    /// collector or issuer cannot be reached; a failure is also written to the log, once per run of failures.
    /// </summary>
    public async Task<int> RefillTokensAsync(CancellationToken cancel = default)
    {
        if (_tokens is null)
            throw new InvalidOperationException(_transport is null
                ? "No collector is configured (CollectorUrl): there is no token issuer to ask."
                : "Privacy Pass tokens are off (PrivateTokens): there is no wallet to fill.");
        RequireConsent("fetching Privacy Pass tokens");
        // A full disk: the tokens could not be kept anyway; none were added, and the next refill tries again.
        return await QuietlyAsync("storing Privacy Pass tokens", () => _tokens.RefillAsync(cancel), 0).ConfigureAwait(false);
    }

    /// <inheritdoc cref="StorageFault.Quietly"/>
    private T Quietly<T>(string what, Func<T> work, T nothing) => _fault.Quietly(what, work, () => nothing);

    /// <inheritdoc cref="StorageFault.QuietlyAsync"/>
    private Task<T> QuietlyAsync<T>(string what, Func<Task<T>> work, T nothing) => _fault.QuietlyAsync(what, work, nothing);

    /// <summary>The consent gate of the calls an app makes that reach the network; a client without a collector sends nothing anyway.</summary>
    private void RequireConsent(string what)
    {
        if (_transport is null)
            return;
        lock (_local)
            _gate.RequireForNetwork(what);
    }
}
