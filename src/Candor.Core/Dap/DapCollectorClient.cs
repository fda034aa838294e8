using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace Candor.Dap;

/// <summary>The Collector's result for one batch: the aggregate, how many reports it sums, and the interval they span.</summary>
internal sealed record DapCollectionResult(string Aggregate, ulong ReportCount, DapInterval Interval);

/// <summary>
/// The Collector (DAP-09, section 4.7): starts a collection job at the Leader, polls it, opens both
/// aggregate shares with its HPKE key and unshards them. Only the Collector holds that key, so neither
/// aggregator can read the other's share, nor the Leader the result.
/// </summary>
internal sealed class DapCollectorClient(HttpClient http, DapCollectorCredentials credentials)
{
    private string TaskPath => $"tasks/{DapTask.Base64Url(credentials.TaskId)}/collection_jobs/";

    /// <summary>Starts a collection job for the interval; returns its id.</summary>
    public Task<byte[]> StartAsync(DapInterval batchInterval, CancellationToken cancellationToken = default) =>
        StartAsync(batchInterval, RandomNumberGenerator.GetBytes(16), cancellationToken);

    /// <summary>
    /// Starts (or, with the same id and interval, starts again: the Leader treats it as the same job) a
    /// collection job under a chosen id. A Collector that derives the id from the batch can ask for a result
    /// again after a crash, since a batch can be collected only once.
    /// </summary>
    public async Task<byte[]> StartAsync(DapInterval batchInterval, byte[] jobId, CancellationToken cancellationToken = default)
    {
        using var content = new ByteArrayContent(new CollectionReq(batchInterval, []).Encode());
        content.Headers.ContentType = new MediaTypeHeaderValue(DapMediaTypes.CollectReq);
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(credentials.Leader, TaskPath + DapTask.Base64Url(jobId))) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credentials.AuthToken);
        using var response = await http.SendAsync(request, cancellationToken);
        await DapHttp.EnsureSuccessAsync(response, "starting a collection job", cancellationToken);
        return jobId;
    }

    /// <summary>Null while the Leader is still working (202); the result once it is ready.</summary>
    /// <exception cref="DapProtocolException">The job failed (too few reports, batch mismatch...).</exception>
    public async Task<DapCollectionResult?> PollAsync(byte[] jobId, DapInterval batchInterval, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(credentials.Leader, TaskPath + DapTask.Base64Url(jobId)));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credentials.AuthToken);
        using var response = await http.SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.Accepted)
            return null;
        await DapHttp.EnsureSuccessAsync(response, "polling a collection job", cancellationToken);
        var collection = DapCollection.Decode(await response.Content.ReadAsByteArrayAsync(cancellationToken));
        var aad = AggregateShareAad.Encode(credentials.TaskId, [], batchInterval);
        var leaderShare = DapHpke.Open(credentials.HpkeKey, DapHpke.AggregateShareInfo(DapRole.Leader), aad, collection.LeaderShare);
        var helperShare = DapHpke.Open(credentials.HpkeKey, DapHpke.AggregateShareInfo(DapRole.Helper), aad, collection.HelperShare);
        return new DapCollectionResult(credentials.Vdaf.Unshard(leaderShare, helperShare, checked((int)collection.ReportCount)),
            collection.ReportCount, collection.Interval);
    }

    /// <summary>Starts a job and polls until it is done or <paramref name="attempts"/> polls found it pending.</summary>
    public async Task<DapCollectionResult> CollectAsync(DapInterval batchInterval, int attempts = 30, TimeSpan? pause = null, CancellationToken cancellationToken = default)
    {
        var job = await StartAsync(batchInterval, cancellationToken);
        for (var i = 0; i < attempts; i++)
        {
            if (await PollAsync(job, batchInterval, cancellationToken) is { } result)
                return result;
            await Task.Delay(pause ?? TimeSpan.FromSeconds(1), cancellationToken);
        }
        throw new DapProtocolException(null, $"the collection job was still pending after {attempts} polls (too few reports for the minimum batch size?)");
    }
}
