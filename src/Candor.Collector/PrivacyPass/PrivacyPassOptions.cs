namespace Candor.Collector.PrivacyPass;

/// <summary>Whether an app's report posts need a Privacy Pass token (docs/operations.md, "Anonymous tokens").</summary>
public enum TokenMode
{
    /// <summary>Tokens are not asked for and any <c>Authorization</c> header is ignored.</summary>
    Off,
    /// <summary>A batch without a valid, unspent token is refused (401/403) and nothing of it is stored.</summary>
    Required,
    /// <summary>
    /// A batch with a valid token is stored as usual; one without a token is stored apart, under
    /// <c>&lt;app&gt;/untokened</c>, and never published (a way to measure before switching to Required).
    /// A token that is present is always checked: a bad or spent one is refused as in Required.
    /// </summary>
    Separate,
}

/// <summary>
/// The "PrivacyPass" settings section: the token issuer this collector trusts (or runs itself), its
/// per-address issuance budget, and the proxies whose forwarded client address the limiters believe.
/// </summary>
public sealed class PrivacyPassOptions
{
    /// <summary>issuer_name in the collector's TokenChallenge: tokens for another issuer name are refused.</summary>
    public string IssuerName { get; set; } = "candor-issuer";

    /// <summary>origin_info in the challenge; empty binds tokens to the issuer only (set it when several collectors share an issuer but not a database).</summary>
    public string OriginInfo { get; set; } = "";

    /// <summary>
    /// Folder of token keys: <c>&lt;not-before&gt;.pub</c> (base64url SubjectPublicKeyInfo) and, where the
    /// issuer runs, <c>&lt;not-before&gt;.key</c> (PKCS#8 PEM). Null: no tokens (every app is Off).
    /// </summary>
    public string? KeyDirectory { get; set; }

    /// <summary>Run the issuer in this process: serve the issuer directory and token requests, create and rotate keys.</summary>
    public bool Issuer { get; set; }

    /// <summary>
    /// Days a key issues tokens before the issuer creates the next one. Tokens of the previous key stay valid for one
    /// more lifetime, so a token can be spent at most two lifetimes after it was issued. A week by default, the
    /// longest report period: tokens cannot be hoarded past the period they were fetched for (with 30 days a wallet
    /// could save two months of budget and spend it at once).
    /// </summary>
    public int KeyLifetimeDays { get; set; } = 7;

    /// <summary>Tokens one client address (an IPv6 /64) may get per <see cref="IssuancePeriodHours"/>.</summary>
    public int IssuanceBudget { get; set; } = 32;

    public int IssuancePeriodHours { get; set; } = 24;

    /// <summary>Where clients send token requests, as published in the issuer directory: the issuer serves them at /v1/private-token-request; set an absolute URL when a proxy publishes it elsewhere.</summary>
    public string IssuerRequestUri { get; set; } = "/v1/private-token-request";

    /// <summary>Token mode of apps without their own <see cref="AppOptions.Tokens"/>.</summary>
    public TokenMode DefaultMode { get; set; } = TokenMode.Off;

    /// <summary>
    /// Addresses (or CIDR ranges, e.g. <c>10.0.0.0/8</c>) of reverse proxies in front of the collector.
    /// Only for a request from one of these is <c>X-Forwarded-For</c> read, and its right-most address
    /// that is not itself a trusted proxy keys the rate limiters. In memory only: never stored or logged.
    /// </summary>
    public List<string> TrustedProxies { get; set; } = [];

    /// <summary>For the "Settings in force" line at start-up (without it the line showed the type name).</summary>
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"DefaultMode={DefaultMode}, Issuer={Issuer}, IssuerName={IssuerName}, IssuanceBudget={IssuanceBudget}, IssuancePeriodHours={IssuancePeriodHours}, KeyLifetimeDays={KeyLifetimeDays}, KeyDirectory={KeyDirectory ?? "(none)"}, TrustedProxies=[{string.Join(", ", TrustedProxies)}]");

    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(IssuerName)) yield return "PrivacyPass:IssuerName must not be empty.";
        if (KeyLifetimeDays < 1) yield return "PrivacyPass:KeyLifetimeDays must be positive.";
        if (IssuanceBudget < 1) yield return "PrivacyPass:IssuanceBudget must be positive.";
        if (IssuancePeriodHours < 1) yield return "PrivacyPass:IssuancePeriodHours must be positive.";
        if (Issuer && KeyDirectory is null) yield return "PrivacyPass:Issuer needs PrivacyPass:KeyDirectory (where its keys are kept).";
        foreach (var proxy in TrustedProxies)
            if (!System.Net.IPNetwork.TryParse(proxy.Contains('/') ? proxy : proxy + (proxy.Contains(':') ? "/128" : "/32"), out _))
                yield return $"PrivacyPass:TrustedProxies: '{proxy}' is not an address or CIDR range.";
    }
}
