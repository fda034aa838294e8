namespace Candor.Cli.Relay;

/// <summary>Settings of <c>candor relay</c>: where it listens and the one gateway it forwards to.</summary>
public sealed class RelayOptions
{
    /// <summary>The gateway's URL, e.g. <c>https://metrics.example.org/.well-known/ohttp-gateway</c>.</summary>
    public Uri? Gateway { get; set; }

    public List<string> Urls { get; set; } = ["http://127.0.0.1:5090"];

    /// <summary>The relay's operator listener (<c>/metrics</c>, <c>/readyz</c>, <c>/healthz</c>): never on <see cref="Urls"/>.</summary>
    public List<string> OperatorUrls { get; set; } = ["http://127.0.0.1:5091"];

    /// <summary>Largest encapsulated request forwarded; the gateway's own limit plus the HPKE overhead is enough.</summary>
    public int MaxBodyBytes { get; set; } = 64 * 1024 + 256;

    /// <summary>
    /// Longest wait for the gateway's whole answer; then the client gets 504. Short, because every
    /// waiting client holds a connection here: a healthy gateway answers in well under a second.
    /// </summary>
    public TimeSpan GatewayTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Most client requests waiting for the gateway at once; more are answered 503 with Retry-After.</summary>
    public int MaxHeldRequests { get; set; } = 256;

    /// <summary>Seconds a client refused for <see cref="MaxHeldRequests"/> is told to wait.</summary>
    public int RetryAfterSeconds { get; set; } = 10;

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

    /// <summary>
    /// Longest a pooled connection to the gateway stays open unused: it is then closed (checked as often), and never
    /// reused after that long, since gateways and proxies close idle ones after 60 s or more. Not a setting: tests shorten it.
    /// </summary>
    internal TimeSpan GatewayIdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

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
        if (OperatorUrls.Count == 0) errors.Add("--operator-urls: give at least one address for /metrics and /readyz (for example http://127.0.0.1:5091).");
        foreach (var url in OperatorUrls)
            if (Urls.Contains(url, StringComparer.OrdinalIgnoreCase) && !url.EndsWith(":0", StringComparison.Ordinal))
                errors.Add($"--operator-urls: {url} is also a public address; the operator listener needs its own.");
        if (GatewayTimeout < TimeSpan.FromSeconds(1) || GatewayTimeout > TimeSpan.FromMinutes(5))
            errors.Add($"--gateway-timeout: {GatewayTimeout.TotalSeconds} s is outside 1..300 seconds.");
        if (MaxHeldRequests is < 1 or > 1_000_000) errors.Add($"--max-held: {MaxHeldRequests} is outside 1..1000000.");
        if (RetryAfterSeconds is < 1 or > 3600) errors.Add($"RetryAfterSeconds: {RetryAfterSeconds} is outside 1..3600.");
        if (IssuerDirectory is { } d && (!d.IsAbsoluteUri || d.Scheme is not ("https" or "http")))
            errors.Add($"--issuer-directory: {d} is not an http(s) URL.");
        if (KeyCacheDuration < TimeSpan.FromMinutes(1) || KeyCacheDuration > TimeSpan.FromDays(7))
            errors.Add($"KeyCacheDuration: {KeyCacheDuration} is outside 1 minute..7 days (shorter lets the operator vary keys between checks; longer delays rotations).");
        if (MaxBodyBytes is < 1024 or > 16 * 1024 * 1024) errors.Add($"MaxBodyBytes: {MaxBodyBytes} is outside 1024..16777216.");
        return errors;
    }
}
