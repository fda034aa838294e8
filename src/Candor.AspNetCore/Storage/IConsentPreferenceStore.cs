namespace Candor.AspNetCore.Storage;

/// <summary>
/// The per-user <c>metrics_optout</c> preference: <c>null</c> (no explicit choice), <c>false</c> (metrics
/// allowed), <c>true</c> (opted out). One contract, two engines (SQLite, PostgreSQL), one shared test suite.
/// Only the user id and the preference are stored: no address, no agent, no history of changes.
/// </summary>
public interface IConsentPreferenceStore : IAsyncDisposable
{
    /// <summary>"sqlite" or "postgres".</summary>
    string Engine { get; }

    /// <summary>Creates the table if it is missing; safe to call on every start.</summary>
    Task MigrateAsync(CancellationToken cancellationToken = default);

    /// <summary>The user's preference; <c>null</c> for a user never seen or who reset their choice.</summary>
    Task<bool?> GetAsync(string userId, CancellationToken cancellationToken = default);

    /// <summary>Stores <paramref name="optout"/> for the user, whatever was there.</summary>
    Task SetAsync(string userId, bool? optout, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores <paramref name="optout"/> only when the user has no explicit choice, in one statement so that
    /// a browser signal never overwrites a choice made at the same moment. True when it was stored.
    /// </summary>
    Task<bool> SetIfUnsetAsync(string userId, bool optout, CancellationToken cancellationToken = default);
}
