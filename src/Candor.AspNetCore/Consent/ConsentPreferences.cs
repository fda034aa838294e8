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
    public const string MeterName = "Candor.AspNetCore.Consent";
    public const string CounterName = "candor.metrics_optout.choices";

    private readonly IConsentPreferenceStore _store;
    private readonly Counter<long> _choices;

    public ConsentPreferences(IConsentPreferenceStore store, IMeterFactory meters)
    {
        _store = store;
        _choices = meters.Create(MeterName).CreateCounter<long>(CounterName, unit: "{choice}",
            description: "Non-default metrics_optout values set (true or false), by value and source; no user id.");
    }

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
    User,
    BrowserSignal,
    SignInFromSignallingBrowser,
}
