using System.Net;
using Candor.Tests.Infrastructure;
using static Candor.Tests.AccountConsent.ConsentHost;

namespace Candor.Tests.AccountConsent;

/// <summary>GET/POST /v1/metrics_optout: own preference, scopes, 401/403/400/415, persistence.</summary>
public sealed class MetricsOptoutApiTests
{
    [Fact]
    public async Task A_new_user_has_no_choice_and_can_set_each_value()
    {
        await using var host = await StartAsync();
        Assert.Null(await host.GetOwnAsync("alice"));
        Assert.True(await host.SetOwnAsync("alice", true));
        Assert.True(await host.GetOwnAsync("alice"));
        Assert.False(await host.SetOwnAsync("alice", false));
        Assert.False(await host.GetOwnAsync("alice"));
        Assert.Null(await host.SetOwnAsync("alice", null));
        Assert.Null(await host.GetOwnAsync("alice"));
    }

    [Fact]
    public async Task Each_user_has_their_own_preference()
    {
        await using var host = await StartAsync();
        await host.SetOwnAsync("alice", true);
        await host.SetOwnAsync("bob", false);
        Assert.True(await host.GetOwnAsync("alice"));
        Assert.False(await host.GetOwnAsync("bob"));
        Assert.Null(await host.GetOwnAsync("carol"));
    }

    [Fact]
    public async Task The_user_id_may_come_from_the_name_identifier_claim()
    {
        await using var host = await StartAsync();
        var request = Request(HttpMethod.Post, "/v1/metrics_optout", body: """{"metrics_optout":true}""");
        request.Headers.Authorization = new("Bearer", $"{System.Security.Claims.ClaimTypes.NameIdentifier}=dave");
        using var post = await host.SendAsync(request);
        Assert.True(await ValueAsync(post));
        Assert.True(await host.GetOwnAsync("dave"));
    }

