using System.Collections.Frozen;
using System.Reflection;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Candor.Collector.Api;

/// <summary>
/// The catalogue: every problem the collector, the token issuer (<c>candor issuer</c>) and the relay
/// (<c>candor relay</c>) answer is one of these, each type defined here once with its status and title.
/// docs/api.md's "Problem types" table lists the same set (ProblemCatalogueTests compares them both ways),
/// and a source scan fails the build's tests if a handler builds a problem anywhere else. DAP's own
/// answers (<c>urn:ietf:params:ppm:dap:error:*</c>, Dap/DapProblem.cs) follow DAP's specification instead.
/// One type may appear with two statuses (<c>unknown-schema</c>: 409 for a batch, 404 for a registry
/// read); it then has one entry per status and always the same title.
/// </summary>
public static class ProblemTypes
{
    public const string Prefix = "urn:candor:problem:";

    private static ProblemType Urn(string slug, int status, string title) => new(Prefix + slug, status, title);

    // ---- Any route naming an app ----
    public static readonly ProblemType UnknownApp = Urn("unknown-app", 404, "Unknown app");

    /// <summary>The one answer for an app id no loaded registry has, whichever route named it (path or body).</summary>
    public static ProblemHttpResult UnknownAppNamed(string app) =>
        UnknownApp.Answer($"This collector does not collect for '{Cut(app)}'.");

    // ---- Request bodies ----
    public static readonly ProblemType UnsupportedMediaType = Urn("unsupported-media-type", 415, "Unsupported media type");
    public static readonly ProblemType UnsupportedEncoding = Urn("unsupported-encoding", 415, "Unsupported content encoding");
    public static readonly ProblemType BodyTooLarge = Urn("body-too-large", 413, "Body too large");

    // ---- Report batches (POST /v1/apps/{app}/reports) ----
    public static readonly ProblemType MalformedBatch = Urn("malformed-batch", 400, "Malformed batch");
    public static readonly ProblemType BadIdempotencyKey = Urn("bad-idempotency-key", 400, "Bad Idempotency-Key");
    public static readonly ProblemType UnknownSchema = Urn("unknown-schema", 409, "Unknown registry version");
    public static readonly ProblemType InvalidReports = Urn("invalid-reports", 400, "Invalid reports");
    public static readonly ProblemType TooMuchForOneToken = Urn("too-much-for-one-token", 400, "Too much for one token");
    public static readonly ProblemType Overloaded = Urn("overloaded", 503, "Collector overloaded");
    public static readonly ProblemType StoreUnavailable = Urn("store-unavailable", 503, "Store unavailable");
    public static readonly ProblemType IdempotencyKeyReused = Urn("idempotency-key-reused", 422, "Idempotency-Key reused");
    public static readonly ProblemType RateLimited = Urn("rate-limited", 429, "Too many requests");

    // ---- Privacy Pass tokens on a batch ----
    public static readonly ProblemType TokenRequired = Urn("token-required", 401, "Token required");
    public static readonly ProblemType MalformedToken = Urn("malformed-token", 401, "Malformed token");
    public static readonly ProblemType WrongTokenIssuer = Urn("wrong-token-issuer", 401, "Token from another issuer");
    public static readonly ProblemType ExpiredTokenKey = Urn("expired-token-key", 401, "Token key expired");
    public static readonly ProblemType InvalidToken = Urn("invalid-token", 401, "Invalid token");
    public static readonly ProblemType TokenSpent = Urn("token-spent", 403, "Token already spent");

    // ---- The token issuer ----
    public static readonly ProblemType MalformedTokenRequest = Urn("malformed-token-request", 400, "Malformed token request");
    public static readonly ProblemType UnknownTokenKey = Urn("unknown-token-key", 400, "Unknown token key");
    public static readonly ProblemType TokenBudgetExhausted = Urn("token-budget-exhausted", 429, "Token budget exhausted");
    public static readonly ProblemType IssuerUnavailable = Urn("issuer-unavailable", 503, "Issuer unavailable");

