using System.Net;
using System.Text.Json;
using static Candor.Tests.AccountConsent.ConsentHost;

namespace Candor.Tests.AccountConsent;

/// <summary>
/// The browser handshake (Sec-GPC: 1, DNT: 1), one test per transition: anonymous, signed in with no
/// choice, signed in with an explicit choice, account created or signed in from a signalling browser.
/// </summary>
public sealed class BrowserHandshakeTests
{
    public static TheoryData<bool, bool> Signals => new() { { true, false }, { false, true }, { true, true } };

    [Theory]
    [MemberData(nameof(Signals))]
    public async Task An_anonymous_request_from_a_signalling_browser_is_treated_as_opted_out(bool gpc, bool dnt)
    {
        await using var host = await StartAsync(configure: o => o.CollectWhenNoChoice = true);
        var gate = await host.GateAsync(sub: null, gpc: gpc, dnt: dnt);
        Assert.True(gate.GetProperty("optedOut").GetBoolean());
        Assert.False(gate.GetProperty("mayCollect").GetBoolean());
        Assert.True(gate.GetProperty("browserSignalsOptOut").GetBoolean());
        Assert.Equal(JsonValueKind.Null, gate.GetProperty("userId").ValueKind);
    }

    [Fact]
    public async Task An_anonymous_request_without_a_signal_follows_the_no_choice_setting()
    {
        await using (var optOutModel = await StartAsync(configure: o => o.CollectWhenNoChoice = true))
        {
            var gate = await optOutModel.GateAsync(sub: null);
            Assert.False(gate.GetProperty("optedOut").GetBoolean());
            Assert.True(gate.GetProperty("mayCollect").GetBoolean());
        }
        await using var candorDefault = await StartAsync();
        Assert.False((await candorDefault.GateAsync(sub: null)).GetProperty("mayCollect").GetBoolean());
    }

    [Theory]
    [MemberData(nameof(Signals))]
    public async Task A_signed_in_user_with_no_choice_and_a_signal_is_stored_as_opted_out(bool gpc, bool dnt)
    {
        await using var host = await StartAsync(configure: o => o.CollectWhenNoChoice = true);
        var gate = await host.GateAsync("alice", gpc: gpc, dnt: dnt);
        Assert.True(gate.GetProperty("preference").GetBoolean());
        Assert.False(gate.GetProperty("mayCollect").GetBoolean());
        // Persisted: the same user without the signal, from another browser, is still opted out.
        Assert.True(await host.GetOwnAsync("alice"));
        Assert.False((await host.GateAsync("alice")).GetProperty("mayCollect").GetBoolean());
    }

    [Fact]
    public async Task Reading_the_own_preference_from_a_signalling_browser_applies_the_handshake()
    {
        await using var host = await StartAsync();
        Assert.True(await host.GetOwnAsync("alice", gpc: true));
        Assert.True(await host.GetOwnAsync("alice"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_explicit_choice_is_not_changed_by_a_signal(bool choice)
    {
        await using var host = await StartAsync(configure: o => o.CollectWhenNoChoice = true);
        await host.SetOwnAsync("alice", choice);
        var gate = await host.GateAsync("alice", gpc: true, dnt: true);
        Assert.Equal(choice, gate.GetProperty("preference").GetBoolean());
        Assert.Equal(!choice, gate.GetProperty("mayCollect").GetBoolean());
        Assert.Equal(choice, await host.GetOwnAsync("alice", gpc: true));
    }

    [Fact]
    public async Task A_choice_posted_from_a_signalling_browser_is_kept_as_posted()
    {
        await using var host = await StartAsync();
        Assert.False(await host.SetOwnAsync("alice", false, gpc: true, dnt: true));
        Assert.False(await host.GetOwnAsync("alice", gpc: true));
    }

    [Fact]
    public async Task A_signed_in_user_with_no_choice_and_no_signal_stays_without_a_choice()
    {
        await using var host = await StartAsync(configure: o => o.CollectWhenNoChoice = true);
        var gate = await host.GateAsync("alice");
        Assert.Equal(JsonValueKind.Null, gate.GetProperty("preference").ValueKind);
        Assert.True(gate.GetProperty("mayCollect").GetBoolean());
        Assert.Null(await host.GetOwnAsync("alice"));
    }

    [Theory]
    [InlineData("DNT", "0")]
    [InlineData("Sec-GPC", "0")]
    [InlineData("DNT", "yes")]
    public async Task Other_header_values_are_no_signal(string header, string value)
    {
        await using var host = await StartAsync();
        var request = Request(HttpMethod.Get, "/v1/metrics_optout", sub: "alice");
        request.Headers.Add(header, value);
        using var response = await host.SendAsync(request);
        Assert.Null(await ValueAsync(response));
    }

    [Fact]
    public async Task A_signal_the_service_chose_not_to_honour_is_ignored()
    {
        await using var host = await StartAsync(configure: o => o.HonorDoNotTrack = false);
        Assert.Null(await host.GetOwnAsync("alice", dnt: true));
        Assert.True(await host.GetOwnAsync("alice", gpc: true));
    }

    [Theory]
    [InlineData(null)]
    [InlineData(false)]
    public async Task Signing_in_or_creating_an_account_from_a_signalling_browser_sets_true(bool? before)
    {
        await using var host = await StartAsync();
        if (before is { } b) await host.SetOwnAsync("alice", b);
        using var response = await host.SendAsync(Request(HttpMethod.Post, "/probe/signin?user=alice", gpc: true));
        Assert.True(await ValueAsync(response));
        Assert.True(await host.GetOwnAsync("alice"));
    }

    [Fact]
    public async Task Signing_in_without_a_signal_changes_nothing()
    {
        await using var host = await StartAsync();
        await host.SetOwnAsync("alice", false);
        using var response = await host.SendAsync(Request(HttpMethod.Post, "/probe/signin?user=alice"));
        Assert.False(await ValueAsync(response));
        using var fresh = await host.SendAsync(Request(HttpMethod.Post, "/probe/signin?user=bob"));
        Assert.Null(await ValueAsync(fresh));
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
    }
}
