namespace Candor.Client.Transparency;

/// <summary>
/// Evidence that the collector's log misbehaved: what was wrong, and the signed notes and proof hashes
/// that show it, as text a user can keep and hand to anyone (a signed checkpoint that contradicts another
/// signed checkpoint is proof against the log's operator, whoever checks it).
/// </summary>
public sealed record LogAlarm(LogAlarmKind Kind, string Reason, string Evidence);
