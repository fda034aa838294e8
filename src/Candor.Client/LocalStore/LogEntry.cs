namespace Candor.Client.LocalStore;

/// <summary>One line of the local log (drops, refusals, consent changes): the user can read why something was not sent.</summary>
public sealed record LogEntry(DateTimeOffset At, string Message);
