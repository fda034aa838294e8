using System.Net;
using Candor.Protocol;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Client;

/// <summary>
/// "Where do I stand": an installation compares itself with everyone from the public figures, on the
/// device. The population is built here, reported to a real collector, and published by its Publisher;
/// the comparison's only request is the same public GET for every installation, and nothing is uploaded.
/// </summary>
public sealed class WhereIStandTests : IAsyncLifetime, IDisposable
{
    private readonly ClientTestKit _kit = new();
    private CollectorHost _host = null!;

    /// <summary>A week that is final today (published 14 days after it ends): four weeks ago.</summary>
    private static readonly DateOnly Today = DateOnly.FromDateTime(DateTime.UtcNow);
    private static readonly PeriodKey Published = PeriodKey.WeekOf(Today.AddDays(-28));

    public async Task InitializeAsync()
    {
        // The real date, so that the command-line tool (which has the real clock) sees the same "today".
        _kit.Clock.Set(DateTimeOffset.UtcNow);
        // Epsilon 10: noise of more than zero has a chance of about 1 in 10,000 per count, so the sentences are exact.
        _host = await CollectorHost.StartAsync(o => { o.PublishEpsilon = 10m; o.PublishRounding = 1; }, clockStart: DateTimeOffset.UtcNow);
        // 100 installations in the published week: launches 1 (30), 2-4 (30), 5-9 (20), 20-49 (20);
        // 60 on linux and 40 on windows; 25 used the spell checker.
        for (int i = 0; i < 100; i++)
        {
            int launches = i < 30 ? 1 : i < 60 ? 3 : i < 80 ? 7 : 25;
            var body = $$"""
                { "schema": 1, "period": "{{Published}}", "reports": [
                  { "metric": "app.launches", "value": {{(launches >= 20 ? 20 : launches >= 5 ? 5 : launches >= 2 ? 2 : 1)}} },
                  { "metric": "system.os", "value": "{{(i % 5 < 3 ? "linux" : "windows")}}" },
                  { "metric": "feature.spellcheck", "value": {{(i % 4 == 0 ? "true" : "false")}} } ] }
                """;
            Assert.Equal(HttpStatusCode.Accepted, (await _host.PostAsync(body)).StatusCode);
        }
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    public void Dispose() => _kit.Dispose();

    private string Where => $"in {Published}, the newest published week, among 100 installations";

    [Fact]
    public async Task An_installation_learns_where_it_stands_in_words_without_sending_anything()
    {
        var tap = new RequestLog();
        using var client = _kit.Create(_host.BaseAddress, tap);
        client.GrantConsent();
        for (int i = 0; i < 20; i++) client.Counter("app.launches").Increment();
        client.Enum("system.os").Set("linux");

        var launches = await client.CompareAsync("app.launches");
        Assert.Equal($"Times the application was started during the week: 20 for you this week; about 80 % of installations had fewer ({Where}).", launches.Sentence);
        Assert.Equal(0.8, launches.ShareBelow!.Value, 3);
        Assert.Equal("The operating system family: linux for you this week, as for about 60 % of installations (" + Where + ").",
            (await client.CompareAsync("system.os")).Sentence);
        Assert.Equal("The spell checker was used at least once during the week: not so far for you this week; it was for about 25 % of installations (" + Where + ").",
            (await client.CompareAsync("feature.spellcheck")).Sentence);

        // Nothing left the device but three public GETs, whose addresses do not depend on what it recorded.
        var from = PeriodKey.WeekOf(Today.AddDays(-56));
        var now = PeriodKey.WeekOf(Today);
        Assert.Equal(
            [$"GET /v1/public/apps/{TestRegistries.App}/metrics/app.launches?from={from}&to={now}",
             $"GET /v1/public/apps/{TestRegistries.App}/metrics/system.os?from={from}&to={now}",
             $"GET /v1/public/apps/{TestRegistries.App}/metrics/feature.spellcheck?from={from}&to={now}"], tap.Lines);
        Assert.Empty(client.Sent());
        Assert.Empty(client.Pending());
        // The week's recordings are still on the device, unsent, exactly as before the comparison.
        Assert.Contains(client.Show(), i => i.Metric == "app.launches" && i.Summary == "20 time(s)");
    }

    [Fact]
    public async Task Comparing_with_nothing_published_yet_or_no_collector_says_so()
    {
        using var client = _kit.Create(_host.BaseAddress);
        client.GrantConsent();
        client.Counter("app.launches").Increment();
        // The histogram has no single value per installation to compare.
        Assert.StartsWith("Start-up times in milliseconds during the week: a distribution", (await client.CompareAsync("startup.ms")).Sentence);
        // install.age_days has no published week yet.
        Assert.Equal("Days since installation, as an order of magnitude: nothing is published yet to compare with (periods are published once final, and only values enough installations report).",
            (await client.CompareAsync("install.age_days")).Sentence);
        await Assert.ThrowsAsync<ArgumentException>(() => client.CompareAsync("no.such.metric"));
        using var offline = _kit.Create();
        Assert.Contains("No collector is configured", (await Assert.ThrowsAsync<InvalidOperationException>(() => offline.CompareAsync("app.launches"))).Message);
    }

    [Fact]
    public async Task The_command_line_answers_in_one_sentence_and_in_one_line_when_it_cannot()
    {
        var registry = Path.Combine(TestRegistries.WriteFiles(_kit.DataDirectory + "-reg"), "test-v1.yaml");
        try
        {
            using (var app = _kit.Create())
            {
                app.GrantConsent();
                for (int i = 0; i < 20; i++) app.Counter("app.launches").Increment();
                app.Flush();
            }
            var (exit, stdout, stderr) = await CandorProcess.RunAsync(_kit.DataDirectory,
                "client", "compare", "app.launches", "--collector", _host.BaseAddress.ToString(), "--transport", "direct", "--data-dir", _kit.DataDirectory, "--registry", registry);
            Assert.True(exit == 0, stderr);
            Assert.Equal($"Times the application was started during the week: 20 for you this week; about 80 % of installations had fewer ({Where}).", stdout.Trim());

            (exit, _, stderr) = await CandorProcess.RunAsync(_kit.DataDirectory,
                "client", "compare", "app.launches", "--collector", "ftp://example.org", "--data-dir", _kit.DataDirectory, "--registry", registry);
            Assert.Equal(1, exit);
            Assert.Equal("candor client: --collector must be an http:// or https:// address, got 'ftp://example.org'.", stderr.Trim());

            (exit, _, stderr) = await CandorProcess.RunAsync(_kit.DataDirectory,
                "client", "compare", "no.such.metric", "--collector", _host.BaseAddress.ToString(), "--transport", "direct", "--data-dir", _kit.DataDirectory, "--registry", registry);
            Assert.Equal(1, exit);
            Assert.Equal("candor client: Unknown metric 'no.such.metric'; see 'status' or the registry for the metrics.", stderr.Trim());
        }
        finally
        {
            try { Directory.Delete(Path.GetDirectoryName(registry)!, true); } catch (IOException) { }
        }
    }

    /// <summary>Every request the client makes, as "METHOD path?query".</summary>
    private sealed class RequestLog() : DelegatingHandler(new SocketsHttpHandler())
    {
        public List<string> Lines { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            lock (Lines) Lines.Add($"{request.Method} {request.RequestUri!.PathAndQuery}");
            return base.SendAsync(request, cancellationToken);
        }
    }
}
