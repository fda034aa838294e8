using Candor.Client.Outbox;

namespace Candor.Client.Upload;

/// <summary>Sends one sealed batch and says what became of it; a decorator adds the outbox and the retry rules around it.</summary>
internal interface IReportSender
{
    Task<UploadOutcome> SendAsync(OutboxBatch batch, CancellationToken cancel);
}
