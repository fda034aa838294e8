namespace Candor.Client.Tokens;

/// <summary>The one hook <see cref="CandorClient"/> calls: puts a <see cref="PrivateTokenHandler"/> in front of its transport.</summary>
internal static class PrivateTokenClient
{
    public static PrivateTokenHandler Attach(HttpMessageHandler transport, string storePath, Uri collector, string app, CandorClientOptions options, Func<bool> allowed)
    {
        var handler = new PrivateTokenHandler(transport, new TokenWallet(storePath), new TokenRefillOptions
        {
            Collector = collector,
            App = app,
            Issuer = options.TokenIssuer,
            Target = options.TokenWalletSize,
            RefillInterval = options.TokenRefillInterval,
        }, options.TimeProvider, allowed, options.Random);
        if (options.BackgroundWork)
            handler.Start();
        return handler;
    }
}
