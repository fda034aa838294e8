using System.Net;
using System.Text;
using Candor.Client.LocalStore;
using Candor.Client.Reporting;
using Candor.Protocol;
using Candor.Registry;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Client;

/// <summary>The one place that decides what leaves the device.</summary>
public sealed class ReportBuilderTests : IDisposable
{
    private readonly ClientTestKit _kit = new();

    public void Dispose() => _kit.Dispose();

    private static MetricDefinition Metric(string name) => ClientTestKit.V1.FindMetric(name)!;

    [Theory]
    [InlineData(0, null)]
    [InlineData(1, 1L)]
    [InlineData(4, 2L)]
    [InlineData(7, 5L)]
    [InlineData(100, 100L)]
    [InlineData(5000, 100L)]
    public void Counters_are_sent_as_the_lower_bound_of_their_bucket(long sum, long? sent) =>
        Assert.Equal(sent, ReportBuilder.BucketLowerBound(Metric("app.launches"), sum));

    [Theory]
    [InlineData(-3, 0)]
    [InlineData(0, 0)]
    [InlineData(1, 0)]
    [InlineData(3, 0)]
    [InlineData(4, 1)]
    [InlineData(120, 2)]
    [InlineData(long.MaxValue, 18)]
    public void Log10_quantities_are_sent_as_their_order_of_magnitude(long x, long sent) =>
        Assert.Equal(sent, ReportBuilder.Log10Magnitude(x));

    [Fact]
    public void Many_periods_are_split_into_batches_the_collector_accepts()
    {
        var registry = ClientTestKit.V1;
        var today = new DateOnly(2026, 11, 22);
        var observations = new List<Observation>();
        // 80 days of activity and 11 weeks of several metrics, all closed and within retention.
        for (int d = 1; d <= 80; d++)
            observations.Add(new(MetricRegistry.ActiveMetricName, PeriodKey.Day(today.AddDays(-d)).ToString(), "", 1));
        for (int w = 1; w <= 11; w++)
        {
            var week = PeriodKey.WeekOf(today.AddDays(-7 * w)).ToString();
            observations.Add(new("app.launches", week, "", 3));
            observations.Add(new("startup.ms", week, "100", 2));
            observations.Add(new("startup.ms", week, "2500", 1));
            observations.Add(new("system.os", week, "linux", 2));
            observations.Add(new("system.os", week, "macos", 5));
        }
        observations.Add(new("app.launches", PeriodKey.WeekOf(today).ToString(), "", 3)); // still open
        var built = new ReportBuilder(registry, _ => true, 90, (_, _) => new Random(1)).Build(observations, today);

        Assert.DoesNotContain(built.Consumed, o => o.Period == PeriodKey.WeekOf(today).ToString());
        var compiled = new CompiledRegistry(registry);
        int reports = 0;
        foreach (var (body, _) in built.Batches)
        {
            var result = ReportBatchReader.Read(body, v => v == 1 ? compiled : null, new BatchRules(today));
            Assert.Equal(BatchStatus.Valid, result.Status);
            reports += result.Reports.Count;
            Assert.Contains("\"value\":\"macos\"", Encoding.UTF8.GetString(body)); // the most frequent value
        }
        Assert.Equal(80 + 11 * 3, reports);
    }

    [Fact]
    public async Task Switching_a_category_off_rewrites_pending_batches_without_it()
    {
        await using var collector = await CollectorHost.StartAsync();
        int calls = 0;
        var tap = new WireTap { Intercept = _ => calls++ == 0 ? new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) : null };
        using var client = _kit.Create(collector.BaseAddress, tap);
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        _kit.Clock.Set(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));
        await client.UploadAsync();
        var before = Assert.Single(client.Pending());
        Assert.Contains("startup.ms", before.Json);

        client.DisableCategory("performance");
        var after = Assert.Single(client.Pending());
        Assert.DoesNotContain("startup.ms", after.Json);
        Assert.NotEqual(before.IdempotencyKey, after.IdempotencyKey); // a different body is a different batch

        _kit.Clock.Advance(TimeSpan.FromDays(1));
        await client.UploadAsync();
        Assert.Empty(client.Pending());
        Assert.DoesNotContain(await collector.Store.ReadRawAsync(TestRegistries.App), r => r.Metric == "startup.ms");
    }
    [Fact]
    public void More_reports_than_one_batch_may_carry_are_split_and_every_batch_is_accepted()
    {
        var metrics = string.Concat(Enumerable.Range(0, 20).Select(i => $"""
              daily.m{i}:
                type: counter
                category: usage
                period: day
                buckets: [1, 10, 100, 1000, 10000, 100000]
                description: Metric {i}.
                purpose: Test splitting.
                expires: never

            """));
        var registry = RegistryParser.Parse("app: org.example.test\nversion: 1\ncategories:\n  usage: { description: Usage }\nmetrics:\n" + metrics, "many.yaml");
        var today = new DateOnly(2026, 11, 22);
        var observations = new List<Observation>();
        for (int d = 1; d <= 80; d++)
            for (int i = 0; i < 20; i++)
                observations.Add(new($"daily.m{i}", PeriodKey.Day(today.AddDays(-d)).ToString(), "", 123_456 + d));

        var built = new ReportBuilder(registry, _ => true, 90, (_, _) => new Random(1)).Build(observations, today);

        Assert.True(built.Batches.Count >= 2);
        var compiled = new CompiledRegistry(registry);
        int total = 0;
        foreach (var (body, oldestEnd) in built.Batches)
        {
            Assert.InRange(body.Length, 1, ReportBuilder.MaxBatchBytes);
            var result = ReportBatchReader.Read(body, v => v == 1 ? compiled : null, new BatchRules(today));
            Assert.Equal(BatchStatus.Valid, result.Status);
            Assert.InRange(result.Reports.Count, 1, ReportBuilder.MaxReportsPerBatch);
            total += result.Reports.Count;
        }
        Assert.Equal(1600, total);
        Assert.Equal(1600, built.Consumed.Count);
    }
}
