using Candor.Transparency;

namespace Candor.Collector.Transparency;

/// <summary>The log's identity: its origin and its signing key, loaded once at start-up.</summary>
internal sealed class LogSigner(string origin, EcdsaNoteKey key)
{
    public string Origin { get; } = origin;

    /// <summary>The C2SP verifier key (<see cref="NoteVerifierKey"/>) served at <c>GET /v1/log/key</c>.</summary>
    public string VerifierKey { get; } = NoteVerifierKey.Format(key);

    public string SignCheckpoint(long size, byte[] root) =>
        SignedNote.Sign(new Checkpoint(Origin, (ulong)size, root).ToNoteText(), key);
}
