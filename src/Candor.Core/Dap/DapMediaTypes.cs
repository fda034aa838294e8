namespace Candor.Dap;

/// <summary>The media types of DAP-09, section 10.1.</summary>
internal static class DapMediaTypes
{
    public const string HpkeConfigList = "application/dap-hpke-config-list";
    public const string Report = "application/dap-report";
    public const string AggregationJobInitReq = "application/dap-aggregation-job-init-req";
    public const string AggregationJobResp = "application/dap-aggregation-job-resp";
    public const string AggregateShareReq = "application/dap-aggregate-share-req";
    public const string AggregateShare = "application/dap-aggregate-share";
    public const string CollectReq = "application/dap-collect-req";
    public const string Collection = "application/dap-collection";
}
