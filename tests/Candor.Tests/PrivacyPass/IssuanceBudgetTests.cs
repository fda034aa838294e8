using System.Net;
using Candor.Collector.PrivacyPass;
using Candor.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Candor.Tests.PrivacyPass;

/// <summary>
/// The issuance budget lives in the database: an address that spent its tokens gets none more by waiting
/// for a restart, or by asking another collector on the same PostgreSQL. Each attack is also run against
/// a budget that is not shared (a fresh database: what the in-memory budget was after every restart and
/// in every process), which hands the attacker a second budget: the positive control.
/// </summary>
public sealed class IssuanceBudgetTests
{
    private const int Budget = 3;

    /// <summary>Asks for tokens one by one, in turn from each issuer, more than every issuer's budget together; how many it gave.</summary>
    private static async Task<int> DrainAsync(params CollectorHost[] issuers)
    {
        int got = 0;
        for (int i = 0; i < issuers.Length * Budget + 2; i++)
        {
            var host = issuers[i % issuers.Length];
            var (challenge, key) = await TokenKit.ChallengeAsync(host.Client);
            var (token, response) = await TokenKit.TryFetchAsync(host.Client, challenge, key);
            if (token is not null)
                got++;
            else
                await Problem.AssertAsync(response, HttpStatusCode.TooManyRequests, "token-budget-exhausted");
        }
        return got;
    }

    [Fact]
    public async Task The_budget_an_address_spent_holds_across_a_collector_restart()
    {
        var keys = TokenKit.KeyFolderWithSharedKey();
        var directory = Path.Combine(Path.GetTempPath(), "candor-tests", Guid.NewGuid().ToString("n"));
        await using (var first = await TokenKit.StartAsync(budget: Budget, configure: o => o.PrivacyPass.KeyDirectory = keys, directory: directory))
            Assert.Equal(Budget, await DrainAsync(first));

        await using (var restarted = await TokenKit.StartAsync(budget: Budget, configure: o => o.PrivacyPass.KeyDirectory = keys, directory: directory))
        {
            Assert.Equal(0, await DrainAsync(restarted));
            // What is stored is a keyed tag, not the address: the loopback address appears in no row.
            await using var c = new SqliteConnection($"Data Source={restarted.DatabasePath};Pooling=False");
            await c.OpenAsync();
            await using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT client_tag, used FROM issuance_budgets;";
            await using var reader = await cmd.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            var tag = (byte[])reader.GetValue(0);
            Assert.Equal(16, tag.Length);
            Assert.False(tag.AsSpan().IndexOf(IPAddress.Loopback.GetAddressBytes()) >= 0);
            Assert.Equal(Budget, reader.GetInt32(1));
            Assert.False(await reader.ReadAsync());
        }

        // Positive control: the same restart with a budget that does not survive it (a fresh database) gives a second budget.
        await using (var forgetful = await TokenKit.StartAsync(budget: Budget, configure: o => o.PrivacyPass.KeyDirectory = keys))
            Assert.Equal(Budget, await DrainAsync(forgetful));
        try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task A_new_period_gives_a_new_budget_and_forgets_the_old_periods_rows()
    {
        await using var host = await TokenKit.StartAsync(budget: Budget);
        Assert.Equal(Budget, await DrainAsync(host));
        host.Clock.Advance(TimeSpan.FromHours(host.Options.PrivacyPass.IssuancePeriodHours));
        Assert.Equal(Budget, await DrainAsync(host));
        await using var c = new SqliteConnection($"Data Source={host.DatabasePath};Pooling=False");
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT count(*), count(DISTINCT period) FROM issuance_budgets;";
        await using var reader = await cmd.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(1, reader.GetInt64(0)); // the first period's row was deleted when the second began
        Assert.Equal(1, reader.GetInt64(1));
    }

    [PostgresFact]
    public async Task Two_collectors_on_one_postgresql_share_one_budget_per_address()
    {
        var keys = TokenKit.KeyFolderWithSharedKey();
        await using var database = await TestDatabase.CreateAsync();
        await using var a = await TokenKit.StartAsync(budget: Budget, configure: o => { o.Database = database.ConnectionString; o.PrivacyPass.KeyDirectory = keys; });
        await using var b = await TokenKit.StartAsync(budget: Budget, configure: o => { o.Database = database.ConnectionString; o.PrivacyPass.KeyDirectory = keys; });
        // Alternating between the two, and then concurrently: the address gets its budget once, not once per collector.
        Assert.Equal(Budget, await DrainAsync(a, b));
        var more = await Task.WhenAll(Enumerable.Range(0, 6).Select(async i =>
        {
            var host = i % 2 == 0 ? a : b;
            var (challenge, key) = await TokenKit.ChallengeAsync(host.Client);
            return (await TokenKit.TryFetchAsync(host.Client, challenge, key)).Token;
        }));
        Assert.All(more, Assert.Null);

        // Positive control: two collectors that do not share a database hand out a budget each.
        await using var other = await TestDatabase.CreateAsync();
        await using var c = await TokenKit.StartAsync(budget: Budget, configure: o => { o.Database = other.ConnectionString; o.PrivacyPass.KeyDirectory = keys; });
        Assert.Equal(Budget, await DrainAsync(c));
    }

    [PostgresFact]
    public async Task Concurrent_requests_for_the_last_tokens_on_two_collectors_never_overspend()
    {
        var keys = TokenKit.KeyFolderWithSharedKey();
        await using var database = await TestDatabase.CreateAsync();
        await using var a = await TokenKit.StartAsync(budget: Budget, configure: o => { o.Database = database.ConnectionString; o.PrivacyPass.KeyDirectory = keys; });
        await using var b = await TokenKit.StartAsync(budget: Budget, configure: o => { o.Database = database.ConnectionString; o.PrivacyPass.KeyDirectory = keys; });
        var (challenge, key) = await TokenKit.ChallengeAsync(a.Client);
        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => TokenKit.TryFetchAsync((i % 2 == 0 ? a : b).Client, challenge, key)));
        Assert.Equal(Budget, results.Count(r => r.Token is not null));
        Assert.Equal(16 - Budget, results.Count(r => r.Response.StatusCode == HttpStatusCode.TooManyRequests));
    }
}
