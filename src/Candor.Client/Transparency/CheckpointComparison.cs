namespace Candor.Client.Transparency;

/// <summary>
/// The outcome of comparing this device's newest checkpoint with one seen elsewhere (another device, a
/// mirror or a witness): consistent, or an alarm with both signed notes as evidence.
/// </summary>
public sealed record CheckpointComparison(bool Consistent, ulong LocalSize, ulong OtherSize, string Detail, LogAlarm? Alarm)
{
    /// <summary>
    /// True when the local store could not be read or written (a full disk): never a verdict about the log.
    /// With <see cref="Consistent"/> false and no <see cref="Alarm"/>, nothing was compared (this device's
    /// newest checkpoint could not be read); otherwise the verdict is real and only remembering the newest
    /// checkpoint failed.
    /// </summary>
    public bool LocalStoreUnavailable { get; init; }
}
