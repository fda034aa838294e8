namespace Candor.Collector.Storage;

/// <summary>
/// A key-order rewrite was not started because it would not fit on the disk (the reason says what it
/// needs and what is free). Nothing was written; ingest is unaffected; the next interval measures again.
/// </summary>
public sealed class RewriteSkippedException(string reason) : Exception(reason);
