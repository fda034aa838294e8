using System.Diagnostics.Metrics;
using Candor.AspNetCore.Storage;

namespace Candor.AspNetCore.Consent;

/// <summary>
/// The one place a preference changes: it stores the value and counts non-default choices on the
/// <c>candor.metrics_optout.choices</c> counter. The counter's tags are the value and where it came from,
/// never the user: it says how many people chose, not who.
/// </summary>
public sealed class ConsentPreferences
{
    /// <summary>The meter the choices counter belongs to.</summary>
    public const string MeterName = "Candor.AspNetCore.Consent";
    /// <summary>The counter of non-default choices (tags: value and source, never the user).</summary>
    public const string CounterName = "candor.metrics_optout.choices";

    private readonly IConsentPreferenceStore _store;
    private readonly Counter<long> _choices;

    /// <summary>Preferences kept in <paramref name="store"/>, counted on a meter from <paramref name="meters"/>.</summary>
    public ConsentPreferences(IConsentPreferenceStore store, IMeterFactory meters)
    {
        _store = store;
        _choices = meters.Create(MeterName).CreateCounter<long>(CounterName, unit: "{choice}",
            description: "Non-default metrics_optout values set (true or false), by value and source; no user id.");
    }

    /// <inheritdoc cref="IConsentPreferenceStore.GetAsync"/>
    public Task<bool?> GetAsync(string userId, CancellationToken cancellationToken = default) => _store.GetAsync(userId, cancellationToken);

    /// <summary>An explicit choice by the user (or a reset to <c>null</c>).</summary>
    public async Task SetAsync(string userId, bool? optout, ChoiceSource source, CancellationToken cancellationToken = default)
    {
        await _store.SetAsync(userId, optout, cancellationToken);
        if (optout is { } value)
            Count(value, source);
    }

    /// <summary>Sets the preference only if the user has none; true when it did.</summary>
    public async Task<bool> SetIfUnsetAsync(string userId, bool optout, ChoiceSource source, CancellationToken cancellationToken = default)
    {
        bool stored = await _store.SetIfUnsetAsync(userId, optout, cancellationToken);
        if (stored)
            Count(optout, source);
        return stored;
    }

    private void Count(bool value, ChoiceSource source) =>
        _choices.Add(1, new KeyValuePair<string, object?>("metrics_optout", value ? "true" : "false"),
                        new KeyValuePair<string, object?>("source", source switch
                        {
                            ChoiceSource.User => "user",
                            ChoiceSource.BrowserSignal => "browser_signal",
                            ChoiceSource.SignInFromSignallingBrowser => "sign_in",
                            _ => "other",
                        }));
}

/// <summary>Why a preference was set: kept only as a counter tag, never stored.</summary>
public enum ChoiceSource
{
    /// <summary>The user chose, through <c>POST /v1/metrics_optout</c> or the app's own settings.</summary>
    User,
    /// <summary>A request from a browser sending <c>Sec-GPC: 1</c> or <c>DNT: 1</c>, for a user with no choice yet.</summary>
    BrowserSignal,
    /// <summary>The account was created or signed into from a signalling browser.</summary>
    SignInFromSignallingBrowser,
}
