using System.Security.Cryptography;
using Candor.Collector.Api;
using Candor.Collector.Hosting;
using Candor.Collector.Ingest;
using Candor.Collector.PrivacyPass;
using Candor.Collector.Registry;
using Candor.Collector.Storage;
using Candor.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Candor.Collector.Azafea;

/// <summary>
/// <c>PUT /v1/apps/{app}/azafea/{version}/{sha512}</c>: where the uploads of already deployed
/// eos-event-recorder-daemon installations enter, so that a fleet can move from Azafea to Candor by
/// changing the daemon's server URL. The order of checks is the order of answers: 404 app, app without a
/// mapping file, or not an Azafea path; then 200 "OK" for everything a daemon sends, stored or not;
/// 503 only when the store cannot take a valid upload now (the daemon retries, as it should).
/// An invalid upload is answered 200 like a good one, counted in <c>candor_azafea_uploads_total</c> and
/// never stored: the daemon resends any upload answered 4xx or 5xx, 8 times in a row and then again at
/// every upload interval, and invalid bytes never become valid. Nothing here reads the client's address
/// or headers other than <c>X-Endless-Content-Encoding</c>.
/// </summary>
public static class AzafeaEndpoints
{
    private const string Ok = "OK"; // what Azafea's proxy answers (azafea-metrics-proxy views/metrics.py)

    public static RouteHandlerBuilder MapAzafea(this RouteGroupBuilder apps) =>
        apps.MapPut("/azafea/{version}/{sha512}", PutAsync).RequireRateLimiting(IngestRateLimit.PolicyName)
            .WithSummary("Accept an eos-event-recorder-daemon upload (Azafea network protocol v3)")
            .WithDescription("The body is the GVariant (xxsa{ss}ya(aysxmv)a(ayssumv)), gzip-compressed when X-Endless-Content-Encoding: gzip; "
                + "sha512 is the SHA-512 of the uncompressed body in lowercase hex. Only events named in the app's mapping file are stored, "
                + "each as its own report; machine-level fields are never stored. Answered 200 \"OK\" whether stored or not (invalid uploads are counted, not stored); "
                + "versions 0 to 2 are answered 200 and ignored.")
            .Produces<string>(StatusCodes.Status200OK, "text/plain")
            // The answers in the order the checks run; the unknown app is the group's.
            .ProducesProblems(ProblemTypes.AzafeaNotEnabled, ProblemTypes.NotAnAzafeaPath, ProblemTypes.MalformedBatch,
                ProblemTypes.Overloaded, ProblemTypes.StoreUnavailable, ProblemTypes.RateLimited);

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> PutAsync(KnownApp requested, string version, string sha512, HttpContext http,
        AzafeaMappings mappings, IngestQueue queue, CollectorOptions options, CollectorMetrics metrics, TimeProvider time)
    {
        var registries = requested.Registries;
        if (mappings.Find(registries.App) is not { } translator)
            return ProblemTypes.AzafeaNotEnabled.Answer(
                $"'{registries.App}' has no event mapping file on this collector, so it takes no eos-event-recorder-daemon uploads.");
        if (version is not ("0" or "1" or "2" or "3") || !IsSha512Hex(sha512))
            return ProblemTypes.NotAnAzafeaPath.Answer(
                "The path ends in /azafea/{version 0 to 3}/{SHA-512 of the uncompressed body, 128 lowercase hex digits}.");
        if (version != "3")
            return Answer(metrics, "old_format"); // machine ids and all: not even read, as Azafea's proxy ignores versions 0 and 1

        string? encoding = http.Request.Headers["X-Endless-Content-Encoding"];
        if (encoding is not (null or "gzip"))
            return Answer(metrics, "bad_encoding");
        var (body, failure) = await RequestBody.ReadAsync(http.Request, encoding == "gzip", options.MaxAzafeaBodyBytes, options.MaxDecodedBodyBytes, http.RequestAborted);
        if (body is null)
        {
            return failure switch
            {
                RequestBody.Failure.TooLarge or RequestBody.Failure.DecodedTooLarge => Answer(metrics, "too_large"),
                RequestBody.Failure.BadGzip => Answer(metrics, "bad_gzip"),
                _ => ProblemTypes.MalformedBatch.Answer("The body could not be read completely."),
            };
        }
        AzafeaRequest request;
        using (body)
        {
            if (body.Length == 0)
                return Answer(metrics, "empty");
            if (!Convert.ToHexStringLower(SHA512.HashData(body.Span)).Equals(sha512, StringComparison.Ordinal))
                return Answer(metrics, "checksum_mismatch");
            try
            {
                request = AzafeaRequest.Parse(body.Span);
            }
            catch (GVariantFormatException)
            {
                return Answer(metrics, "malformed");
            }
        }

        var now = time.GetUtcNow();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var result = translator.Translate(request, now, new BatchRules(today, options.RetentionFor(registries.App)));
        foreach (var (drop, count) in result.Drops)
            metrics.AzafeaEvents(Label(drop), count);
        if (result.Reports.Count == 0)
            return Answer(metrics, "nothing_mapped");

        // A daemon has no Privacy Pass token: with tokens in "separate" mode its reports are kept apart
        // like every untokened batch; "required" mode is refused at start-up (CollectorApp).
        var storedAs = options.TokenModeFor(registries.App) == TokenMode.Separate ? registries.App + TokenRedemption.UntokenedSuffix : registries.App;
        var append = new AppendRequest(storedAs, result.Reports, null, null, new IngestResponse(result.Reports.Count, 0), today);
        if ((await queue.SubmitOrAnswerAsync(append, http, options, "upload")).Problem is { } unstored)
            return unstored;
        metrics.AzafeaEvents("stored", result.Reports.Count);
        return Answer(metrics, "stored");
    }

    private static ContentHttpResult Answer(CollectorMetrics metrics, string outcome)
    {
        metrics.AzafeaUpload(outcome);
        return TypedResults.Text(Ok, "text/plain", System.Text.Encoding.UTF8);
    }

    private static string Label(AzafeaDrop drop) => drop switch
    {
        AzafeaDrop.Unmapped => "unmapped",
        AzafeaDrop.DisallowedPayload => "disallowed_payload",
        AzafeaDrop.WrongKind => "wrong_kind",
        AzafeaDrop.Period => "period",
        _ => "refused",
    };

    private static bool IsSha512Hex(string s) => s.Length == 128 && !s.AsSpan().ContainsAnyExcept("0123456789abcdef");

}
