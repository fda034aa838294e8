namespace Candor.Client.Outbox;

/// <summary>
/// A sealed batch waiting for a 202. Its body bytes and <see cref="IdempotencyKey"/> are fixed when it is
/// sealed and never change, so every retry is the same request and the collector counts it once.
/// </summary>
public sealed record OutboxBatch(long Id, string IdempotencyKey, byte[] Body, DateOnly OldestPeriodEnd, int Attempts)
{
    public string Json => System.Text.Encoding.UTF8.GetString(Body);
}
