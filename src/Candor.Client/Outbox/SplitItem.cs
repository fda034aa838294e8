namespace Candor.Client.Outbox;

/// <summary>One report of a batch as a batch of its own, with the key it is always sent under.</summary>
internal sealed record SplitItem(byte[] Body, string IdempotencyKey, DateOnly PeriodEnd);
