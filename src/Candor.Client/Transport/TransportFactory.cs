namespace Candor.Client.Transport;

/// <summary>
/// Picks the handler uploads and announcement fetches go through: the caller's own handler, a direct
/// connection, or the SOCKS5/Tor transport; and, with <see cref="CandorClientOptions.Ohttp"/> set, that
/// handler becomes the way to the Oblivious HTTP relay, wrapped by <see cref="ObliviousHttpHandler"/>.
/// </summary>
internal static class TransportFactory
{
    /// <returns>The handler for reports and announcements; whether the client owns it; and <c>Network</c>,
    /// the way out under any Oblivious HTTP layer (direct or Tor), for token refills, which must reach
    /// the issuer from the device's own address (or Tor exit) since the issuer counts per address.</returns>
    /// <param name="announcedKeys">Gateway key configurations the signed announcements vouch for (<see cref="AnnouncedGatewayKeys"/>).</param>
    /// <param name="keyHistory">The gateway keys this device saw replaced, kept in its local store (null: for this process only).</param>
    public static (HttpMessageHandler Handler, bool Owned, HttpMessageHandler Network) Create(CandorClientOptions options, TimeProvider time, Action<string> log,
        Func<IReadOnlyList<Candor.Ohttp.OhttpKeyConfig>>? announcedKeys = null, LocalStore.KeyHistory? keyHistory = null)
    {
        HttpMessageHandler handler = options.HttpMessageHandler
            ?? (options.Transport == TransportMode.Direct
                ? NoTraceContextHandler.NoPropagation(new SocketsHttpHandler { UseCookies = false })
                : new ReportingTransport(options.Transport, options.SocksProxy, log: log));
        bool owned = options.HttpMessageHandler is null;
        // Outermost on the network side, so reports, announcements, log and key checks and token refills
        // (which all go out through this handler, under the ohttp layer or not) carry no trace context.
        handler = new NoTraceContextHandler(handler);
        if (options.Ohttp is { } ohttp)
            return (new ObliviousHttpHandler(ohttp, handler, disposeInner: owned, time, log) { Announced = announcedKeys, History = keyHistory ?? new(null) }, true, handler);
        return (handler, owned, handler);
    }
}
