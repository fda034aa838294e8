namespace Candor.Collector.Storage;

/// <summary>
/// The answer to a batch whose idempotency key is stored already, the same on every engine: a true retry
/// (same key, same body) gets the first answer again and stores nothing; the same key with another body is
/// refused as reused, also with the first answer, so that the reply says nothing about the other body.
/// </summary>
internal static class IdempotencyReplay
{
    public static AppendOutcome Answer(byte[] storedBodyMac, IngestResponse storedResponse, AppendRequest request) =>
        Ingest.IdempotencyFingerprint.Matches(storedBodyMac, request.BodyMac)
            ? new(AppendOutcomeKind.Replayed, storedResponse)
            : new(AppendOutcomeKind.KeyReused, storedResponse);
}
