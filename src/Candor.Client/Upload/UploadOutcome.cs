namespace Candor.Client.Upload;

internal enum UploadResult { Accepted, Retry, Dropped }

/// <summary>What one attempt to send a batch came to.</summary>
/// <param name="NextReportAfter">From a 202: how long the collector asks us to wait before the next upload.</param>
/// <param name="RetryAfter">From a 503 (or 429): the least time to wait before retrying.</param>
internal sealed record UploadOutcome(UploadResult Result, string Reason, int Accepted = 0, TimeSpan? NextReportAfter = null, TimeSpan? RetryAfter = null);
