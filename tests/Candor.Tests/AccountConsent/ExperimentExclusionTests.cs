using System.Text.Json;
using static Candor.Tests.AccountConsent.ConsentHost;

namespace Candor.Tests.AccountConsent;

/// <summary>Opted-out users never take part in experiments: excluded, or shown the control and not enrolled.</summary>
public sealed class ExperimentExclusionTests
{
    private static async Task<JsonElement> AssignAsync(ConsentHost host, string? sub, bool gpc = false, bool? canExclude = null)
    {
        var path = "/probe/experiment" + (canExclude is { } c ? $"?canExclude={c.ToString().ToLowerInvariant()}" : "");
        using var response = await host.SendAsync(Request(HttpMethod.Get, path, sub, gpc: gpc));
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    [Fact]
    public async Task An_opted_out_user_is_excluded()
    {
        await using var host = await StartAsync(configure: o => o.CollectWhenNoChoice = true);
        await host.SetOwnAsync("alice", true);
        var a = await AssignAsync(host, "alice");
        Assert.Equal(JsonValueKind.Null, a.GetProperty("variant").ValueKind);
        Assert.False(a.GetProperty("enrolled").GetBoolean());
    }

    [Fact]
    public async Task An_opted_out_user_gets_the_control_when_exclusion_is_impossible()
    {
        await using var host = await StartAsync(configure: o => o.CollectWhenNoChoice = true);
        await host.SetOwnAsync("alice", true);
        var a = await AssignAsync(host, "alice", canExclude: false);
        Assert.Equal("control", a.GetProperty("variant").GetString());
        Assert.False(a.GetProperty("enrolled").GetBoolean());
    }

    [Fact]
    public async Task A_signalling_browser_keeps_users_out_of_experiments()
    {
        await using var host = await StartAsync(configure: o => o.CollectWhenNoChoice = true);
        Assert.False((await AssignAsync(host, null, gpc: true)).GetProperty("enrolled").GetBoolean());
        Assert.False((await AssignAsync(host, "bob", gpc: true)).GetProperty("enrolled").GetBoolean());
        Assert.True(await host.GetOwnAsync("bob"));
    }

    [Fact]
    public async Task Users_who_allow_metrics_are_enrolled_in_a_stable_variant()
    {
        await using var host = await StartAsync();
        var variants = new HashSet<string>();
        for (int i = 0; i < 40; i++)
        {
            var user = "user" + i;
            await host.SetOwnAsync(user, false);
            var first = await AssignAsync(host, user);
            Assert.True(first.GetProperty("enrolled").GetBoolean());
            Assert.Equal(first.GetProperty("variant").GetString(), (await AssignAsync(host, user)).GetProperty("variant").GetString());
            variants.Add(first.GetProperty("variant").GetString()!);
        }
        Assert.Equal(["control", "treatment"], variants.Order());
    }

    [Fact]
    public async Task With_no_choice_under_candors_default_nobody_is_enrolled()
    {
        await using var host = await StartAsync();
        Assert.False((await AssignAsync(host, "carol")).GetProperty("enrolled").GetBoolean());
        Assert.False((await AssignAsync(host, null)).GetProperty("enrolled").GetBoolean());
    }
}
