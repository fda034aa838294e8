using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Candor.Collector;
using Candor.Collector.Publishing;
using Candor.Registry;
using Candor.Tests.Infrastructure;
using Candor.Tests.Operations;
using Xunit.Abstractions;

namespace Candor.Tests.Publishing;

/// <summary>
/// The privacy budget is one total per installation and ISO week (<see cref="PrivacyBudget"/>): the publisher
/// splits it equally over the metric-periods of a week, every public document states the weekly and the
/// yearly figure, the old per-metric setting keeps its meaning, and the accuracy table of docs/privacy.md is
/// what the default budget gives (computed here from the noise the publisher draws, not typed in).
/// </summary>
public sealed class PrivacyBudgetTests(ITestOutputHelper output)
{
    private static MetricRegistry Example => RegistryParser.ParseFile(Path.Combine(AppContext.BaseDirectory, "registries", "desktop-editor.yaml"));

    [Fact]
    public void The_weekly_total_is_split_equally_and_the_shares_of_a_week_add_up_to_it_exactly()
    {
        var registry = Example;
        var budget = PrivacyBudget.For(registry, perWeek: null);
        Assert.Equal(Rational.From(CollectorOptions.DefaultEpsilonPerWeek), budget.PerWeek);
        // Composition over one week: every weekly metric once, every daily metric on each of seven days.
        var spent = new Rational(0, 1);
        foreach (var metric in registry.Metrics)
            for (int period = 0; period < (metric.Period == MetricPeriod.Day ? 7 : 1); period++)
                spent = new Rational(spent.Numerator * budget.PerMetricPeriod.Denominator + budget.PerMetricPeriod.Numerator * spent.Denominator,
                    spent.Denominator * budget.PerMetricPeriod.Denominator);
        Assert.Equal(budget.PerWeek.ToDouble(), spent.ToDouble(), 12);
        Assert.Equal(budget.PerWeek.Times(52), budget.PerYear);
        // Adding a metric makes every share smaller; the total stays.
        var more = PrivacyBudget.For(RegistryParser.Parse(TestRegistries.V2, "v2.yaml"), perWeek: 4);
        var fewer = PrivacyBudget.For(RegistryParser.Parse(TestRegistries.V1, "v1.yaml"), perWeek: 4);
        Assert.Equal(more.PerWeek, fewer.PerWeek);
        Assert.True(more.Units > fewer.Units && more.PerMetricPeriod.ToDouble() < fewer.PerMetricPeriod.ToDouble());
    }

    [Fact]
    public void The_old_per_metric_setting_keeps_its_share_and_its_weekly_sum_is_shown()
    {
        var registry = RegistryParser.Parse(TestRegistries.V2, "v2.yaml");
        var budget = PrivacyBudget.For(registry, perWeek: null, perMetric: 0.5m);
        Assert.True(budget.FromPerMetricSetting);
        Assert.Equal(new Rational(1, 2), budget.PerMetricPeriod);
        Assert.Equal(new Rational(15, 2), budget.PerWeek); // 15 metric-periods in the test registry's week
        Assert.Contains("old per-metric PublishEpsilon", budget.Describe());
    }

    [Fact]
    public async Task The_public_documents_state_the_weekly_and_yearly_budget_and_each_metric_gets_its_share()
    {
        await using var host = await CollectorHost.StartAsync(clockStart: new DateTimeOffset(2026, 12, 8, 12, 0, 0, TimeSpan.Zero));
        var apps = JsonDocument.Parse(await host.Client.GetStringAsync("/v1/public/apps")).RootElement;
        var app = apps.GetProperty("apps").EnumerateArray().Single(a => a.GetProperty("app").GetString() == TestRegistries.App).GetProperty("privacy");
        Assert.Equal(4m, app.GetProperty("epsilon_per_installation_per_week").GetDecimal());
        Assert.Equal(208m, app.GetProperty("epsilon_per_installation_per_year").GetDecimal());
        Assert.Contains("15 metric-periods", app.GetProperty("statement").GetString());
        var os = JsonDocument.Parse(await host.Client.GetStringAsync($"/v1/public/apps/{TestRegistries.App}/metrics/system.os?from=2026-W47&to=2026-W47")).RootElement;
        Assert.Equal("4/15", os.GetProperty("privacy").GetProperty("epsilon_per_value").GetString());
        Assert.Equal(Publisher.ThresholdFor(new Rational(4, 15), 1e-6), os.GetProperty("privacy").GetProperty("threshold").GetInt64());
        Assert.Contains("epsilon = 208 over a year of 52 weeks", os.GetProperty("privacy").GetProperty("statement").GetString());
    }

