namespace Candor.Cli.Relay;

/// <summary>Settings of <c>candor relay</c>: where it listens and the one gateway it forwards to.</summary>
public sealed class RelayOptions
{
    /// <summary>The gateway's URL, e.g. <c>https://metrics.example.org/.well-known/ohttp-gateway</c>.</summary>
    public Uri? Gateway { get; set; }

    public List<string> Urls { get; set; } = ["http://127.0.0.1:5090"];

    /// <summary>Largest encapsulated request forwarded; the gateway's own limit plus the HPKE overhead is enough.</summary>
    public int MaxBodyBytes { get; set; } = 64 * 1024 + 256;

    public TimeSpan GatewayTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The issuer's token directory, served to clients from the relay's cache (key consistency for token
    /// keys); default: <c>/.well-known/private-token-issuer-directory</c> on the gateway's host.
    /// </summary>
    public Uri? IssuerDirectory { get; set; }

    /// <summary>
    /// How long the relay serves one copy of the gateway's key configuration and of the issuer directory to
    /// every client before fetching them again (docs/ohttp.md, "Key consistency"): the window within which
    /// the operator cannot give different devices different keys.
    /// </summary>
    public TimeSpan KeyCacheDuration { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The relay's clock (the key cache's windows); tests drive it by hand.</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    internal Uri EffectiveIssuerDirectory => IssuerDirectory ?? new Uri(Gateway!, "/.well-known/private-token-issuer-directory");

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Gateway is null)
            errors.Add("--gateway: give the gateway's URL (https://collector/.well-known/ohttp-gateway).");
        else if (!Gateway.IsAbsoluteUri || Gateway.Scheme is not ("https" or "http"))
            errors.Add($"--gateway: {Gateway} is not an http(s) URL.");
        if (Urls.Count == 0) errors.Add("--urls: give at least one address to listen on.");
        if (IssuerDirectory is { } d && (!d.IsAbsoluteUri || d.Scheme is not ("https" or "http")))
            errors.Add($"--issuer-directory: {d} is not an http(s) URL.");
        if (KeyCacheDuration < TimeSpan.FromMinutes(1) || KeyCacheDuration > TimeSpan.FromDays(7))
            errors.Add($"KeyCacheDuration: {KeyCacheDuration} is outside 1 minute..7 days (shorter lets the operator vary keys between checks; longer delays rotations).");
        if (MaxBodyBytes is < 1024 or > 16 * 1024 * 1024) errors.Add($"MaxBodyBytes: {MaxBodyBytes} is outside 1024..16777216.");
        return errors;
    }
}
