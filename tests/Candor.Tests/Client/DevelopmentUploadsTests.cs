using System.Text.Json;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Client;

/// <summary>
/// <c>DevelopmentUploads</c>: a developer sees a first report on a local <c>candor serve</c> at once,
/// and the switch can never send unfinished periods to a collector on another machine.
/// </summary>
public sealed class DevelopmentUploadsTests : IDisposable
{
    private readonly ClientTestKit _kit = new();

    public void Dispose() => _kit.Dispose();

    [Fact]
    public async Task Development_uploads_send_the_running_week_at_once_to_a_collector_on_this_machine()
    {
        await using var collector = await CollectorHost.StartAsync();
        var tap = new WireTap();
        var options = _kit.Options(collector.BaseAddress, tap);
        options.DevelopmentUploads = true;
        options.FirstUploadDelayMin = options.FirstUploadDelayMax = TimeSpan.FromDays(10); // ignored in this mode
        using var client = Candor.Client.CandorClient.Create(options);
        client.GrantConsent();
        ClientTestKit.RecordSomething(client); // Wednesday: the week is far from over

        var preview = client.Preview();
        var cycle = await client.UploadAsync();

        Assert.Equal("sent", cycle.Status);
        Assert.Single(tap.Requests);
        Assert.Equal(preview, System.Text.Encoding.UTF8.GetString(tap.Requests[0].Body));
        using var sent = JsonDocument.Parse(tap.Requests[0].Body);
        var metrics = sent.RootElement.GetProperty("reports").EnumerateArray().Select(r => r.GetProperty("metric").GetString()).ToList();
        Assert.Contains("app.launches", metrics);
        Assert.Contains("candor.active", metrics);
        Assert.NotEmpty(await collector.Store.ReadRawAsync(TestRegistries.App));
    }

    [Fact]
    public async Task Without_development_uploads_the_running_week_stays_on_the_device()
    {
        await using var collector = await CollectorHost.StartAsync();
        var tap = new WireTap();
        using var client = _kit.Create(collector.BaseAddress, tap);
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);

        var cycle = await client.UploadAsync();

        Assert.Equal(0, cycle.Sent);
        Assert.Empty(tap.Requests);
        Assert.Null(client.Preview());
    }

    [Theory]
    [InlineData("https://metrics.example.org/")]
    [InlineData("http://192.168.1.20:5080/")]
    [InlineData("http://localhost.example.org/")]
    public void Development_uploads_are_refused_for_a_collector_on_another_machine(string url)
    {
        var options = _kit.Options(new Uri(url));
        options.DevelopmentUploads = true;

        var e = Assert.Throws<ArgumentException>(() => Candor.Client.CandorClient.Create(options));

        Assert.Contains("only for a collector on this machine", e.Message);
        Assert.False(File.Exists(Path.Combine(_kit.DataDirectory, "candor-client.db")), "nothing is created for refused options");
    }

    [Fact]
    public async Task Development_uploads_still_need_the_users_yes()
    {
        await using var collector = await CollectorHost.StartAsync();
        var tap = new WireTap();
        var options = _kit.Options(collector.BaseAddress, tap);
        options.DevelopmentUploads = true;
        using var client = Candor.Client.CandorClient.Create(options);
        ClientTestKit.RecordSomething(client); // consent unset: nothing is recorded

        var cycle = await client.UploadAsync();

        Assert.Equal("consent not granted", cycle.Status);
        Assert.Empty(tap.Requests);
    }
}
