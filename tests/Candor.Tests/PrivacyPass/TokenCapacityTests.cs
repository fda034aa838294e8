using System.Net;
using Candor.Collector.PrivacyPass;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.PrivacyPass;

/// <summary>
/// One token is worth one installation-week: a hostile submitter who got a token cannot make it carry
/// reports of several weeks (what an honest client never sends; repeated reports the batch reader refuses already), so the issuance
/// budget bounds reports, not only batches.
/// </summary>
public sealed class TokenCapacityTests
{
    private static string Batch(params string[] reports) => $$"""{ "schema": 1, "period": "2026-W47", "reports": [ {{string.Join(", ", reports)}} ] }""";

    private const string Os = """{ "metric": "system.os", "value": "linux" }""";
    private static string Active(string day) => $$"""{ "metric": "candor.active", "period": "{{day}}", "value": true }""";

    /// <summary>This week's report and the daily flag for 15 days back (three weeks).</summary>
    private static string Padded => Batch([Os, .. Enumerable.Range(0, 15).Select(d => Active(new DateOnly(2026, 11, 21).AddDays(-d).ToString("yyyy-MM-dd")))]);

    [Fact]
    public async Task A_token_carries_one_installation_week_and_a_batch_padded_with_other_weeks_is_refused_without_spending_it()
    {
        await using var host = await TokenKit.StartAsync();
        var token = await TokenKit.FetchAsync(host.Client);

        // Days of earlier weeks beside this week's (one token counting as an installation in each of those weeks).
        var padded = await TokenKit.PostAsync(host.Client, token, Padded);
        var problem = await Problem.AssertAsync(padded, HttpStatusCode.BadRequest, "too-much-for-one-token");
        Assert.Contains("one week", problem.GetProperty("detail").GetString());
        Assert.Empty(await host.Store.ReadRawAsync(TestRegistries.App));

        // The token was not spent: an honest week (the full batch, with its day) is accepted with it.
        Assert.Equal(HttpStatusCode.Accepted, (await TokenKit.PostAsync(host.Client, token)).StatusCode);
        Assert.Equal(1, await host.Store.CountSpentTokensAsync());
    }

    [Fact]
    public async Task Without_tokens_the_same_padded_batch_is_accepted_so_the_rule_is_the_tokens()
    {
        // Positive control: the capacity rule is what refuses the padded batch, not the batch reader.
        await using var host = await TokenKit.StartAsync(mode: TokenMode.Off);
        var response = await TokenKit.PostAsync(host.Client, authorization: null, Padded);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(15, (await host.Store.ReadRawAsync(TestRegistries.App)).Where(r => r.Metric == "candor.active").Sum(r => r.Reports));
    }
}
