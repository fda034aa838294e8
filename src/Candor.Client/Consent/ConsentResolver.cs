namespace Candor.Client.Consent;

/// <summary>
/// The one place that decides whether Candor may collect. Precedence, highest first:
/// 1. a machine policy that disables Candor; 2. the user's explicit choice; 3. <c>DO_NOT_TRACK=1</c>
/// (denied); 4. <c>CI=true</c> (denied); 5. unset, which records nothing.
/// </summary>
internal static class ConsentResolver
{
    public static EffectiveConsent Resolve(ConsentRecord record, string policyPath, Func<string, string?> environment)
    {
        if (MachinePolicy.Forbids(policyPath) is { } reason)
            return new(ConsentState.Denied, ConsentSource.MachinePolicy, reason);
        if (record.State != ConsentState.Unset)
            return new(record.State, ConsentSource.User, record.State == ConsentState.Granted ? "the user agreed" : "the user declined");
        if (environment("DO_NOT_TRACK")?.Trim() == "1")
            return new(ConsentState.Denied, ConsentSource.DoNotTrack, "DO_NOT_TRACK=1 is set and the user has not chosen");
        if (string.Equals(environment("CI")?.Trim(), "true", StringComparison.OrdinalIgnoreCase))
            return new(ConsentState.Denied, ConsentSource.ContinuousIntegration, "CI=true is set (a build machine) and the user has not chosen");
        return new(ConsentState.Unset, ConsentSource.Default, "the user has not been asked yet");
    }
}
