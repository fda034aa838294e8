using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Candor.Collector;
using Candor.Collector.Hosting;
using Candor.Collector.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Candor.Tests.Infrastructure;

/// <summary>
/// A real collector: Kestrel on 127.0.0.1 (a free port), a real SQLite file in a temporary folder,
/// the same <see cref="CollectorApp"/> that <c>candor serve</c> runs.
/// </summary>
public sealed class CollectorHost : IAsyncDisposable
{
    private CollectorHost(WebApplication app, string directory, CollectorOptions options, ManualClock clock, CapturingLoggerProvider logs)
    {
        App = app;
        Directory = directory;
        Options = options;
        Clock = clock;
        Logs = logs;
        BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        Client = new HttpClient { BaseAddress = BaseAddress };
        OperatorAddress = app.Services.GetRequiredService<OperatorListener>().Addresses[0];
        OperatorClient = new HttpClient { BaseAddress = OperatorAddress };
    }

    private bool _ownsDirectory;

    public WebApplication App { get; }
    public string Directory { get; }
    public CollectorOptions Options { get; }
    public ManualClock Clock { get; }
    public CapturingLoggerProvider Logs { get; }
    public Uri BaseAddress { get; }
    public HttpClient Client { get; }

    /// <summary>The operator listener (<c>/metrics</c>, <c>/readyz</c>): its own port, never the public one.</summary>
    public Uri OperatorAddress { get; }
    public HttpClient OperatorClient { get; }
    internal IReportStore Store => App.Services.GetRequiredService<IReportStore>();
    public string DatabasePath => Path.Combine(Directory, "candor.db");

    public static async Task<CollectorHost> StartAsync(Action<CollectorOptions>? configure = null, string? directory = null, string[]? args = null, DateTimeOffset? clockStart = null)
    {
        bool ownsDirectory = directory is null;
        directory ??= Path.Combine(Path.GetTempPath(), "candor-tests", Guid.NewGuid().ToString("n"));
        var registries = TestRegistries.WriteFiles(Path.Combine(directory, "registries"));
        var options = new CollectorOptions
        {
            Database = Path.Combine(directory, "candor.db"),
            Urls = ["http://127.0.0.1:0"],
            OperatorUrls = ["http://127.0.0.1:0"],
            RegistryFiles = [Path.Combine(registries, "test-v1.yaml"), Path.Combine(registries, "test-v2.yaml")],
            // Tests drive load from one address; the limiter's own tests turn it on.
            RateLimitPerAddressPerSecond = 0,
            // A busy test machine can take seconds for the release job's first run (the public horizon):
            // tests read complete releases; the "releasing" answer has its own tests.
            ReleaseWaitMilliseconds = 30_000,
        };
        configure?.Invoke(options);
        var clock = new ManualClock(clockStart ?? TestRegistries.Now);
        var logs = new CapturingLoggerProvider();
        var app = await CollectorApp.BuildAsync(options, args, time: clock, configureLogging: l => l.AddProvider(logs));
        await app.StartAsync();
        // The start-up purge writes its purge-log entry (one per pass, rows or not): tests that compare the
        // database before and after an action must not see it land in between.
        if (app.Services.GetService<Candor.Collector.Retention.RetentionJanitor>() is { } janitor)
            await janitor.StartupPurge.WaitAsync(TimeSpan.FromSeconds(60));
        return new CollectorHost(app, directory, options, clock, logs) { _ownsDirectory = ownsDirectory };
    }

    public Task<HttpResponseMessage> PostAsync(string json, string app = TestRegistries.App, string? idempotencyKey = null, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/apps/{app}/reports")
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes(json)),
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (idempotencyKey is not null)
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        return Client.SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        OperatorClient.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        // The store clears its own connection pool when it is disposed. ClearAllPools here raced with other
        // tests opening connections in parallel (ObjectDisposedException from a pool it had just disposed).
        // A directory the test passed in may be reused by a later host; only a private one is removed.
        if (_ownsDirectory)
            try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
