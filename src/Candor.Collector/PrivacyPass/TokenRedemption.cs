using Candor.Collector.Api;
using Candor.Collector.Storage;
using Candor.PrivacyPass;
using Candor.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Candor.Collector.PrivacyPass;

/// <summary>
/// The token check of a report post, before anything is stored: which token (if any) the batch
/// spends, whether it goes to the app or to the app's untokened store, or which 401 answer it gets.
/// The double-spend check itself happens in the store's transaction (<see cref="AppendOutcomeKind.TokenSpent"/>),
/// so two collectors cannot both accept one token.
/// </summary>
internal sealed class TokenRedemption(CollectorOptions options, IServiceProvider services)
{
    /// <summary>Suffix of the app name under which <see cref="TokenMode.Separate"/> stores untokened batches ('/' cannot occur in app ids).</summary>
    public const string UntokenedSuffix = "/untokened";

    public readonly record struct Decision(ProblemHttpResult? Problem, SpentToken? Token, bool Untokened);

    public Decision Check(HttpContext http, string app)
    {
        var mode = options.TokenModeFor(app);
        if (mode == TokenMode.Off)
            return new(null, null, false);
        var ring = (TokenKeyRing)services.GetService(typeof(TokenKeyRing))!;
        var snapshot = ring.Current;
        var header = http.Request.Headers.Authorization;
        if (header.Count == 0)
            return mode == TokenMode.Separate
                ? new(null, null, true)
                : new(Refuse(http, snapshot, ProblemTypes.TokenRequired,
                    "This app accepts reports only with a Privacy Pass token: send Authorization: PrivateToken token=\"...\" for the challenge in WWW-Authenticate. Nothing was stored."), null, false);

        var bytes = header.Count == 1 ? PrivateTokenHeader.ParseAuthorization(header[0]) : null;
        if (bytes is null)
            return new(Refuse(http, snapshot, ProblemTypes.MalformedToken,
                "The Authorization header is not one PrivateToken credential with a base64url token. Nothing was stored."), null, false);
        var check = snapshot.Verifier.Check(bytes, out var token);
        if (check == TokenCheck.WrongIssuer)
        {
            // Perhaps the issuer rotated and this collector has not read the new key yet.
            snapshot = ring.RefreshForUnknownKey();
            check = snapshot.Verifier.Check(bytes, out token);
        }
        return check switch
        {
            TokenCheck.Valid => new(null, new SpentToken(token!.TokenKeyId, token.Nonce), false),
            TokenCheck.Malformed => new(Refuse(http, snapshot, ProblemTypes.MalformedToken,
                "The token is not a type 0x0002 Privacy Pass token of the right length. Nothing was stored."), null, false),
            TokenCheck.WrongIssuer => new(Refuse(http, snapshot, ProblemTypes.WrongTokenIssuer,
                "The token was issued for another challenge or under a key of another issuer. Nothing was stored; fetch a token for the challenge in WWW-Authenticate."), null, false),
            TokenCheck.ExpiredKey => new(Refuse(http, snapshot, ProblemTypes.ExpiredTokenKey,
                "The token was issued under a key that has been rotated out. Nothing was stored; fetch a new token for the key in WWW-Authenticate."), null, false),
            _ => new(Refuse(http, snapshot, ProblemTypes.InvalidToken,
                "The token's signature does not verify. Nothing was stored."), null, false),
        };
    }

    /// <summary>
    /// What one token may carry: one installation's reports of one ISO week, each metric at most once per
    /// period. That is everything an honest client's batch holds (a weekly batch with its days' daily
    /// reports; with split uploads a single report), so the bound costs honest clients nothing, and it
    /// makes a token worth one installation-week: without it one token carried a whole batch of repeated
    /// or back-dated reports (84 in one test), and the issuance budget bounded batches, not reports.
    /// Null when the batch fits; otherwise why not.
    /// </summary>
    public static string? ExceedsOneToken(IReadOnlyList<ValidatedReport> reports)
    {
        PeriodKey? week = null;
        var seen = new HashSet<(string, string)>();
        foreach (var report in reports)
        {
            if (!seen.Add((report.Metric, report.Period)))
                return $"'{report.Metric}' appears twice for period {report.Period}; one token carries each metric once per period.";
            if (!PeriodKey.TryParse(report.Period, out var period))
                continue; // the reader already refused unreadable periods
            var of = PeriodKey.WeekOf(period.Value.Start);
            if (week is { } first && first != of)
                return $"The batch spans the weeks {first} and {of}; one token carries the reports of one week.";
            week = of;
        }
        return null;
    }

    public ProblemHttpResult Spent(HttpContext http)
    {
        Metrics.TokenRefused(ProblemTypes.TokenSpent.Slug);
        return ProblemTypes.TokenSpent.Answer(
            "This token was redeemed before; each token counts once. Nothing was stored; send a fresh token.");
    }

    private Hosting.CollectorMetrics Metrics => _metrics ??= (Hosting.CollectorMetrics)services.GetService(typeof(Hosting.CollectorMetrics))!;
    private Hosting.CollectorMetrics? _metrics;

    private ProblemHttpResult Refuse(HttpContext http, TokenKeyRing.Snapshot snapshot, ProblemType problem, string detail)
    {
        Metrics.TokenRefused(problem.Slug);
        if (snapshot.Newest is { } key)
            http.Response.Headers.WWWAuthenticate = PrivateTokenHeader.Challenge(snapshot.Challenge, key);
        return problem.Answer(detail);
    }
}
