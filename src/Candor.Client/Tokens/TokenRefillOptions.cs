namespace Candor.Client.Tokens;

/// <summary>How the client keeps its wallet of Privacy Pass tokens filled (docs/privacy.md, "Anonymous tokens").</summary>
internal sealed class TokenRefillOptions
{
    /// <summary>The collector whose challenge the tokens are for.</summary>
    public required Uri Collector { get; set; }

    public required string App { get; set; }

    /// <summary>The issuer, when it is not the collector itself.</summary>
    public Uri? Issuer { get; set; }

    /// <summary>
    /// The consistency route for the issuer directory: the relay's shared cache with <c>ohttp</c>
    /// (<see cref="Transport.OhttpTransportOptions.TokenDirectoryUrl"/>); null: the issuer's own directory.
    /// </summary>
    public Uri? Directory { get; set; }

    /// <summary>Tokens to hold: enough for the uploads between two refills, well under the issuer's budget.</summary>
    public int Target { get; set; } = 4;

    /// <summary>Each refill happens at a uniformly random moment within this long after the previous one, unrelated to uploads.</summary>
    public TimeSpan RefillInterval { get; set; } = TimeSpan.FromDays(2);
}
