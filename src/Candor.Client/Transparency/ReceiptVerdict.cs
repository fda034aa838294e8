namespace Candor.Client.Transparency;

/// <summary>What a check of one receipt against the collector's log found.</summary>
public enum ReceiptVerdict
{
    /// <summary>Proved: the report's leaf is in the verified checkpoint.</summary>
    Included,

    /// <summary>Not in the log yet, and recently sent: leaves are added in hourly epochs.</summary>
    Pending,

    /// <summary>Still not in the log well after an epoch (<see cref="CandorClientOptions.LogMissingAfter"/>): the collector dropped it.</summary>
    Missing,

    /// <summary>Deleted by receipt; the detail says whether the deletion's own leaf is proved yet.</summary>
    Deleted,

    /// <summary>The collector served an inclusion proof that does not lead to the verified checkpoint: the log is not what it claims.</summary>
    ProofFailed,
}
