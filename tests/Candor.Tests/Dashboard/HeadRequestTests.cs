using System.Net;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Dashboard;

/// <summary>HEAD is answered wherever GET is (HEAD / answered 405), with the GET's status and headers and no body.</summary>
public sealed class HeadRequestTests : IAsyncLifetime
{
    private CollectorHost _host = null!;

    public async Task InitializeAsync() => _host = await CollectorHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData("/")]
    [InlineData("/apps/" + TestRegistries.App)]
    [InlineData("/apps/" + TestRegistries.App + "/collected")]
    [InlineData("/v1/public/apps")]
    [InlineData("/v1/public/apps/" + TestRegistries.App + "/export.csv")]
    [InlineData("/v1/public/apps/" + TestRegistries.App + "/metrics/system.os")]
    [InlineData("/v1/apps/" + TestRegistries.App + "/registry")]
    [InlineData("/healthz")]
    [InlineData("/v1/public/apps/no.such.app/metrics")]
    public async Task Head_answers_like_get_without_a_body(string path)
    {
        using var get = await _host.Client.GetAsync(path);
        using var head = await _host.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));
        Assert.Equal(get.StatusCode, head.StatusCode);
        Assert.Equal(get.Content.Headers.ContentType?.ToString(), head.Content.Headers.ContentType?.ToString());
        Assert.Equal(get.Headers.CacheControl?.ToString(), head.Headers.CacheControl?.ToString());
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        Assert.NotEmpty(await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Head_on_a_path_that_serves_no_get_is_still_405_with_its_allow_header()
    {
        using var head = await _host.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v1/apps/{TestRegistries.App}/reports"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, head.StatusCode);
        Assert.Contains("POST", head.Content.Headers.Allow);
    }
}
