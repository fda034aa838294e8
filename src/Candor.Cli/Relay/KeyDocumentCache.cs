using Candor.Collector.Api;
using Microsoft.AspNetCore.Http;

namespace Candor.Cli.Relay;

/// <summary>
/// The relay's side of key consistency (the double-check design, draft-schwartz-ohai-consistency-doublecheck):
/// one key document of the operator's (the gateway's <c>application/ohttp-keys</c>, the issuer's token
/// directory), fetched from upstream at most once per <see cref="RelayOptions.KeyCacheDuration"/> and
/// served to every client as the same bytes until then. Without the cache the operator could answer
/// each check with a key made for that moment, and so for the few devices asking then; with it, a set
/// is shared by everyone who checks within one window. Nothing of the client's request is used: no
/// client header can force a refetch or choose a variant. Only a 200 of the expected media type is
/// kept; failures pass through uncached, so an outage cannot be pinned for a whole window.
/// </summary>
internal sealed class KeyDocumentCache(HttpClient client, Uri upstream, string mediaType, TimeSpan lifetime, TimeProvider time)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Entry? _entry;

    private sealed record Entry(byte[] Body, DateTimeOffset Until);

    public async Task<IResult> GetAsync(CancellationToken cancellationToken)
    {
        if (Fresh() is { } hit)
            return Serve(hit);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (Fresh() is { } again)
                return Serve(again);
            try
            {
                // Not the asking client's token: its going away must not leave every other client without an answer.
                using var answer = await client.GetAsync(upstream, CancellationToken.None);
                var bytes = await answer.Content.ReadAsByteArrayAsync(CancellationToken.None);
                var type = answer.Content.Headers.ContentType?.MediaType;
                if (answer.StatusCode != System.Net.HttpStatusCode.OK || type != mediaType)
                    return new GatewayAnswer((int)answer.StatusCode, type == "application/problem+json" ? type : "application/octet-stream", bytes);
                _entry = new Entry(bytes, time.GetUtcNow() + lifetime);
                return Serve(_entry);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return ProblemTypes.RelayGatewayUnreachable.Answer("The relay could not fetch the key document from upstream; retry later.");
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private Entry? Fresh() => _entry is { } e && time.GetUtcNow() < e.Until ? e : null;

    private IResult Serve(Entry entry) => new CachedBytes(entry.Body, mediaType, entry.Until - time.GetUtcNow());

    /// <summary>The cached bytes, with how long they stay the same for everyone (so a client knows when a new check can see a change).</summary>
    private sealed class CachedBytes(byte[] body, string type, TimeSpan left) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.CacheControl = $"public, max-age={Math.Max(0, (long)left.TotalSeconds)}";
            return Results.Bytes(body, type).ExecuteAsync(httpContext);
        }
    }
}
