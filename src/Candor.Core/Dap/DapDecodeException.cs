namespace Candor.Dap;

/// <summary>
/// A DAP message that cannot be decoded: too short, a length prefix running past the end, bytes left
/// over, an unknown enum value. Aggregators answer it with <c>invalidMessage</c>; it never escapes as a 500.
/// </summary>
internal sealed class DapDecodeException(string message) : FormatException(message);
