namespace Candor.Agent.Recording;

/// <summary>Why an event was dropped on the device instead of becoming data.</summary>
public enum DropReason
{
    /// <summary>Its UUID is not in the mapping file.</summary>
    Unmapped,

    /// <summary>It carried a payload the mapping does not allow (wrong type, a value outside the allowlist, or a payload where none is allowed).</summary>
    DisallowedPayload,

    /// <summary>It came in a form its mapping cannot use (for example a singular event mapped to a duration).</summary>
    WrongKind,
}
