using System.Globalization;
using Candor.Collector.Api;
using Candor.Collector.Storage;
using Candor.Transparency;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Candor.Collector.Transparency;

/// <summary>
/// <c>/v1/log/*</c>: the public, read-only transparency log (docs/api.md, docs/transparency.md). No login;
/// answers that can never change (a proof against a given tree size, a full page of entries) are
/// cacheable forever, the latest checkpoint never. Every error is RFC 9457 problem+json.
/// </summary>
public static class LogEndpoints
{
    private const string Immutable = "public, max-age=31536000, immutable";
    public const int MaxEntriesPerPage = 1000;

    public static void MapTransparencyLog(this IEndpointRouteBuilder app)
    {
        var log = app.MapGroup("/v1/log");
        log.MapGet("/checkpoint", GetCheckpointAsync)
            .WithSummary("The latest signed checkpoint (C2SP tlog-checkpoint signed note)")
            .Produces<string>(200, "text/plain").ProducesProblems(ProblemTypes.LogDisabled, ProblemTypes.NoCheckpoint);
        log.MapGet("/key", GetKey)
            .WithSummary("The log's verifier key (C2SP signed-note vkey), for trust on first use")
            .Produces<string>(200, "text/plain").ProducesProblems(ProblemTypes.LogDisabled);
        log.MapGet("/inclusion", GetInclusionAsync)
            .WithSummary("Inclusion proof of a commitment's leaf (report or deletion) in a tree size")
            .Produces<InclusionDocument>(200)
            .ProducesProblems(ProblemTypes.LogDisabled, ProblemTypes.InvalidLogQuery, ProblemTypes.CommitmentPending, ProblemTypes.NotInLog);
        log.MapGet("/consistency", GetConsistencyAsync)
            .WithSummary("Consistency proof between two tree sizes")
            .Produces<ConsistencyDocument>(200).ProducesProblems(ProblemTypes.LogDisabled, ProblemTypes.InvalidLogQuery);
        log.MapGet("/entries", GetEntriesAsync)
            .WithSummary("Log entries (kind || commitment, base64), for mirrors and witnesses rebuilding the tree")
            .Produces<EntriesDocument>(200).ProducesProblems(ProblemTypes.LogDisabled, ProblemTypes.InvalidLogQuery);
    }

    private static ProblemHttpResult? Disabled(CollectorOptions options) => options.Transparency.Enabled ? null
        : ProblemTypes.LogDisabled.Answer("This collector does not keep a transparency log (Transparency:Enabled is off).");

    private static ProblemHttpResult Bad(string detail) => ProblemTypes.InvalidLogQuery.Answer(detail);

    private static ProblemHttpResult NoCheckpoint() =>
        ProblemTypes.NoCheckpoint.Answer("The log has no checkpoint yet: no epoch has been sealed.");

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> GetCheckpointAsync(HttpContext http, CollectorOptions options, ILogStore store)
    {
        if (Disabled(options) is { } off)
            return off;
        var note = await store.ReadLogAsync(r => r.ReadCheckpoint(null), http.RequestAborted);
        if (note is null)
            return NoCheckpoint();
        http.Response.Headers.CacheControl = "no-cache";
        return TypedResults.Text(note, "text/plain; charset=utf-8");
    }

    private static Results<ContentHttpResult, ProblemHttpResult> GetKey(HttpContext http, CollectorOptions options, IServiceProvider services)
    {
        if (Disabled(options) is { } off)
            return off;
        http.Response.Headers.CacheControl = "public, max-age=3600";
        return TypedResults.Text(services.GetRequiredService<LogSigner>().VerifierKey + "\n", "text/plain; charset=utf-8");
    }

