namespace Candor.AspNetCore.Consent;

/// <summary>Settings of <c>AddCandorConsent</c>; checked when the first consent service is built.</summary>
public sealed class CandorConsentOptions
{
    /// <summary>Where preferences live: a SQLite file path, or a PostgreSQL URL / connection string.</summary>
    public string Database { get; set; } = "candor-consent.db";

    /// <summary>The scope a trusted service needs to read another user's preference.</summary>
    public string ReadOthersScope { get; set; } = ConsentScopes.ReadMetricsOptout;

    /// <summary>Honour <c>Sec-GPC: 1</c> (Global Privacy Control) as an opt-out signal.</summary>
    public bool HonorGlobalPrivacyControl { get; set; } = true;

    /// <summary>Honour <c>DNT: 1</c> as an opt-out signal.</summary>
    public bool HonorDoNotTrack { get; set; } = true;

    /// <summary>
    /// Whether non-essential metrics may be collected when nobody said anything (no preference, no signal).
    /// False by default: Candor treats an unset choice as no, as its client library does. A service that
    /// follows the Firefox Accounts opt-out model sets it to true.
    /// </summary>
    public bool CollectWhenNoChoice { get; set; }

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Database))
            throw new InvalidOperationException("CandorConsentOptions.Database is empty: give a SQLite file path or a PostgreSQL connection string.");
        if (string.IsNullOrWhiteSpace(ReadOthersScope))
            throw new InvalidOperationException("CandorConsentOptions.ReadOthersScope is empty.");
    }
}

/// <summary>Scopes and claims the consent API understands.</summary>
public static class ConsentScopes
{
    /// <summary>Lets a trusted service read any user's <c>metrics_optout</c>.</summary>
    public const string ReadMetricsOptout = "profile:metrics_optout";

    /// <summary>The claim holding space-separated scopes (as in OAuth 2.0 access tokens).</summary>
    public const string ScopeClaim = "scope";

    /// <summary>The authorization policy that requires <see cref="ReadMetricsOptout"/> (or the configured scope).</summary>
    public const string ReadOthersPolicy = "candor:metrics_optout:read-others";
}
