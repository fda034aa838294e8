using System.Collections.Frozen;
using Candor.Collector.Announcements;
using Candor.Collector.Registry;
using Candor.Protocol;
using Candor.Registry;

namespace Candor.Tests.Announcements;

/// <summary>
/// A fetch parameter is counted exactly when <see cref="ReportBatchReader"/> would accept it in a client's
/// batch, with the reader's canonical value: the counter keeps no allowlist of its own.
/// </summary>
public sealed class FetchJudgementTests
{
    private static readonly DateOnly Today = new(2026, 11, 22);

    private static readonly AppRegistries Registries = Compile("""
        app: org.example.judge
        version: 3
        categories:
          announcements: { description: Fetches }
        metrics:
          motd.fetch:
            type: flag
            category: announcements
            period: day
            description: d
            purpose: p
            expires: never
          motd.platform:
            type: enum
            category: announcements
            period: day
            values: [linux, windows]
            description: d
            purpose: p
            expires: never
          motd.install_age:
            type: quantity
            category: announcements
            period: day
            transform: log10
            description: d
            purpose: p
            expires: never
          motd.install_days:
            type: quantity
            category: announcements
            period: day
            buckets: [0, 1, 10, 100]
            description: d
            purpose: p
            expires: never
          motd.old:
            type: enum
            category: announcements
            period: day
            values: [linux]
            description: d
            purpose: p
            expires: 2026-01-31
        """);

    private static AppRegistries Compile(string yaml)
    {
        var registry = RegistryParser.Parse(yaml, "judge.yaml");
        return new AppRegistries(registry.App, new Dictionary<int, CompiledRegistry> { [registry.Version] = new(registry) }.ToFrozenDictionary());
    }

    private static string? Judge(string metric, string value) =>
        FetchCounter.Judge(Registries, Registries.Latest.Registry.FindMetric(metric)!, value, Today)?.Value;

    [Theory]
    [InlineData("motd.fetch", "true", "true")]
    [InlineData("motd.platform", "linux", "linux")]
    [InlineData("motd.platform", "haiku", null)]
    [InlineData("motd.install_age", "2", "2")]
    [InlineData("motd.install_age", "02", "2")]
    [InlineData("motd.install_age", "19", null)]
    [InlineData("motd.install_age", "-1", null)]
    [InlineData("motd.install_age", "2.5", null)]
    [InlineData("motd.old", "linux", null)]
    public void A_fetch_parameter_counts_with_the_batch_readers_value_or_not_at_all(string metric, string value, string? counted)
    {
        Assert.Equal(counted, Judge(metric, value));
    }

    [Fact]
    public void A_bucketed_quantity_counts_its_bucket_bounds_as_a_batch_would()
    {
        // The counter's former allowlist knew only log10 quantities and dropped every bucketed one; the
        // reader accepts a bucket's lower bound and nothing else.
        Assert.Equal("10", Judge("motd.install_days", "10"));
        Assert.Null(Judge("motd.install_days", "11"));
        var batch = """{"schema":3,"period":"2026-11-22","reports":[{"metric":"motd.install_days","value":11}]}"""u8;
        Assert.Equal(BatchStatus.Invalid, ReportBatchReader.Read(batch, Registries.Version, new BatchRules(Today)).Status);
    }

    [Fact]
    public void The_counted_period_is_the_metrics_period_of_today()
    {
        Assert.Equal("2026-11-22", FetchCounter.Judge(Registries, Registries.Latest.Registry.FindMetric("motd.fetch")!, "true", Today)?.Period);
    }
}
