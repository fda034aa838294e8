namespace Candor.Client.Upload;

internal enum UploadResult { Accepted, Retry, Dropped }

/// <summary>What one attempt to send a batch came to.</summary>
/// <param name="NextReportAfter">From a 202: how long the collector asks us to wait before the next upload.</param>
/// <param name="RetryAfter">From a 503 (or 429): the least time to wait before retrying.</param>
/// <param name="Reason">For the user's local log: the status and the collector's answer (which may name a refused value).</param>
/// <param name="Summary">For the host's log: the status or the kind of failure only.</param>
internal sealed record UploadOutcome(UploadResult Result, string Reason, int Accepted = 0, TimeSpan? NextReportAfter = null, TimeSpan? RetryAfter = null, string? Summary = null);
