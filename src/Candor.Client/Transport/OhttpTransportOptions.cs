using Candor.Ohttp;

namespace Candor.Client.Transport;

/// <summary>
/// The <c>ohttp</c> transport: reports and announcement fetches sealed to the collector's gateway key
/// and sent through an Oblivious HTTP relay run by someone else, so the collector never sees the
/// device's address and the relay never sees the content. <see cref="CandorClientOptions.Transport"/>
/// still says how the relay is reached (directly, or through Tor). See docs/ohttp.md.
/// </summary>
public sealed class OhttpTransportOptions
{
    /// <summary>The relay's URL (e.g. <c>https://relay.example.net/</c>); requests are POSTed there.</summary>
    public required Uri Relay { get; init; }

    /// <summary>
    /// The gateway's key configurations as shipped with the application: the <c>application/ohttp-keys</c>
    /// bytes that <c>candor ohttp keys</c> prints (base64). The client seals only to one of these: a key
    /// handed to it over the network alone could be one made for this device.
    /// </summary>
    public required byte[] KeyConfigs { get; init; }

    /// <summary>
    /// Where the client checks that the gateway still serves a shipped configuration to everyone.
    /// Default: the relay's <c>/.well-known/ohttp-gateway</c>, so the gateway cannot tell who asks.
    /// Null turns the check off (for relays that pass only sealed requests).
    /// </summary>
    public Uri? KeysUrl { get; init; }

    /// <summary>
    /// Whether the client checks the gateway's served keys (at <see cref="KeysUrl"/>) against the trusted ones
    /// before sealing to one; on by default, off only for tests.
    /// </summary>
    public bool CheckKeys { get; init; } = true;

    /// <summary>
    /// Where the client fetches the token issuer's directory to check the challenge's token key (Privacy Pass):
    /// the consistency route. Default: the relay's <c>/.well-known/private-token-issuer-directory</c>, served from
    /// its cache so every device gets the same copy.
    /// </summary>
    public Uri? TokenDirectoryUrl { get; init; }

    /// <summary>How long a successful check holds before the next request checks again.</summary>
    public TimeSpan RecheckInterval { get; init; } = TimeSpan.FromHours(24);

    /// <summary>
    /// Pads each sealed request to its size class (<see cref="BinaryHttpPadding"/>); off only in the tests
    /// that show what the relay would learn from the lengths without it.
    /// </summary>
    internal bool Pad { get; init; } = true;

    internal IReadOnlyList<OhttpKeyConfig> Trusted() => OhttpKeyConfig.ParseList(KeyConfigs);

    internal Uri EffectiveTokenDirectoryUrl => TokenDirectoryUrl ?? new Uri(Relay, "/.well-known/private-token-issuer-directory");

    internal Uri EffectiveKeysUrl => KeysUrl ?? new Uri(Relay, "/.well-known/ohttp-gateway");
}
