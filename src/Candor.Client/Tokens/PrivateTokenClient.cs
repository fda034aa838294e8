namespace Candor.Client.Tokens;

/// <summary>The one hook <see cref="CandorClient"/> calls: puts a <see cref="PrivateTokenHandler"/> in front of its transport.</summary>
internal static class PrivateTokenClient
{
    /// <param name="transport">How reports travel (through the relay with <c>ohttp</c>).</param>
    /// <param name="network">How the device reaches the issuer: never through the relay (the issuer must count per address).</param>
    /// <param name="log">The device's log: refill failures (once per episode, warning = true) and token keys that fail the consistency check.</param>
    public static PrivateTokenHandler Attach(HttpMessageHandler transport, HttpMessageHandler network, string storePath, Uri collector, string app, CandorClientOptions options, Func<bool> allowed,
        Action<string, bool>? log = null, LocalStore.KeyHistory? keyHistory = null)
    {
        var handler = new PrivateTokenHandler(transport, new TokenWallet(storePath) { History = keyHistory ?? new(null) }, new TokenRefillOptions
        {
            Collector = collector,
            App = app,
            Issuer = options.TokenIssuer,
            Target = options.TokenWalletSize,
            RefillInterval = options.TokenRefillInterval,
            Directory = options.Ohttp?.EffectiveTokenDirectoryUrl, // the relay's shared copy: the consistency route
        }, options.TimeProvider, allowed, options.Random, ReferenceEquals(network, transport) ? null : network, network,
            log is null ? null : message => log(message, true)) { Log = log };
        if (options.BackgroundWork)
            handler.Start();
        return handler;
    }
}
