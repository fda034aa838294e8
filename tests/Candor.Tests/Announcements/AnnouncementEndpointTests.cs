using System.Net;
using Candor.Announcements;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Announcements;

public sealed class AnnouncementEndpointTests : IAsyncLifetime
{
    private CollectorHost _host = null!;
    private string AnnouncementsDir => Path.Combine(_host.Directory, "announcements");

    public async Task InitializeAsync() =>
        _host = await CollectorHost.StartAsync(o => o.AnnouncementsDirectory = Path.Combine(Path.GetDirectoryName(o.Database)!, "announcements"));
    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task The_collector_serves_the_published_file_byte_for_byte()
    {
        using var key = AnnouncementKeys.Generate();
        var source = AnnouncementSource.Load(AnnouncementsDir, TestRegistries.App);
        source.News.Add(new NewsItem { Id = "sec-1", Title = "Update now", Severity = "security" });
        source.Publish(AnnouncementsDir, key, TestRegistries.Now);

        var response = await _host.Client.GetAsync($"/v1/apps/{TestRegistries.App}/announcements");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(File.ReadAllBytes(AnnouncementSource.PublishedPath(AnnouncementsDir, TestRegistries.App)), body);
        var trusted = new Dictionary<string, byte[]> { [AnnouncementKeys.KeyId(key)] = key.ExportSubjectPublicKeyInfo() };
        var doc = AnnouncementVerifier.Verify(body, TestRegistries.App, trusted, TestRegistries.Now, 0).Document;
        Assert.Equal("security", Assert.Single(doc.News).Severity);
    }

    [Fact]
    public async Task Nothing_published_is_a_404_problem()
    {
        var response = await _host.Client.GetAsync($"/v1/apps/{TestRegistries.App}/announcements");
        await Problem.AssertAsync(response, HttpStatusCode.NotFound, "no-announcements");
    }

    [Fact]
    public async Task An_unknown_app_is_a_404_problem_and_never_a_path()
    {
        await Problem.AssertAsync(await _host.Client.GetAsync("/v1/apps/org.example.nope/announcements"), HttpStatusCode.NotFound, "unknown-app");
        await Problem.AssertAsync(await _host.Client.GetAsync("/v1/apps/..%2F..%2Fetc/announcements"), HttpStatusCode.NotFound, "unknown-app");
    }
}
