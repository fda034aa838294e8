namespace Candor.Ohttp;

/// <summary>
/// A malformed, unreadable or undecryptable Oblivious HTTP or Binary HTTP message. <see cref="Reason"/>
/// is a short stable code (for problem+json and tests); the message says what was wrong without
/// echoing any of the message's content.
/// </summary>
internal sealed class OhttpFormatException(string reason, string message) : FormatException(message)
{
    public string Reason { get; } = reason;
}