    [Fact]
    public async Task The_preference_survives_a_restart()
    {
        var directory = Path.Combine(Path.GetTempPath(), "candor-tests", Guid.NewGuid().ToString("n"));
        await using (var host = await StartAsync(directory: directory))
            await host.SetOwnAsync("alice", true);
        await using (var again = await StartAsync(directory: directory))
            Assert.True(await again.GetOwnAsync("alice"));
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task Without_credentials_both_methods_answer_401()
    {
        await using var host = await StartAsync();
        using var get = await host.SendAsync(Request(HttpMethod.Get, "/v1/metrics_optout"));
        Assert.Equal(HttpStatusCode.Unauthorized, get.StatusCode);
        Assert.Equal("Bearer", get.Headers.WwwAuthenticate.ToString());
        using var post = await host.SendAsync(Request(HttpMethod.Post, "/v1/metrics_optout", body: """{"metrics_optout":true}"""));
        Assert.Equal(HttpStatusCode.Unauthorized, post.StatusCode);
    }

    [Fact]
    public async Task Credentials_without_a_user_id_are_refused_with_403()
    {
        await using var host = await StartAsync();
        using var response = await host.SendAsync(Request(HttpMethod.Get, "/v1/metrics_optout", scope: "profile"));
        await Problem.AssertAsync(response, HttpStatusCode.Forbidden, "no-user-id");
    }

    [Fact]
    public async Task Reading_another_users_preference_needs_the_scope()
    {
        await using var host = await StartAsync();
        await host.SetOwnAsync("alice", true);

        using var denied = await host.SendAsync(Request(HttpMethod.Get, "/v1/metrics_optout?user=alice", sub: "mallory"));
        var problem = await Problem.AssertAsync(denied, HttpStatusCode.Forbidden, "insufficient-scope");
        Assert.Contains("profile:metrics_optout", problem.GetProperty("detail").GetString());

        using var otherScope = await host.SendAsync(Request(HttpMethod.Get, "/v1/metrics_optout?user=alice", sub: "svc", scope: "profile:email profile"));
        await Problem.AssertAsync(otherScope, HttpStatusCode.Forbidden, "insufficient-scope");

        using var allowed = await host.SendAsync(Request(HttpMethod.Get, "/v1/metrics_optout?user=alice", sub: "svc", scope: "profile:email profile:metrics_optout"));
        Assert.True(await ValueAsync(allowed));
        using var unknown = await host.SendAsync(Request(HttpMethod.Get, "/v1/metrics_optout?user=nobody", sub: "svc", scope: "profile:metrics_optout"));
        Assert.Null(await ValueAsync(unknown));
    }

    [Fact]
    public async Task A_user_may_name_themselves_without_the_scope()
    {
        await using var host = await StartAsync();
        await host.SetOwnAsync("alice", false);
        using var response = await host.SendAsync(Request(HttpMethod.Get, "/v1/metrics_optout?user=alice", sub: "alice"));
        Assert.False(await ValueAsync(response));
    }

    [Fact]
    public async Task An_empty_user_parameter_is_a_400()
    {
        await using var host = await StartAsync();
        using var response = await host.SendAsync(Request(HttpMethod.Get, "/v1/metrics_optout?user=%20", sub: "svc", scope: "profile:metrics_optout"));
        await Problem.AssertAsync(response, HttpStatusCode.BadRequest, "invalid-user");
    }

    [Fact]
    public async Task Post_changes_only_the_callers_own_preference()
    {
        await using var host = await StartAsync();
        using var response = await host.SendAsync(Request(HttpMethod.Post, "/v1/metrics_optout?user=alice", sub: "svc", scope: "profile:metrics_optout", body: """{"metrics_optout":false}"""));
        await Problem.AssertAsync(response, HttpStatusCode.BadRequest, "invalid-user");
        Assert.Null(await host.GetOwnAsync("alice"));
    }

    [Theory]
    [InlineData("", "not JSON")]
    [InlineData("{", "not JSON")]
    [InlineData("true", "JSON object")]
    [InlineData("[]", "JSON object")]
    [InlineData("{}", "missing")]
    [InlineData("""{"metrics_optout":"true"}""", "string")]
    [InlineData("""{"metrics_optout":1}""", "number")]
    [InlineData("""{"metrics_optout":{}}""", "object")]
    [InlineData("""{"metrics_optout":true,"extra":1}""", "Unknown member 'extra'")]
    [InlineData("""{"metricsOptout":true}""", "Unknown member 'metricsOptout'")]
    [InlineData("""{"metrics_optout":true,"metrics_optout":false}""", "more than once")]
    public async Task Any_other_body_is_a_400_naming_the_problem(string body, string reason)
    {
        await using var host = await StartAsync();
        await host.SetOwnAsync("alice", false);
        using var response = await host.SendAsync(Request(HttpMethod.Post, "/v1/metrics_optout", sub: "alice", body: body));
        var problem = await Problem.AssertAsync(response, HttpStatusCode.BadRequest, "invalid-metrics-optout");
        Assert.Contains(reason, problem.GetProperty("detail").GetString());
        Assert.False(await host.GetOwnAsync("alice"));
    }

    [Fact]
    public async Task A_body_larger_than_a_kilobyte_is_a_400()
    {
        await using var host = await StartAsync();
        var body = """{"metrics_optout":true""" + new string(' ', 2000) + "}";
        using var response = await host.SendAsync(Request(HttpMethod.Post, "/v1/metrics_optout", sub: "alice", body: body));
        var problem = await Problem.AssertAsync(response, HttpStatusCode.BadRequest, "invalid-metrics-optout");
        Assert.Contains("larger than", problem.GetProperty("detail").GetString());
        Assert.Null(await host.GetOwnAsync("alice"));
    }

    [Fact]
    public async Task A_body_that_is_not_json_by_type_is_a_415()
    {
        await using var host = await StartAsync();
        using var response = await host.SendAsync(Request(HttpMethod.Post, "/v1/metrics_optout", sub: "alice", body: "metrics_optout=true", contentType: "application/x-www-form-urlencoded"));
        await Problem.AssertAsync(response, HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
    }
}
