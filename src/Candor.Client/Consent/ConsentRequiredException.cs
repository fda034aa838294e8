namespace Candor.Client.Consent;

/// <summary>
/// A call that would reach the network was made while consent does not allow it (unset, denied, a
/// machine policy, <c>DO_NOT_TRACK</c>); nothing was sent. Privacy invariant 10: whatever leaves the
/// device passes the same gate as reports, so a device whose user said no (or was never asked) does not
/// talk to the collector at all, not even to check or compare, which would still tell the operator the
/// device's address and when the app runs.
/// </summary>
public sealed class ConsentRequiredException(string message) : InvalidOperationException(message);
