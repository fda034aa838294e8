using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Candor.Client.Outbox;

namespace Candor.Client.Upload;

/// <summary>
/// The innermost sender (Sentry's <c>HttpTransport</c>): one outbox batch to <c>POST /v1/apps/{app}/reports</c>,
/// the stored bytes, the stored <c>Idempotency-Key</c>, and no other header that could say who sends it
/// (no user agent, no cookies). It knows nothing of the outbox; <see cref="OutboxSender"/> wraps it.
/// </summary>
internal sealed class HttpReportSender(Transport.ClientTransport transport, string app) : IReportSender
{
    public async Task<UploadOutcome> SendAsync(OutboxBatch batch, CancellationToken cancel)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(transport.BaseUrl, $"v1/apps/{Uri.EscapeDataString(app)}/reports"))
        {
            Content = new ByteArrayContent(batch.Body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", batch.IdempotencyKey);
        HttpResponseMessage response;
        try
        {
            response = await transport.SendAsync(request, cancel).ConfigureAwait(false);
        }
        catch (Exception e) when (RetryPolicy.IsRetryable(e) && !cancel.IsCancellationRequested)
        {
            return new UploadOutcome(UploadResult.Retry, $"no answer from the collector ({e.GetType().Name}: {e.Message})", Summary: $"no answer from the collector ({e.GetType().Name})");
        }
        using (response)
        {
            string text = await response.Content.ReadAsStringAsync(cancel).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                int accepted = 0;
                TimeSpan? next = null;
                try
                {
                    using var doc = JsonDocument.Parse(text);
                    if (doc.RootElement.TryGetProperty("accepted", out var a) && a.TryGetInt32(out var n)) accepted = n;
                    if (doc.RootElement.TryGetProperty("next_report_after_seconds", out var s) && s.TryGetInt64(out var sec) && sec >= 0)
                        next = TimeSpan.FromSeconds(Math.Min(sec, 366L * 86400));
                }
                catch (JsonException) { /* accepted all the same; the schedule falls back to the default */ }
                return new UploadOutcome(UploadResult.Accepted, "accepted", accepted, next);
            }
            var retryAfter = response.Headers.RetryAfter switch
            {
                { Delta: { } d } => d,
                { Date: { } date } => date - DateTimeOffset.UtcNow is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
                _ => (TimeSpan?)null,
            };
            string reason = $"{(int)response.StatusCode} {response.ReasonPhrase}: {Shorten(text)}";
            string summary = $"{(int)response.StatusCode} {response.ReasonPhrase}";
            return RetryPolicy.IsRetryable(response.StatusCode)
                ? new UploadOutcome(UploadResult.Retry, reason, RetryAfter: retryAfter, Summary: summary)
                : new UploadOutcome(UploadResult.Dropped, reason, Summary: summary);
        }
    }

    private static string Shorten(string s) => s.Length <= 500 ? s : s[..500] + "…";
}