    // ---- Registries, announcements, public data ----
    public static readonly ProblemType UnknownRegistryVersion = Urn("unknown-schema", 404, "Unknown registry version");
    public static readonly ProblemType NoAnnouncements = Urn("no-announcements", 404, "No announcements");
    public static readonly ProblemType UnknownMetric = Urn("unknown-metric", 404, "Unknown metric");
    public static readonly ProblemType BadRange = Urn("bad-range", 400, "Bad range");

    // ---- The transparency log and deletion by receipt ----
    public static readonly ProblemType LogDisabled = Urn("log-disabled", 404, "No transparency log");
    public static readonly ProblemType NoCheckpoint = Urn("no-checkpoint", 404, "No checkpoint yet");
    public static readonly ProblemType InvalidLogQuery = Urn("invalid-log-query", 400, "Invalid log query");
    public static readonly ProblemType CommitmentPending = Urn("commitment-pending", 404, "Not in the log yet");
    public static readonly ProblemType NotInLog = Urn("not-in-log", 404, "Not in the log");
    public static readonly ProblemType MalformedDeletionRequest = Urn("malformed-deletion-request", 400, "Malformed deletion request");

    // ---- Azafea uploads (deployed eos-event-recorder-daemon installations) ----

    public static readonly ProblemType AzafeaNotEnabled = Urn("azafea-not-enabled", 404, "Azafea uploads not enabled");
    public static readonly ProblemType NotAnAzafeaPath = Urn("not-an-azafea-path", 404, "Not an Azafea upload path");

    // ---- The Oblivious HTTP gateway ----
    /// <summary>RFC 9458, section 6.3: the registered type for a request under a key the gateway does not hold.</summary>
    public static readonly ProblemType OhttpKey = new("https://iana.org/assignments/http-problem-types#ohttp-key", 400, "Oblivious HTTP request used the wrong key");
    public static readonly ProblemType TooLarge = Urn("too-large", 413, "Request too large");
    /// <summary>Inside a sealed answer: a method and path the gateway does not forward.</summary>
    public static readonly ProblemType NotThroughGateway = Urn("not-through-gateway", 404, "Not reachable through the gateway");

    /// <summary>
    /// <c>ohttp-&lt;reason&gt;</c> for each <see cref="Candor.Ohttp.OhttpFormatException.Reason"/> that opening a request
    /// (decapsulation, then Binary HTTP) can raise. A reason missing here would fall back to <c>ohttp-undecryptable</c>;
    /// ProblemCatalogueTests reads the reasons in src/Candor.Core/Ohttp so that none is missed.
    /// </summary>
    public static readonly FrozenDictionary<string, ProblemType> OhttpUnreadable = new[]
    {
        "undecryptable", "truncated", "unknown-key", "unsupported-algorithm",
        "not-a-request", "bad-request-line", "bad-field", "too-many-fields", "trailing-bytes",
    }.ToFrozenDictionary(r => r, r => Urn("ohttp-" + r, 400, "Unreadable encapsulated request"), StringComparer.Ordinal);

    public static ProblemType OhttpUnreadableFor(string reason) =>
        OhttpUnreadable.TryGetValue(reason, out var type) ? type : OhttpUnreadable["undecryptable"];

    // ---- The relay (candor relay) ----
    public static readonly ProblemType RelayUnsupportedMediaType = Urn("relay-unsupported-media-type", 415, "Unsupported media type");
    public static readonly ProblemType RelayTooLarge = Urn("relay-too-large", 413, "Request too large");
    public static readonly ProblemType RelayGatewayUnreachable = Urn("relay-gateway-unreachable", 502, "Gateway unreachable");
    public static readonly ProblemType RelayGatewayTimeout = Urn("relay-gateway-timeout", 504, "Gateway timeout");
    public static readonly ProblemType RelayBusy = Urn("relay-busy", 503, "Relay busy");

    /// <summary>Every entry of the catalogue, in declaration order.</summary>
    public static IReadOnlyList<ProblemType> All { get; } = typeof(ProblemTypes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.FieldType == typeof(ProblemType))
        .Select(f => (ProblemType)f.GetValue(null)!)
        .Concat(OhttpUnreadable.Values.OrderBy(t => t.Type, StringComparer.Ordinal))
        .ToList();

    /// <summary>App ids and metric names come from the request: at most 64 characters of one are echoed.</summary>
    internal static string Cut(string s) => s.Length <= 64 ? s : s[..64] + "…";
}
