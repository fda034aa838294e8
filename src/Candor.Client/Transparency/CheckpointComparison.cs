namespace Candor.Client.Transparency;

/// <summary>
/// The outcome of comparing this device's newest checkpoint with one seen elsewhere (another device, a
/// mirror or a witness): consistent, or an alarm with both signed notes as evidence.
/// </summary>
public sealed record CheckpointComparison(bool Consistent, ulong LocalSize, ulong OtherSize, string Detail, LogAlarm? Alarm);
