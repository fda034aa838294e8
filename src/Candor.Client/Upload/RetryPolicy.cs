using System.Net;

namespace Candor.Client.Upload;

/// <summary>
/// Which failures are worth retrying (the table in docs/protocol.md, Retrying), named in one place like
/// Sentry's IsRetryable, and how long to wait.
/// </summary>
internal static class RetryPolicy
{
    /// <summary>
    /// 5xx and 429: nothing or possibly something was stored, and the same bytes and key are safe to resend.
    /// 408: a timeout. 409 unknown-schema: "not until fixed", the operator may still load our registry version.
    /// 401/403: the Privacy Pass token was missing, expired or spent; the batch waits for a fresh token
    /// (nothing was stored). Every other 4xx gets the same answer forever: the batch is dropped.
    /// </summary>
    public static bool IsRetryable(HttpStatusCode status) =>
        (int)status >= 500 || status is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout or HttpStatusCode.Conflict
            or HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden;

    /// <summary>Transport failures: no answer at all. The batch may have been stored; the key makes the retry safe.</summary>
    public static bool IsRetryable(Exception e) =>
        e is HttpRequestException or TaskCanceledException or TimeoutException or IOException;

    /// <summary>
    /// Exponential backoff with "equal jitter": half the doubled delay fixed, half random, so retries of many
    /// devices after an outage spread out; never less than the collector's <c>Retry-After</c>.
    /// </summary>
    public static TimeSpan Delay(int failures, TimeSpan initial, TimeSpan max, TimeSpan? retryAfter, Random random)
    {
        double exp = initial.TotalSeconds * Math.Pow(2, Math.Clamp(failures - 1, 0, 30));
        double capped = Math.Min(exp, max.TotalSeconds);
        var delay = TimeSpan.FromSeconds(capped / 2 + random.NextDouble() * capped / 2);
        return retryAfter is { } ra && ra > delay ? ra : delay;
    }
}
