using Candor.Collector.Api;
using Candor.Collector.PrivacyPass;
using Candor.Collector.Registry;
using Candor.Collector.Storage;
using Candor.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Candor.Collector.Ingest;

/// <summary>
/// <c>POST /v1/apps/{app}/reports</c>: where a report enters the collector. The order of checks is
/// the order of the answers a client can get: 404 app, 415 media type or encoding, 413 size,
/// 400 idempotency key, 400 malformed JSON, 409 unknown registry version, 400 invalid reports,
/// 401 token missing or refused (apps whose token mode asks), 503 overload or store failure, 422 reused key,
/// 403 token spent before, and only then 202, after the commit.
/// Nothing here reads the client's address or headers other than those named above.
/// </summary>
public static class IngestEndpoints
{
    private const int MaxIdempotencyKeyLength = 255;

    public static RouteHandlerBuilder MapIngest(this RouteGroupBuilder apps) =>
        apps.MapPost("/reports", PostReportsAsync).RequireRateLimiting(IngestRateLimit.PolicyName)
            .WithSummary("Submit a batch of reports")
            .WithDescription("All or nothing: a batch with one bad report stores nothing. Optional Idempotency-Key header: a retry with the same key is counted once.")
            // The answers in the order the checks run (the class summary above); the unknown app is the group's.
            .ProducesProblems(ProblemTypes.TokenRequired, ProblemTypes.MalformedToken, ProblemTypes.WrongTokenIssuer, ProblemTypes.ExpiredTokenKey,
                ProblemTypes.InvalidToken, ProblemTypes.UnsupportedMediaType, ProblemTypes.UnsupportedEncoding, ProblemTypes.BodyTooLarge,
                ProblemTypes.MalformedBatch, ProblemTypes.BadIdempotencyKey, ProblemTypes.UnknownSchema, ProblemTypes.InvalidReports,
                ProblemTypes.TooMuchForOneToken, ProblemTypes.Overloaded, ProblemTypes.StoreUnavailable, ProblemTypes.IdempotencyKeyReused,
                ProblemTypes.TokenSpent, ProblemTypes.RateLimited);

