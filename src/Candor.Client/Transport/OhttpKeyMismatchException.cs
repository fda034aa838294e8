namespace Candor.Client.Transport;

/// <summary>
/// The gateway serves no key configuration the application shipped with: it rotated keys after this
/// build, or it is handing this device a key of its own (which would let it recognise the device's
/// reports). Nothing is sent; retryable, so batches wait in the outbox for an update or a fix.
/// </summary>
public sealed class OhttpKeyMismatchException(string message) : HttpRequestException(message);
