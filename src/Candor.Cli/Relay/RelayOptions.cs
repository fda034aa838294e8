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

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Gateway is null)
            errors.Add("--gateway: give the gateway's URL (https://collector/.well-known/ohttp-gateway).");
        else if (!Gateway.IsAbsoluteUri || Gateway.Scheme is not ("https" or "http"))
            errors.Add($"--gateway: {Gateway} is not an http(s) URL.");
        if (Urls.Count == 0) errors.Add("--urls: give at least one address to listen on.");
        if (MaxBodyBytes is < 1024 or > 16 * 1024 * 1024) errors.Add($"MaxBodyBytes: {MaxBodyBytes} is outside 1024..16777216.");
        return errors;
    }
}