    private static async Task<Results<AcceptedResult, ProblemHttpResult>> PostReportsAsync(KnownApp requested, HttpContext http, IngestQueue queue,
        CollectorOptions options, TimeProvider time, TokenRedemption tokens)
    {
        var (registries, app) = (requested.Registries, requested.Name);

        // Credentials before content: a refused token stores nothing and spends nothing.
        var redemption = tokens.Check(http, registries.App);
        if (redemption.Problem is { } refused)
            return refused;

        var (body, failure) = await RequestBody.ReadJsonAsync(http.Request, options.MaxBodyBytes, options.MaxDecodedBodyBytes, http.RequestAborted);
        if (body is null)
            return BodyProblem(http, failure, options);
        using (body)
        {
            byte[]? keyHash = null;
            var keys = http.Request.Headers["Idempotency-Key"];
            if (keys.Count > 1 || (keys.Count == 1 && !IsValidKey(keys[0])))
                return ProblemTypes.BadIdempotencyKey.Answer(
                    $"Idempotency-Key must appear once and hold 1 to {MaxIdempotencyKeyLength} visible ASCII characters.");
            if (keys.Count == 1)
                keyHash = IdempotencyFingerprint.KeyId(app, keys[0]!);

            var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
            var result = ReportBatchReader.Read(body.Span, registries.Version,
                new BatchRules(today, options.RetentionFor(app), options.MaxReportsPerBatch));

            switch (result.Status)
            {
                case BatchStatus.Malformed:
                    return ProblemTypes.MalformedBatch.Answer(result.Problems[0].Reason);
                case BatchStatus.UnknownSchema:
                    return ProblemTypes.UnknownSchema.Answer(
                        $"Registry version {result.Schema} of {app} is not known to this collector; it knows {string.Join(", ", registries.Versions.Keys.Order())}.",
                        new Dictionary<string, object?> { ["known_versions"] = registries.Versions.Keys.Order().ToArray() });
                case BatchStatus.Invalid:
                    return ProblemTypes.InvalidReports.Answer(
                        $"{result.Problems.Count} problem(s) found; nothing from this batch was stored.",
                        new Dictionary<string, object?> { ["errors"] = result.Problems });
            }

            if (redemption.Token is not null && TokenRedemption.ExceedsOneToken(result.Reports) is { } tooMuch)
                return ProblemTypes.TooMuchForOneToken.Answer(
                    tooMuch + " Nothing was stored and the token was not spent.");

            var (min, max) = options.NextReportWindow(app);
            var response = new IngestResponse(result.Reports.Count, Random.Shared.NextInt64(min, max + 1));
            var storedAs = redemption.Untokened ? registries.App + TokenRedemption.UntokenedSuffix : registries.App;
            // With the log off, commitments are accepted (clients need not know) and dropped before storage.
            var reports = options.Transparency.Enabled || !AnyCommitment(result.Reports)
                ? result.Reports
                : result.Reports.Select(r => r with { Commitment = null }).ToList();
            var request = new AppendRequest(storedAs, reports, keyHash, keyHash is null ? null : IdempotencyFingerprint.BodyMac(app, keys[0]!, body.Span),
                response, today, redemption.Token);

            var (outcome, unstored) = await queue.SubmitOrAnswerAsync(request, http, options, "batch");
            if (unstored is not null)
                return unstored;

            switch (outcome.Kind)
            {
                case AppendOutcomeKind.KeyReused:
                    return ProblemTypes.IdempotencyKeyReused.Answer(
                        "This Idempotency-Key was used before for a different batch; nothing was stored. Use a new key for each batch.");
                case AppendOutcomeKind.TokenSpent:
                    return tokens.Spent(http);
                case AppendOutcomeKind.CommitmentKnown:
                    var known = outcome.KnownCommitments!.Select(i => new ReportProblem(i, reports[i].Metric, "commitment",
                        "This commitment is already known to the collector (an earlier batch carried it); each report needs a fresh nonce.")).ToList();
                    return ProblemTypes.InvalidReports.Answer(
                        $"{known.Count} problem(s) found; nothing from this batch was stored.",
                        new Dictionary<string, object?> { ["errors"] = known });
                case AppendOutcomeKind.Replayed:
                    http.Response.Headers["Idempotent-Replayed"] = "true";
                    break;
            }
            return new AcceptedResult(new AcceptedAnswer(outcome.Response.Accepted, outcome.Response.NextReportAfterSeconds));
        }
    }

    private static ProblemHttpResult BodyProblem(HttpContext http, RequestBody.Failure failure, CollectorOptions options) => failure switch
    {
        RequestBody.Failure.UnsupportedMediaType => ProblemTypes.UnsupportedMediaType.Answer(
            "Send the batch as Content-Type: application/json (UTF-8)."),
        RequestBody.Failure.UnsupportedEncoding => ProblemTypes.UnsupportedEncoding.Answer(
            "The only content encodings accepted are gzip and identity."),
        RequestBody.Failure.TooLarge => ProblemTypes.BodyTooLarge.Answer(
            $"A batch may be at most {options.MaxBodyBytes} bytes on the wire."),
        RequestBody.Failure.DecodedTooLarge => ProblemTypes.BodyTooLarge.Answer(
            $"A batch may be at most {options.MaxDecodedBodyBytes} bytes once decompressed."),
        RequestBody.Failure.BadGzip => ProblemTypes.MalformedBatch.Answer(
            "The body is not valid gzip."),
        _ => ProblemTypes.MalformedBatch.Answer("The body could not be read completely."),
    };

    // A loop, not Any(): Any over the interface boxes the list's enumerator on every batch.
    private static bool AnyCommitment(IReadOnlyList<ValidatedReport> reports)
    {
        for (int i = 0; i < reports.Count; i++)
            if (reports[i].Commitment is not null)
                return true;
        return false;
    }

    private static bool IsValidKey(string? key)
    {
        if (string.IsNullOrEmpty(key) || key.Length > MaxIdempotencyKeyLength)
            return false;
        foreach (char c in key)
            if (c is < '!' or > '~')
                return false;
        return true;
    }
}
