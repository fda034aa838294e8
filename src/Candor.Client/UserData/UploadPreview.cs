using System.Text;
using Candor.Client.Consent;
using Candor.Client.LocalStore;
using Candor.Client.Outbox;
using Candor.Client.Recording;
using Candor.Client.Reporting;
using Candor.Client.Upload;

namespace Candor.Client.UserData;

/// <summary>
/// The exact JSON of the next upload (privacy invariant 7): the pending batch that leaves first, or else
/// the batch the closed periods would be sealed into now, built by the same <see cref="ReportBuilder"/>
/// the upload uses. Local work only, under the client's local lock.
/// </summary>
/// <param name="options">Read live: <see cref="CandorClientOptions.DevelopmentUploads"/> (open periods too) and split uploads (one report per request).</param>
internal sealed class UploadPreview(ConsentGate consent, RecordingFlusher flusher, Func<ReportBuilder> builder, ClientStore store, PendingOutbox outbox,
    StorageFault fault, CandorClientOptions options, TimeProvider time, Lock local)
{
    public string? Preview()
    {
        lock (local)
        {
            flusher.Flush();
            return fault.Quietly("previewing the next upload", () =>
            {
                // With split uploads the next to leave is the part with the earliest drawn moment.
                if (outbox.Pending().OrderBy(b => b.SendAfter ?? DateTimeOffset.MinValue).ThenBy(b => b.Id).FirstOrDefault() is { } first)
                    return first.Json;
                if (!consent.IsGranted)
                    return null;
                var built = builder().Build(store.Observations(), time.UtcToday(), includeOpenPeriods: options.DevelopmentUploads);
                if (built.Batches.Count == 0)
                    return null;
                var body = built.Batches[0].Body;
                return Encoding.UTF8.GetString(options.EffectiveSplitUploads ? ReportSplitter.Split(body, "preview")[0].Body : body);
            }, () => null);
        }
    }
}