    private static async Task<Results<JsonHttpResult<InclusionDocument>, ProblemHttpResult>> GetInclusionAsync(string? commitment, [Microsoft.AspNetCore.Mvc.FromQuery(Name = "tree_size")] string? treeSize, string? kind, HttpContext http, CollectorOptions options, ILogStore store)
    {
        if (Disabled(options) is { } off)
            return off;
        if (!ReportCommitment.TryDecode(commitment, out var c))
            return Bad($"commitment must be {ReportCommitment.Size} bytes in unpadded base64url ({ReportCommitment.EncodedLength} characters).");
        var entryKind = kind switch
        {
            null or "report" => LogEntryKind.Report,
            "deletion" => LogEntryKind.Deletion,
            _ => (LogEntryKind?)null,
        };
        if (entryKind is null)
            return Bad("kind must be report (the default) or deletion.");
        long? size = null;
        if (treeSize is not null)
        {
            if (!TryCount(treeSize, out var n) || n == 0)
                return Bad("tree_size must be a positive decimal number.");
            size = n;
        }
        var entry = new LogEntry(entryKind.Value, c).ToBytes();
        var answer = await store.ReadLogAsync<Results<JsonHttpResult<InclusionDocument>, ProblemHttpResult>>(r =>
        {
            long latest = r.TreeSize, n = size ?? latest;
            if (n > latest)
                return Bad($"tree_size {n} is beyond the latest checkpoint ({latest} leaves).");
            var index = r.LeafIndexOf(entry);
            if (index is null && r.IsPending(entry))
                return ProblemTypes.CommitmentPending.Answer(
                    "This entry waits for the next epoch; ask again after the next checkpoint.");
            if (index is null)
                return ProblemTypes.NotInLog.Answer($"The log holds no {Kind(entryKind.Value)} entry for this commitment.");
            if (index >= n)
                return ProblemTypes.NotInLog.Answer(
                    $"The entry is leaf {index}, beyond a tree of {n} leaves: ask with a later tree_size.");
            var proof = new TiledTree(r).InclusionProof(index.Value, n);
            http.Response.Headers.CacheControl = size is null ? "no-cache" : Immutable;
            return TypedResults.Json(new InclusionDocument(index.Value, n, Kind(entryKind.Value), proof.Select(Convert.ToBase64String).ToList()),
                LogJsonContext.Default.InclusionDocument);
        }, http.RequestAborted);
        return answer;
    }

    private static async Task<Results<JsonHttpResult<ConsistencyDocument>, ProblemHttpResult>> GetConsistencyAsync(string? from, string? to, HttpContext http, CollectorOptions options, ILogStore store)
    {
        if (Disabled(options) is { } off)
            return off;
        if (!TryCount(from, out var m) || !TryCount(to, out var n))
            return Bad("from and to must be decimal tree sizes.");
        if (m == 0)
            return Bad("from must be at least 1: a proof from the empty tree proves nothing.");
        if (m > n)
            return Bad($"from ({m}) must not exceed to ({n}).");
        return await store.ReadLogAsync<Results<JsonHttpResult<ConsistencyDocument>, ProblemHttpResult>>(r =>
        {
            if (n > r.TreeSize)
                return Bad($"to ({n}) is beyond the latest checkpoint ({r.TreeSize} leaves).");
            var proof = new TiledTree(r).ConsistencyProof(m, n);
            http.Response.Headers.CacheControl = Immutable;
            return TypedResults.Json(new ConsistencyDocument(m, n, proof.Select(Convert.ToBase64String).ToList()), LogJsonContext.Default.ConsistencyDocument);
        }, http.RequestAborted);
    }

    private static async Task<Results<JsonHttpResult<EntriesDocument>, ProblemHttpResult>> GetEntriesAsync(string? start, string? count, HttpContext http, CollectorOptions options, ILogStore store)
    {
        if (Disabled(options) is { } off)
            return off;
        if (!TryCount(start, out var s))
            return Bad("start must be a decimal leaf index.");
        if (!TryCount(count, out var c) || c is < 1 or > MaxEntriesPerPage)
            return Bad($"count must be from 1 to {MaxEntriesPerPage}.");
        return await store.ReadLogAsync<Results<JsonHttpResult<EntriesDocument>, ProblemHttpResult>>(r =>
        {
            if (s > r.TreeSize)
                return Bad($"start ({s}) is beyond the log ({r.TreeSize} leaves).");
            long end = Math.Min(s + c, r.TreeSize);
            var entries = new List<string>((int)(end - s));
            for (long bundle = s / TiledTree.TileWidth; bundle * TiledTree.TileWidth < end; bundle++)
            {
                var bytes = r.ReadBundle(bundle) ?? throw new InvalidOperationException($"Entry bundle {bundle} is missing from the stored log.");
                for (long leaf = Math.Max(s, bundle * TiledTree.TileWidth); leaf < Math.Min(end, (bundle + 1) * TiledTree.TileWidth); leaf++)
                    entries.Add(Convert.ToBase64String(bytes, (int)(leaf - bundle * TiledTree.TileWidth) * TiledTree.EntrySize, TiledTree.EntrySize));
            }
            // A full page never changes; a short one grows with the next epoch.
            http.Response.Headers.CacheControl = end - s == c ? Immutable : "no-cache";
            return TypedResults.Json(new EntriesDocument(s, entries), LogJsonContext.Default.EntriesDocument);
        }, http.RequestAborted);
    }

    internal static string Kind(LogEntryKind kind) => kind == LogEntryKind.Report ? "report" : "deletion";

    private static bool TryCount(string? text, out long value)
    {
        value = 0;
        return text is { Length: > 0 and <= 19 } && text.All(char.IsAsciiDigit)
            && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
