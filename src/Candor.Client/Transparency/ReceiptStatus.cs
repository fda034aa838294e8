namespace Candor.Client.Transparency;

/// <summary>Where a receipt stands on the device, from what the device has seen (not a fresh check).</summary>
public enum ReceiptStatus
{
    /// <summary>The report waits in the outbox.</summary>
    Unsent,

    /// <summary>The collector accepted the report; its inclusion in the log is not proved yet.</summary>
    Sent,

    /// <summary>An inclusion proof against a verified checkpoint was checked on this device.</summary>
    Included,

    /// <summary>The collector confirmed the report's deletion by receipt.</summary>
    Deleted,
}
