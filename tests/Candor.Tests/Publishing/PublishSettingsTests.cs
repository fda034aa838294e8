using Candor.Collector;
using Candor.Collector.Hosting;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Publishing;

/// <summary>Publishing settings are checked at start-up, each refusal naming the setting.</summary>
public sealed class PublishSettingsTests
{
    private static async Task<string> Refused(Action<CollectorOptions> configure) =>
        (await Assert.ThrowsAsync<CollectorConfigurationException>(() => CollectorHost.StartAsync(configure))).Message;

    [Fact]
    public async Task A_period_must_become_final_before_its_reports_are_refused_or_purged()
    {
        Assert.Contains("PublishAfterDays (90) must be less than RetentionDays (90)", await Refused(o => o.PublishAfterDays = 90));
        Assert.Contains($"Apps:{TestRegistries.App}:RetentionDays (10) must be more than PublishAfterDays (14)",
            await Refused(o => o.Apps[TestRegistries.App] = new() { RetentionDays = 10 }));
        Assert.Contains("PublishAfterDays must be positive", await Refused(o => o.PublishAfterDays = 0));
    }

    [Fact]
    public async Task Epsilon_and_delta_must_be_usable_by_the_exact_sampler()
    {
        Assert.Contains("PublishEpsilon: 0 must be above 0", await Refused(o => o.PublishEpsilon = 0));
        Assert.Contains("at most 4 decimals", await Refused(o => o.PublishEpsilon = 0.12345m));
        Assert.Contains("PublishEpsilon: 11 must be", await Refused(o => o.PublishEpsilon = 11));
        Assert.Contains("PublishEpsilonPerWeek: 0 must be above 0", await Refused(o => o.PublishEpsilonPerWeek = 0));
        Assert.Contains("PublishEpsilonPerWeek: 1001 must be", await Refused(o => o.PublishEpsilonPerWeek = 1001));
        Assert.Contains("at most 4 decimals", await Refused(o => o.PublishEpsilonPerWeek = 4.00001m));
        Assert.Contains("PublishDelta", await Refused(o => o.PublishDelta = 0));
        Assert.Contains("PublishDelta", await Refused(o => o.PublishDelta = 0.5));
    }

    [Fact]
    public async Task Setting_both_the_old_per_metric_epsilon_and_the_weekly_total_is_refused_naming_both()
    {
        var message = await Refused(o => { o.PublishEpsilon = 1; o.PublishEpsilonPerWeek = 4; });
        Assert.Contains("PublishEpsilon (the old per-metric, per-period setting) and PublishEpsilonPerWeek are both set", message);
    }

    [Fact]
    public async Task The_release_job_settings_are_bounded()
    {
        Assert.Contains("ReleaseEveryMinutes: -1 is outside 0..1440", await Refused(o => o.ReleaseEveryMinutes = -1));
        Assert.Contains("ReleaseEveryMinutes: 1441", await Refused(o => o.ReleaseEveryMinutes = 1441));
        Assert.Contains("ReleaseWaitMilliseconds: 30001 is outside 0..30000", await Refused(o => o.ReleaseWaitMilliseconds = 30001));
    }
}
