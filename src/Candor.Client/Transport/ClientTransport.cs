namespace Candor.Client.Transport;

/// <summary>
/// The client's only way to the network, shared by uploads and announcement fetches and owned by the
/// background worker, never by a lock the app's calls take. Like Sentry's transports, it is a chain of
/// <see cref="HttpMessageHandler"/>s: the innermost is <see cref="CandorClientOptions.HttpMessageHandler"/>
/// when the app gives one, else <see cref="ReportingTransport"/> (direct or SOCKS5/Tor), and with
/// <see cref="CandorClientOptions.Ohttp"/> the <see cref="ObliviousHttpHandler"/> around it
/// (<see cref="TransportFactory"/>). A later transport (a Privacy Pass token) is one more handler in
/// this chain, and nothing else in the client changes.
/// </summary>
internal sealed class ClientTransport : IDisposable
{
    /// <summary>The longest one request may take; a collector that answers slower is treated as no answer (retried).</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(60);

    private readonly HttpClient _http;

    /// <param name="decorate">Wraps the transport in one more handler (the Privacy Pass token handler), given the
    /// network handler under any Oblivious HTTP layer and the base URL.</param>
    /// <param name="announcedKeys">Gateway key configurations vouched for by the signed announcements (the <c>ohttp</c> transport).</param>
    /// <param name="keyHistory">The keys this device saw replaced, kept in its local store.</param>
    public ClientTransport(CandorClientOptions options, Uri collector, Action<string> log, Func<HttpMessageHandler, HttpMessageHandler, Uri, HttpMessageHandler>? decorate = null,
        Func<IReadOnlyList<Candor.Ohttp.OhttpKeyConfig>>? announcedKeys = null, LocalStore.KeyHistory? keyHistory = null)
    {
        BaseUrl = collector.AbsoluteUri.EndsWith('/') ? collector : new Uri(collector.AbsoluteUri + "/");
        var (handler, ownsHandler, network) = TransportFactory.Create(options, options.TimeProvider, log, announcedKeys, keyHistory);
        // The token handler goes outside the Oblivious HTTP one, so its header is sealed with the request.
        if (decorate is not null)
            handler = decorate(handler, network, BaseUrl);
        // An app's own handler stays the app's to dispose, decorated or not (the decorator does not own it then).
        _http = new HttpClient(handler, disposeHandler: ownsHandler) { Timeout = RequestTimeout };
    }

    /// <summary>The collector's base address, always ending in '/'.</summary>
    public Uri BaseUrl { get; }

    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancel) => _http.SendAsync(request, cancel);

    public void Dispose() => _http.Dispose();
}
