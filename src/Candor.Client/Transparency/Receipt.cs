namespace Candor.Client.Transparency;

/// <summary>
/// What the device keeps of one report it committed to: the secret nonce, the commitment sent with the
/// report, and the report as the collector stores it (app, metric, period, canonical value). The nonce
/// never leaves the device except in a deletion the user asks for; with it, anyone could recompute the
/// commitment and find the report's leaf, so a receipt is as private as the report itself.
/// </summary>
/// <param name="Commitment">The commitment, unpadded base64url (43 characters), as sent.</param>
/// <param name="Nonce">The secret nonce, unpadded base64url.</param>
/// <param name="SentAt">When the collector accepted the batch; null while it waits in the outbox.</param>
/// <param name="LeafIndex">The leaf of the report log that holds the commitment, once proved.</param>
/// <param name="TreeSize">The size of the checkpoint the inclusion was proved against.</param>
/// <param name="DeletedAt">When the collector confirmed its deletion (deleted or already deleted).</param>
public sealed record Receipt(
    string Commitment,
    string Nonce,
    string App,
    string Metric,
    string Period,
    string Value,
    DateTimeOffset? SentAt,
    long? LeafIndex,
    long? TreeSize,
    DateTimeOffset? DeletedAt)
{
    /// <summary>Where the report stands: unsent, sent, included in the log, or deleted.</summary>
    public ReceiptStatus Status =>
        DeletedAt is not null ? ReceiptStatus.Deleted
        : SentAt is null ? ReceiptStatus.Unsent
        : LeafIndex is not null ? ReceiptStatus.Included
        : ReceiptStatus.Sent;
}
