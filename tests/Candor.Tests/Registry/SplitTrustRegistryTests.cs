using Candor.Dap;
using Candor.Registry;
using static Candor.Tests.Registry.RegistryTestYaml;

namespace Candor.Tests.Registry;

/// <summary>The <c>split_trust</c> block of a metric (docs/registry.md, "Split trust"): what it may say and each mistake named.</summary>
public class SplitTrustRegistryTests
{
    private static readonly string TaskId = DapTask.Base64Url(new byte[32]);
    private static readonly string LeaderKey = DapTask.Base64Url(DapHpkeKeyPair.Generate(1).Config.Encode());
    private static readonly string HelperKey = DapTask.Base64Url(DapHpkeKeyPair.Generate(1).Config.Encode());

    private static string Os(string splitTrust, string extra = "") => SystemOs.TrimEnd() + "\n" + $$"""
        {{extra}}    split_trust:
        {{splitTrust}}

        """;

    private static string Block(string taskId = "", string leader = "https://collector.example.org/", string helper = "https://helper.example.net/",
        string? leaderKey = null, string? helperKey = null, string vdaf = "{ type: histogram, length: 4, chunk_length: 2 }") => $"""
              task_id: {(taskId.Length == 0 ? TaskId : taskId)}
              leader: {leader}
              helper: {helper}
              leader_hpke_config: {leaderKey ?? LeaderKey}
              helper_hpke_config: {helperKey ?? HelperKey}
              vdaf: {vdaf}
        """;

    [Fact]
    public void An_enum_declared_split_trust_parses_into_its_task_and_histogram()
    {
        var os = RegistryParser.Parse(WithMetrics(Launches, Os(Block())), FileName).FindMetric("system.os")!;

        var split = Assert.IsType<SplitTrustSettings>(os.SplitTrust);
        Assert.Equal(TaskId, split.TaskId);
        Assert.Equal(new Uri("https://collector.example.org/"), split.Leader);
        Assert.Equal(new Uri("https://helper.example.net/"), split.Helper);
        Assert.Equal((LeaderKey, HelperKey), (split.LeaderHpkeConfig, split.HelperHpkeConfig));
        Assert.Equal("{\"type\":\"histogram\",\"length\":4,\"chunkLength\":2}", split.VdafJson);
        Assert.Equal(4, DapVdaf.Parse(System.Text.Json.Nodes.JsonNode.Parse(split.VdafJson)).AggregateShareLength / 16);
    }

    [Fact]
    public void Plain_metrics_have_no_split_trust()
    {
        Assert.Null(RegistryParser.Parse(WithMetrics(Launches), FileName).FindMetric("app.launches")!.SplitTrust);
    }

    [Fact]
    public void A_flag_is_a_count_and_a_log10_quantity_a_histogram_of_nineteen_magnitudes()
    {
        var yaml = WithMetrics($$"""
              feature.spellcheck:
                type: flag
                category: usage
                period: day
                description: Spellcheck was used.
                purpose: Keep it or drop it.
                expires: never
                split_trust:
            {{Block(vdaf: "{ type: count }")}}
              install.age_days:
                type: quantity
                category: system
                period: week
                transform: log10
                description: Days since install.
                purpose: Retention.
                expires: never
                split_trust:
            {{Block(taskId: DapTask.Base64Url(Enumerable.Repeat((byte)7, 32).ToArray()), vdaf: "{ type: histogram, length: 19, chunk_length: 4 }")}}

            """);
        var registry = RegistryParser.Parse(yaml, FileName);
        Assert.Equal("count", registry.FindMetric("feature.spellcheck")!.SplitTrust!.Vdaf);
        Assert.Equal(19, registry.FindMetric("install.age_days")!.SplitTrust!.Length);
    }

    [Theory]
    [InlineData("{ type: histogram, length: 5, chunk_length: 2 }", "metrics.system.os.split_trust.vdaf.length", "length must be 4, the number of values this metric can take, not 5")]
    [InlineData("{ type: count }", "metrics.system.os.split_trust.vdaf.type", "this metric is aggregated as a Prio3 histogram, not a count")]
    [InlineData("{ type: sum }", "metrics.system.os.split_trust.vdaf.type", "unknown vdaf type 'sum'; allowed: count, histogram")]
    [InlineData("{ type: histogram, length: 4, chunk_length: 9 }", "metrics.system.os.split_trust.vdaf.chunk_length", "chunk_length must be from 1 to 4, not 9")]
    [InlineData("{ type: histogram, length: 4 }", "metrics.system.os.split_trust.vdaf.chunk_length", "chunk_length is required: 1 to 4 (about the square root of the length is fastest)")]
    public void A_vdaf_that_does_not_fit_the_metric_is_named(string vdaf, string field, string message)
    {
        var problem = SingleProblemOf(WithMetrics(Os(Block(vdaf: vdaf))));
        Assert.Equal((field, message), (problem.Field, problem.Message));
    }

