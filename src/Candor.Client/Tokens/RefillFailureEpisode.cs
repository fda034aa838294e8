using System.Net;

namespace Candor.Client.Tokens;

/// <summary>
/// Which exceptions are a failed refill (the network, the collector or the issuer), as opposed to a bug
/// or a cancellation by the caller. A refill that fails is logged once per run of failures: a device
/// offline for a week would otherwise write the same line at every random refill moment, and a silent
/// failure left a <c>Required</c> app answering 401 with nothing in any log.
/// </summary>
internal static class RefillFailureEpisode
{
    public static bool IsRefillFailure(Exception e, CancellationToken cancel) =>
        e is HttpRequestException or System.Text.Json.JsonException or FormatException or KeyNotFoundException or InvalidOperationException
        || e is TaskCanceledException && !cancel.IsCancellationRequested;
}

/// <summary>Remembers the last refusal the issuer gave a token request (429 when this address's budget is spent).</summary>
internal sealed class IssuerAnswerWatch(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    public HttpStatusCode? Refused { get; private set; }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (request.Method == HttpMethod.Post && response.StatusCode != HttpStatusCode.OK)
            Refused = response.StatusCode;
        return response;
    }
}