    [Fact]
    public async Task The_old_per_metric_setting_still_starts_a_collector_and_its_weekly_sum_is_published()
    {
        await using var host = await CollectorHost.StartAsync(o => o.PublishEpsilon = 0.5m);
        var apps = JsonDocument.Parse(await host.Client.GetStringAsync("/v1/public/apps")).RootElement;
        var app = apps.GetProperty("apps").EnumerateArray().Single(a => a.GetProperty("app").GetString() == TestRegistries.App).GetProperty("privacy");
        Assert.Equal(7.5m, app.GetProperty("epsilon_per_installation_per_week").GetDecimal());
        Assert.Equal(390m, app.GetProperty("epsilon_per_installation_per_year").GetDecimal());
    }

    /// <summary>
    /// The accuracy docs/privacy.md states for the default budget on the example registry: one enum value's
    /// count, per metric-period, at 1,000, 10,000 and 1,000,000 installations. The noise does not grow with
    /// the population, so its relative error shrinks. Figures: the discrete Laplace standard deviation
    /// sqrt(2q)/(1-q), q = e^-epsilon; the 95 % error t, the smallest with P[|Z| > t] = 2q^(t+1)/(1+q) &lt;= 0.05;
    /// the threshold (a value held by T installations is shown at least half the time). A sample of the
    /// publisher's own sampler checks the standard deviation.
    /// </summary>
    [Fact]
    public void The_accuracy_table_in_the_privacy_document_is_what_the_default_budget_gives()
    {
        var budget = PrivacyBudget.For(Example, perWeek: null);
        var table = AccuracyTable(budget);
        output.WriteLine(table);
        var docs = File.ReadAllText(Path.Combine(OpenApiContractTests.RepositoryRoot(), "docs", "privacy.md")).ReplaceLineEndings("\n");
        Assert.Contains(table, docs);

        double eps = budget.PerMetricPeriod.ToDouble(), q = Math.Exp(-eps), sd = Math.Sqrt(2 * q) / (1 - q);
        var noise = DiscreteLaplace.For(budget.PerMetricPeriod);
        const int Draws = 4000;
        double sum = 0, squares = 0;
        for (int i = 0; i < Draws; i++)
        {
            long z = noise.Sample();
            sum += z;
            squares += (double)z * z;
        }
        double sampled = Math.Sqrt(squares / Draws - sum / Draws * (sum / Draws));
        output.WriteLine($"sampled sd {sampled:0.00} against {sd:0.00}");
        Assert.InRange(sampled, sd * 0.85, sd * 1.15); // the sd of a sample of 4,000 is within 15 % all but once in millions
    }

    /// <summary>The table exactly as docs/privacy.md prints it.</summary>
    internal static string AccuracyTable(PrivacyBudget budget)
    {
        double eps = budget.PerMetricPeriod.ToDouble(), q = Math.Exp(-eps), sd = Math.Sqrt(2 * q) / (1 - q);
        long t = 0;
        while (2 * DiscreteLaplace.UpperTail(eps, t + 1) > 0.05)
            t++;
        long threshold = Publisher.ThresholdFor(budget.PerMetricPeriod, 1e-6);
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(c, $"Default budget on the example registry: epsilon {budget.PerWeek} per week over {budget.Units} metric-periods, {budget.PerMetricPeriod} (≈ {eps:0.###}) each; ")
          .Append(c, $"noise standard deviation {sd:0.0}, 95 % of counts within ±{t}, threshold {threshold}.\n\n")
          .Append("| Installations | 95 % error on a count of all of them | on a value held by 10 % | smallest share shown at least half the time |\n")
          .Append("|---|---|---|---|\n");
        foreach (var n in new[] { 1_000, 10_000, 1_000_000 })
            sb.Append(c, $"| {n:N0} | ±{Percent(t, n)} | ±{Percent(t, n / 10.0)} | {Percent(threshold, n)} |\n");
        return sb.ToString();

        static string Percent(double count, double of)
        {
            double p = 100 * count / of;
            return (p >= 10 ? p.ToString("0", CultureInfo.InvariantCulture) : p >= 0.1 ? p.ToString("0.0#", CultureInfo.InvariantCulture) : p.ToString("0.00##", CultureInfo.InvariantCulture)) + " %";
        }
    }
}
