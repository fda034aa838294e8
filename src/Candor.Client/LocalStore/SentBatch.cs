namespace Candor.Client.LocalStore;

/// <summary>A batch that was accepted by the collector, kept in a bounded local history.</summary>
public sealed record SentBatch(DateTimeOffset SentAt, string Body, int Accepted);
