using System.Text.Json;
using Candor.Collector.Api;
using Candor.Collector.Ingest;
using Candor.Collector.Registry;
using Candor.Collector.Storage;
using Candor.Protocol;
using Candor.Transparency;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Candor.Collector.Transparency;

/// <summary>
/// <c>POST /v1/log/deletions</c>: deletion by receipt, without any identifier. The client reveals the
/// nonces of its reports; the collector recomputes each commitment from the nonce and the report, and
/// where it holds that commitment for that report, takes the report off the stored counts (never off
/// figures already published), marks it deleted and logs a deletion entry. Every receipt gets a precise
/// status; a receipt that matches nothing, or was deleted before, changes nothing. The whole request is
/// one transaction; a malformed request is refused whole (400) and changes nothing.
/// </summary>
public static class DeletionEndpoints
{
    public const int MaxReceipts = 1000;

    /// <summary>1000 receipts of a long histogram value fit; the Kestrel backstop is 1 MiB too.</summary>
    private const int MaxBodyBytes = 1024 * 1024;

    public static RouteHandlerBuilder MapDeletions(this IEndpointRouteBuilder app) =>
        app.MapPost("/v1/log/deletions", PostDeletionsAsync).RequireRateLimiting(IngestRateLimit.PolicyName)
            .WithSummary("Delete reports by receipt (nonce and report)")
            .WithDescription("One status per receipt, in order: deleted, already-deleted, not-found or expired. All or nothing for a malformed request.")
            .Produces<DeletionAnswerDocument>(200)
            .ProducesProblems(ProblemTypes.LogDisabled, ProblemTypes.UnsupportedMediaType, ProblemTypes.BodyTooLarge, ProblemTypes.MalformedDeletionRequest,
                ProblemTypes.UnknownApp, ProblemTypes.RateLimited, ProblemTypes.StoreUnavailable);

    private static async Task<Results<JsonHttpResult<DeletionAnswerDocument>, ProblemHttpResult>> PostDeletionsAsync(HttpContext http, CollectorOptions options, RegistryCatalog catalog, IDeletionStore store)
    {
        if (!options.Transparency.Enabled)
            return ProblemTypes.LogDisabled.Answer("This collector does not keep a transparency log (Transparency:Enabled is off).");
        var (body, failure) = await RequestBody.ReadJsonAsync(http.Request, MaxBodyBytes, MaxBodyBytes, http.RequestAborted);
        if (body is null)
            return failure switch
            {
                RequestBody.Failure.UnsupportedMediaType or RequestBody.Failure.UnsupportedEncoding => ProblemTypes.UnsupportedMediaType.Answer(
                    "Send the request as Content-Type: application/json (UTF-8), gzip or identity."),
                RequestBody.Failure.TooLarge or RequestBody.Failure.DecodedTooLarge => ProblemTypes.BodyTooLarge.Answer(
                    $"A deletion request may be at most {MaxBodyBytes} bytes."),
                _ => Malformed(http, "The body could not be read completely."),
            };

        DeletionRequestDocument? request;
        using (body)
        {
            try
            {
                request = JsonSerializer.Deserialize(body.Span, LogJsonContext.Default.DeletionRequestDocument);
            }
            catch (JsonException e)
            {
                return Malformed(http, "The body is not a deletion request: " + e.Message);
            }
        }
        if (request?.App is not { } app)
            return Malformed(http, "app is required: the app the reports were sent to.");
        if (catalog.Find(app) is null)
            return ProblemTypes.UnknownAppNamed(app);
        if (request.Receipts is not { Count: > 0 and <= MaxReceipts } list)
            return Malformed(http, $"receipts must be an array of 1 to {MaxReceipts} receipts.");

        var receipts = new List<DeletionReceipt>(list.Count);
        for (int i = 0; i < list.Count; i++)
        {
            var r = list[i];
            if (r is null || !ReportCommitment.TryDecode(r.Nonce, out var nonce))
                return Malformed(http, $"receipts[{i}].nonce must be the report's {ReportCommitment.NonceSize}-byte nonce in unpadded base64url.");
            if (r.Metric is not { Length: > 0 } metric || r.Value is not { } value || r.Period is not { } period)
                return Malformed(http, $"receipts[{i}] needs metric, period and value (the canonical value text, as committed).");
            if (!PeriodKey.TryParse(period, out _))
                return Malformed(http, $"receipts[{i}].period must be a day (YYYY-MM-DD) or an ISO week (YYYY-Www).");
            if (metric.Contains('\0') || value.Contains('\0'))
                return Malformed(http, $"receipts[{i}] contains a zero character, which no committed report has.");
            receipts.Add(new DeletionReceipt(ReportCommitment.Compute(nonce, app, metric, period, value), metric, period, value));
        }

        IReadOnlyList<DeletionStatus> statuses;
        try
        {
            statuses = await store.DeleteByReceiptAsync(app, receipts, http.RequestAborted);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or TimeoutException or IOException)
        {
            return ProblemTypes.StoreUnavailable.Answer(http,
                "The deletions could not be stored. Nothing was changed; retry after the given delay.", options.RetryAfterSeconds);
        }
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Json(new DeletionAnswerDocument(receipts.Select((r, i) => new DeletionResultDocument(ReportCommitment.Encode(r.Commitment), Status(statuses[i]))).ToList()),
            LogJsonContext.Default.DeletionAnswerDocument);
    }

    internal static string Status(DeletionStatus status) => status switch
    {
        DeletionStatus.Deleted => "deleted",
        DeletionStatus.AlreadyDeleted => "already-deleted",
        DeletionStatus.NotFound => "not-found",
        _ => "expired",
    };

    private static ProblemHttpResult Malformed(HttpContext http, string detail) =>
        ProblemTypes.MalformedDeletionRequest.Answer(detail + " Nothing was changed.");
}
