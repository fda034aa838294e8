namespace Candor.Client.Outbox;

/// <summary>
/// A sealed batch waiting for a 202. Its body bytes and <see cref="IdempotencyKey"/> are fixed when it is
/// sealed and never change, so every retry is the same request and the collector counts it once.
/// </summary>
public sealed record OutboxBatch(long Id, string IdempotencyKey, byte[] Body, DateOnly OldestPeriodEnd, int Attempts)
{
    /// <summary>
    /// With split uploads (<see cref="CandorClientOptions.SplitUploads"/>): the moment this one-report
    /// batch is sent, drawn on the device at random, or the next retry after a failure. Null: with the
    /// next upload.
    /// </summary>
    public DateTimeOffset? SendAfter { get; init; }

    /// <summary>Split uploads: the key of the batch this report was split from (local only; it groups the parts for the outbox's limit).</summary>
    internal string? SplitFrom { get; init; }

    /// <summary>The exact bytes that will be sent, as text (the batch is UTF-8 JSON).</summary>
    public string Json => System.Text.Encoding.UTF8.GetString(Body);
}
