namespace Candor.Client.Consent;

/// <summary>The user's answer. <see cref="Unset"/> is the default and is treated as no (privacy invariant 1).</summary>
public enum ConsentState { Unset, Granted, Denied }

/// <summary>Which rule decided the effective consent, in order of precedence (see docs/client.md).</summary>
public enum ConsentSource { MachinePolicy, User, DoNotTrack, ContinuousIntegration, Default }

/// <summary>The consent in force and why.</summary>
public sealed record EffectiveConsent(ConsentState State, ConsentSource Source, string Reason)
{
    public bool IsGranted => State == ConsentState.Granted;
}