    [Fact]
    public void Each_mistake_in_the_task_is_named_at_its_line()
    {
        var yaml = WithMetrics(Os(Block(taskId: "short", leader: "http://collector.example.org/", helper: "ftp://x/", leaderKey: "AAAA", helperKey: "not base64!")));
        var problems = ProblemsOf(yaml);
        Assert.Equal(
        [
            ("metrics.system.os.split_trust.task_id", "task_id must be 32 bytes in unpadded base64url (43 characters), not 'short'"),
            ("metrics.system.os.split_trust.leader", "leader must be an https URL without query or fragment (http only to localhost), not 'http://collector.example.org/'"),
            ("metrics.system.os.split_trust.helper", "helper must be an https URL without query or fragment (http only to localhost), not 'ftp://x/'"),
            ("metrics.system.os.split_trust.leader_hpke_config", "leader_hpke_config must be a DAP HpkeConfig in unpadded base64url (id, KEM, KDF, AEAD, public key)"),
            ("metrics.system.os.split_trust.helper_hpke_config", "helper_hpke_config must be a DAP HpkeConfig in unpadded base64url (id, KEM, KDF, AEAD, public key)"),
        ], problems.Select(p => (p.Field, p.Message)));
        Assert.Equal(LineOf(yaml, "task_id:"), problems[0].Line);
        Assert.Equal(LineOf(yaml, "helper_hpke_config:"), problems[4].Line);
    }

    [Fact]
    public void One_server_as_both_aggregators_is_refused()
    {
        var problems = ProblemsOf(WithMetrics(Os(Block(helper: "https://collector.example.org", helperKey: LeaderKey))));
        Assert.Equal(["the helper must be another server than the leader: one server holding both shares sees every value",
            "the helper's HPKE configuration is the leader's: each aggregator needs its own key"], problems.Select(p => p.Message));
    }

    [Fact]
    public void Two_metrics_in_one_task_are_refused()
    {
        var second = Os(Block()).Replace("system.os:", "system.os_again:");
        var problem = SingleProblemOf(WithMetrics(Os(Block()), second));
        Assert.Equal("task_id is already the task of metric 'system.os': each metric needs its own DAP task", problem.Message);
    }

    [Fact]
    public void Split_trust_with_local_privacy_or_on_a_histogram_is_refused()
    {
        var withNoise = SingleProblemOf(WithMetrics(Os(Block(), extra: "    local_privacy: { epsilon: 1 }\n")));
        Assert.Equal("split_trust and local_privacy cannot be combined yet: the collector would publish randomised answers as counts", withNoise.Message);

        var histogram = ProblemsOf(WithMetrics($$"""
              startup.ms:
                type: histogram
                category: usage
                period: week
                buckets: [0, 100, 250]
                description: Startup time.
                purpose: Speed.
                expires: never
                split_trust:
            {{Block(vdaf: "{ type: histogram, length: 3, chunk_length: 1 }")}}

            """));
        Assert.Contains(histogram, p => p.Message == "split_trust is not supported on histogram metrics yet (counters, quantities, enums and flags only)");
    }

    [Fact]
    public void A_missing_field_names_what_it_needs()
    {
        var problems = ProblemsOf(WithMetrics(Os("""
                  task_id: AAAA
                  spilt: 1
            """)));
        Assert.Contains(problems, p => p.Message.StartsWith("unknown key 'spilt'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Field == "metrics.system.os.split_trust.vdaf"
            && p.Message == "vdaf is required: { type: histogram, length: 4, chunk_length: <1 to 4> }");
        Assert.Contains(problems, p => p.Field == "metrics.system.os.split_trust.helper_hpke_config");
    }

    [Fact]
    public void The_generated_page_tells_users_who_holds_the_shares()
    {
        var page = RegistryDocs.ToMarkdown(RegistryParser.Parse(WithMetrics(Launches, Os(Block())), FileName));
        Assert.Contains("- **Split trust:** sent as two secret shares, one to collector.example.org and one to helper.example.net", page);
    }
}
