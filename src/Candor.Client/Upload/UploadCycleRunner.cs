using System.Globalization;
using Candor.Client.LocalStore;
using Candor.Client.Outbox;
using Candor.Client.Reporting;
using Candor.Protocol;

namespace Candor.Client.Upload;

/// <summary>
/// When to upload and what to do with each answer (docs/client.md, Uploads). The schedule lives in the
/// local store, so a restart neither cuts a wait short nor forgets a backoff:
/// a random wait after the first period ends, then the collector's <c>next_report_after_seconds</c>,
/// and after a retryable failure an exponential backoff with jitter that never undercuts <c>Retry-After</c>.
/// </summary>
internal sealed class UploadCycleRunner(ClientStore store, PendingOutbox outbox, CandorClientOptions options)
{
    public const string NextAttemptKey = "next_attempt_at";
    public const string FailuresKey = "failures";

    private readonly TimeProvider _time = options.TimeProvider;

    public DateTimeOffset? NextAttempt =>
        store.GetState(NextAttemptKey) is { } s ? DateTimeOffset.Parse(s, CultureInfo.InvariantCulture) : null;

    public int Failures => store.GetState(FailuresKey) is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : 0;

    /// <summary>Callers hold the client's gate and have checked consent: only one cycle runs at a time.</summary>
    public async Task<UploadCycle> RunAsync(Uploader uploader, ReportBuilder builder, CancellationToken cancel)
    {
        var now = _time.GetUtcNow();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        int dropped = outbox.EnforceLimits(now);

        var next = NextAttempt;
        if (options.DevelopmentUploads)
            next = now; // a loopback collector only (checked by CandorClient.Create): no wait, no jitter
        else if (next is null)
        {
            var firstClosed = store.Observations()
                .Select(o => PeriodKey.TryParse(o.Period, out var p) ? p.Value.End : (DateOnly?)null)
                .Where(e => e is { } end && end <= today).Min();
            if (firstClosed is null && outbox.Pending().Count == 0)
                return new UploadCycle("nothing to send yet", 0, dropped, 0, null);
            var from = firstClosed is { } f ? new DateTimeOffset(f.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) : now;
            next = from + RandomBetween(options.FirstUploadDelayMin, options.FirstUploadDelayMax);
            SetNextAttempt(next);
        }
        if (now < next)
            return new UploadCycle("not due", 0, dropped, outbox.Pending().Count, next);

        var built = builder.Build(store.Observations(), today, includeOpenPeriods: options.DevelopmentUploads);
        if (built.Consumed.Count > 0)
            outbox.Seal(built.Batches, built.Consumed);
        dropped += outbox.EnforceLimits(now);

        int sent = 0;
        foreach (var batch in outbox.Pending())
        {
            outbox.MarkAttempt(batch.Id);
            var outcome = await uploader.SendAsync(batch, cancel);
            now = _time.GetUtcNow();
            switch (outcome.Result)
            {
                case UploadResult.Accepted:
                    outbox.Remove(batch.Id);
                    store.RecordSent(now, batch.Body, outcome.Accepted);
                    store.SetState(FailuresKey, null);
                    SetNextAttempt(now + (outcome.NextReportAfter ?? RandomBetween(options.FirstUploadDelayMin, options.FirstUploadDelayMax)));
                    sent++;
                    break;
                case UploadResult.Dropped:
                    outbox.Remove(batch.Id);
                    store.Log(now, $"Dropped a batch the collector refused for good: {outcome.Reason}");
                    dropped++;
                    break;
                case UploadResult.Retry:
                    int failures = Failures + 1;
                    store.SetState(FailuresKey, failures.ToString(CultureInfo.InvariantCulture));
                    var retryAt = now + RetryPolicy.Delay(failures, options.InitialBackoff, options.MaxBackoff, outcome.RetryAfter, options.Random);
                    SetNextAttempt(retryAt);
                    store.Log(now, $"Upload failed, retrying after {retryAt:yyyy-MM-dd HH:mm} UTC: {outcome.Reason}");
                    return new UploadCycle("retrying later", sent, dropped, outbox.Pending().Count, retryAt);
            }
        }
        if (sent == 0)
            SetNextAttempt(null); // nothing was due to leave: the next closed period starts a fresh random wait
        return new UploadCycle(sent > 0 ? "sent" : "nothing to send", sent, dropped, outbox.Pending().Count, NextAttempt);
    }

    /// <summary>The announcements' <c>reportback_next</c> moves the next upload (never earlier than a pending retry).</summary>
    public void ScheduleNext(DateTimeOffset at)
    {
        if (Failures == 0)
            SetNextAttempt(at);
    }

    /// <summary>Forgets the schedule (consent withdrawn: nothing is pending any more).</summary>
    public void Reset()
    {
        store.SetState(NextAttemptKey, null);
        store.SetState(FailuresKey, null);
    }

    private TimeSpan RandomBetween(TimeSpan min, TimeSpan max) =>
        min + TimeSpan.FromSeconds(options.Random.NextDouble() * (max - min).TotalSeconds);

    private void SetNextAttempt(DateTimeOffset? at) =>
        store.SetState(NextAttemptKey, at?.ToString("O", CultureInfo.InvariantCulture));
}
