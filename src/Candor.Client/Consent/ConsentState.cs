namespace Candor.Client.Consent;

/// <summary>The user's answer. <see cref="Unset"/> is the default and is treated as no (privacy invariant 1).</summary>
public enum ConsentState
{
    /// <summary>No answer yet: nothing is recorded, kept or sent.</summary>
    Unset,
    /// <summary>Yes: recording and uploads run, within the categories and metrics left on.</summary>
    Granted,
    /// <summary>No: nothing is recorded, and what was not sent has been erased.</summary>
    Denied,
}

/// <summary>Which rule decided the effective consent, in order of precedence (see docs/client.md).</summary>
public enum ConsentSource
{
    /// <summary>An administrator's machine-wide policy file, which overrides everything else.</summary>
    MachinePolicy,
    /// <summary>The user's own answer (<see cref="ConsentRecord"/>).</summary>
    User,
    /// <summary><c>DO_NOT_TRACK=1</c> in the environment: denied.</summary>
    DoNotTrack,
    /// <summary>A CI environment (<c>CI=true</c> and the like): denied, so test runs never report.</summary>
    ContinuousIntegration,
    /// <summary>Nothing decided: unset, treated as no.</summary>
    Default,
}

/// <summary>The consent in force and why.</summary>
public sealed record EffectiveConsent(ConsentState State, ConsentSource Source, string Reason)
{
    /// <summary>True only for <see cref="ConsentState.Granted"/>: the one state in which anything is recorded or sent.</summary>
    public bool IsGranted => State == ConsentState.Granted;
}
