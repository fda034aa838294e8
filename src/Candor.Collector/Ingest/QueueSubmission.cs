using Candor.Collector.Api;
using Candor.Collector.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Candor.Collector.Ingest;

/// <summary>
/// The two ways a queued batch can fail before any outcome of its own, answered alike by every endpoint
/// that stores through the <see cref="IngestQueue"/> (reports, Azafea uploads): 503 overloaded when the
/// queue is full or closed, 503 unavailable when the store failed; both with Retry-After, both storing nothing.
/// </summary>
internal static class QueueSubmission
{
    /// <param name="what">What the client sent, for the answer ("batch", "upload").</param>
    public static async Task<(AppendOutcome Outcome, ProblemHttpResult? Problem)> SubmitOrAnswerAsync(this IngestQueue queue, AppendRequest request,
        HttpContext http, CollectorOptions options, string what)
    {
        try
        {
            return (await queue.SubmitAsync(request), null);
        }
        catch (IngestOverloadedException)
        {
            return (default, ProblemTypes.Overloaded.Answer(http,
                "Too many batches are waiting to be stored. Nothing was stored; retry after the given delay.", options.RetryAfterSeconds));
        }
        catch (StoreUnavailableException)
        {
            return (default, ProblemTypes.StoreUnavailable.Answer(http,
                $"The {what} could not be stored. Nothing was stored; retry after the given delay.", options.RetryAfterSeconds));
        }
    }
}
