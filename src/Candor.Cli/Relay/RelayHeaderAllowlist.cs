using System.Diagnostics;

namespace Candor.Cli.Relay;

/// <summary>
/// What of a client's request reaches the gateway: the sealed bytes, their media type
/// (<c>message/ohttp-req</c>) and their length, nothing else. The relay never copies a header: each
/// forward is a fresh request with only <c>Content-Type</c>, <c>Content-Length</c> and the gateway's
/// <c>Host</c>. The one way a client's header could still cross is the trace context: ASP.NET Core turns
/// an incoming <c>traceparent</c> (or <c>Request-Id</c>, <c>baggage</c>) into the current
/// <see cref="Activity"/>, and an HTTP handler with propagation on writes it into the forwarded request,
/// so the gateway would see the client's trace id (six split parts, one id: relinked). The relay's own
/// handler has propagation off, and <see cref="Detach"/> drops the activity before forwarding, so a
/// handler given for tests or by an embedder has nothing to propagate either.
/// </summary>
internal static class RelayHeaderAllowlist
{
    /// <summary>Forgets the incoming request's activity for the rest of this (async) forward.</summary>
    public static void Detach() => Activity.Current = null;
}
