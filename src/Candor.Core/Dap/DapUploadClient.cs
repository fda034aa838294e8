using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace Candor.Dap;

/// <summary>
/// A DAP-09 client: fetches both aggregators' HPKE configurations, shards a measurement with the task's
/// VDAF (the report id is the nonce), seals each share to its aggregator and uploads the report to the
/// Leader. <see cref="Generate"/> is separate from <see cref="UploadAsync"/> so tests can tamper in between.
/// </summary>
internal sealed class DapUploadClient(HttpClient http, byte[] taskId, Uri leader, Uri helper, DapVdaf vdaf, ulong timePrecision)
{
    private DapHpkeConfig? _leaderConfig;
    private DapHpkeConfig? _helperConfig;

    public async Task FetchConfigurationsAsync(CancellationToken cancellationToken = default)
    {
        _leaderConfig ??= await FetchAsync(leader, cancellationToken);
        _helperConfig ??= await FetchAsync(helper, cancellationToken);
    }

    /// <summary>Uses HPKE configurations known out of band instead of fetching them.</summary>
    public void UseConfigurations(DapHpkeConfig leaderConfig, DapHpkeConfig helperConfig) =>
        (_leaderConfig, _helperConfig) = (leaderConfig, helperConfig);

    private async Task<DapHpkeConfig> FetchAsync(Uri aggregator, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(new Uri(aggregator, $"hpke_config?task_id={DapTask.Base64Url(taskId)}"), cancellationToken);
        await DapHttp.EnsureSuccessAsync(response, "fetching the HPKE configuration", cancellationToken);
        return DapHpkeConfigList.Decode(await response.Content.ReadAsByteArrayAsync(cancellationToken)).FirstOrDefault(c => c.IsSupported)
            ?? throw new DapProtocolException(null, $"{aggregator} offers no HPKE configuration Candor implements");
    }

    /// <summary>A report for one measurement at <paramref name="time"/> (rounded down to the task's precision).</summary>
    /// <param name="reportId">A test's chosen id (16 bytes), so where the report lands in key order is reproducible; random otherwise.</param>
    public DapReport Generate(ulong measurement, ulong time, byte[]? reportId = null) => Seal(time, (id) => vdaf.Shard(measurement, id), reportId);

    /// <summary>A report from shares made elsewhere (a test's cheating client).</summary>
    public DapReport Seal(ulong time, Func<byte[], Vdaf.Prio3Shards> shard, byte[]? reportId = null)
    {
        if (_leaderConfig is null || _helperConfig is null)
            throw new InvalidOperationException("fetch the HPKE configurations first");
        if (reportId is { Length: not ReportMetadata.ReportIdSize })
            throw new ArgumentException($"a report id is {ReportMetadata.ReportIdSize} bytes", nameof(reportId));
        var metadata = new ReportMetadata(reportId ?? RandomNumberGenerator.GetBytes(ReportMetadata.ReportIdSize), time - time % timePrecision);
        var shards = shard(metadata.ReportId);
        var aad = InputShareAad.Encode(taskId, metadata, shards.PublicShare);
        return new DapReport(metadata, shards.PublicShare,
            DapHpke.Seal(_leaderConfig, DapHpke.InputShareInfo(DapRole.Leader), aad, new PlaintextInputShare([], shards.InputShares[0]).Encode()),
            DapHpke.Seal(_helperConfig, DapHpke.InputShareInfo(DapRole.Helper), aad, new PlaintextInputShare([], shards.InputShares[1]).Encode()));
    }

    /// <exception cref="DapProtocolException">The Leader refused the report; <see cref="DapProtocolException.Type"/> says why.</exception>
    public async Task UploadAsync(DapReport report, CancellationToken cancellationToken = default)
    {
        using var content = new ByteArrayContent(report.Encode());
        content.Headers.ContentType = new MediaTypeHeaderValue(DapMediaTypes.Report);
        using var response = await http.PutAsync(new Uri(leader, $"tasks/{DapTask.Base64Url(taskId)}/reports"), content, cancellationToken);
        await DapHttp.EnsureSuccessAsync(response, "uploading a report", cancellationToken);
    }
}
