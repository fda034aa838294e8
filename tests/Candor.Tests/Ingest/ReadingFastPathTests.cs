using System.Globalization;
using System.Text;
using Candor.Protocol;
using Candor.Registry;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Ingest;

/// <summary>
/// The reader checks the usual period and histogram key on the bytes as sent and falls back to the text
/// for escaped strings. Both paths must accept and refuse exactly the same inputs, with the same answers.
/// </summary>
public sealed class ReadingFastPathTests
{
    private static readonly DateOnly Today = DateOnly.FromDateTime(TestRegistries.Now.UtcDateTime);
    private static readonly CompiledRegistry Compiled = new(RegistryParser.Parse(TestRegistries.V1, "v1.yaml"));

    private static BatchReadResult Read(string json) =>
        ReportBatchReader.Read(Encoding.UTF8.GetBytes(json), v => v == 1 ? Compiled : null, new BatchRules(Today));

    /// <summary>Every character of a period as a JSON \u escape: the reader must take the text path.</summary>
    private static string Escaped(string s) => string.Concat(s.Select(c => $"\\u{(int)c:x4}"));

    public static TheoryData<string> Periods()
    {
        var data = new List<string>
        {
            "2026-11-22", "2026-02-29", "2024-02-29", "2023-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "2026-04-30",
            "0000-01-01", "0001-01-01", "9999-12-31", "2026-1-122", "2026-11-2x", "+026-11-22", " 026-11-22", "2026/11/22",
            "2026-W47", "2026-W00", "2026-W53", "2020-W53", "0000-W01", "0001-W01", "9998-W52", "9999-W01", "2026-W4x",
            "2026-w47", "2026-W+7", "2026-W 7", "2026-11-22T00:00", "2026-W47-1", "", "2026", "٢٠٢٦-11-22", "２０２６-W47",
        };
        // Every day of two years, and every week number 0-54 of a few years: the whole calendar logic.
        for (var d = new DateOnly(2023, 12, 25); d < new DateOnly(2025, 1, 8); d = d.AddDays(1))
            data.Add(d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        foreach (int year in new[] { 1, 2015, 2020, 2026, 9998 })
            for (int w = 0; w <= 54; w++)
                data.Add($"{year:D4}-W{w:D2}");
        // Each once: a spelling listed above and generated again would be a duplicate case, which xUnit skips with a warning.
        return [.. data.Distinct(StringComparer.Ordinal)];
    }

    [Theory]
    [MemberData(nameof(Periods))]
    public void The_byte_period_parser_accepts_exactly_what_the_text_parser_accepts(string text)
    {
        bool byText = PeriodKey.TryParse(text, out var expected);
        bool byBytes = PeriodKey.TryParseUtf8(Encoding.UTF8.GetBytes(text), out var actual);
        Assert.Equal(byText, byBytes);
        if (byText)
            Assert.Equal(expected!.Value, actual);
    }

    [Theory]
    [InlineData("2026-W47")]
    [InlineData("2026-W46")]
    [InlineData("2026-W48")]
    [InlineData("2026-W4")]
    [InlineData("2025-W40")]
    public void An_escaped_period_is_judged_like_the_same_period_sent_plainly(string period)
    {
        string Body(string p) => $$"""{"schema":1,"period":"{{p}}","reports":[{"metric":"app.launches","value":10}]}""";
        // One character escaped: the raw string stays within the 16 bytes a period may take on the wire.
        AssertSameJudgement(Read(Body(period)), Read(Body(period[..4] + Escaped(period[4..5]) + period[5..])));
    }

    [Theory]
    [InlineData("100")]
    [InlineData("0100")]
    [InlineData("2500")]
    [InlineData("7")]
    [InlineData("-100")]
    [InlineData("99999999999999999999999")]
    public void An_escaped_histogram_bucket_is_judged_like_the_same_bucket_sent_plainly(string bucket)
    {
        string Body(string b) => $$$"""{"schema":1,"period":"2026-W47","reports":[{"metric":"startup.ms","value":{"{{{b}}}":3,"250":1}}]}""";
        AssertSameJudgement(Read(Body(bucket)), Read(Body(Escaped(bucket))));
    }

    [Fact]
    public void A_histogram_stores_the_registry_spelling_of_its_buckets_in_order()
    {
        var result = Read("""{"schema":1,"period":"2026-W47","reports":[{"metric":"startup.ms","value":{"2500":2,"100":3}}]}""");
        Assert.Equal(BatchStatus.Valid, result.Status);
        var report = Assert.Single(result.Reports);
        Assert.Equal("""{"100":3,"2500":2}""", report.Value);
        Assert.Equal(["100", "2500"], report.Histogram!.Select(h => h.Bucket));
    }

    [Fact]
    public void A_refused_bucket_is_echoed_as_sent()
    {
        var result = Read("""{"schema":1,"period":"2026-W47","reports":[{"metric":"startup.ms","value":{"0100":3,"100":1,"100":2}}]}""");
        Assert.Equal(BatchStatus.Invalid, result.Status);
        Assert.Contains(result.Problems, p => p.Reason.StartsWith("'0100' is not a bucket of startup.ms", StringComparison.Ordinal));
        Assert.Contains(result.Problems, p => p.Reason == "Bucket 100 appears more than once.");
    }

    private static void AssertSameJudgement(BatchReadResult plain, BatchReadResult escaped)
    {
        Assert.Equal(plain.Status, escaped.Status);
        Assert.Equal(plain.Problems.Select(p => (p.Index, p.Metric, p.Field, p.Reason)), escaped.Problems.Select(p => (p.Index, p.Metric, p.Field, p.Reason)));
        Assert.Equal(plain.Reports.Select(r => (r.Metric, r.Period, r.Value)), escaped.Reports.Select(r => (r.Metric, r.Period, r.Value)));
    }
}
