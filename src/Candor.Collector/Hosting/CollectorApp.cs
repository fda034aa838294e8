using Candor.Collector.Announcements;
using Candor.Collector.Api;
using Candor.Collector.Azafea;
using Candor.Collector.Dashboard;
using Candor.Collector.Ingest;
using Candor.Collector.PrivacyPass;
using Candor.Collector.Ohttp;
using Candor.Collector.Publishing;
using Candor.Collector.Registry;
using Candor.Collector.Retention;
using Candor.Collector.Storage;
using Candor.Collector.Transparency;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Candor.Collector.Hosting;

/// <summary>
/// Builds the collector web application: Kestrel, the privacy-preserving logging set-up, the store,
/// the registry catalog and every endpoint. <c>candor serve</c> and the integration tests both use
/// this, so tests exercise exactly what operators run.
/// </summary>
public static class CollectorApp
{
    /// <summary>
    /// Creates, migrates and loads everything; the returned app is ready to <c>RunAsync</c>/<c>StartAsync</c>.
    /// </summary>
    /// <param name="configureLogging">Extra logging providers (tests capture output this way); the privacy filters still apply.</param>
    public static async Task<WebApplication> BuildAsync(CollectorOptions options, string[]? args = null,
        TimeProvider? time = null, Action<ILoggingBuilder>? configureLogging = null, CancellationToken cancellationToken = default)
    {
        // Checked here as well as by ValidateOnStart: a bad setting must stop start-up before the
        // database is opened and migrated, not after.
        if (new CollectorOptionsValidator().Validate(null, options) is { Failed: true } invalid)
            throw new CollectorConfigurationException(invalid.Failures!.Count() == 1
                ? "invalid setting: " + invalid.Failures!.First()
                : "invalid settings:\n  " + string.Join("\n  ", invalid.Failures!));

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args ?? [] });
        builder.WebHost.UseUrls([.. options.Urls]);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            // The ingest endpoint enforces its own (smaller) limits with precise answers; this is a backstop.
            k.Limits.MaxRequestBodySize = Math.Max(Math.Max(options.MaxBodyBytes, options.MaxAzafeaBodyBytes), 1024 * 1024);
        });

        var startup = new StartupLogGate();
        ConfigurePrivateLogging(builder.Logging, options.LogFormat, startup);
        configureLogging?.Invoke(builder.Logging);

        IReportStore store;
        try
        {
            store = ReportStores.Open(options.Database);
            store.Journal.MaxRows = options.CellJournalRows;
            store.Journal.MaxAge = TimeSpan.FromMilliseconds(options.CellJournalMilliseconds);
        }
        catch (FormatException e)
        {
            throw new CollectorConfigurationException($"Invalid collector settings:\n  Database: {e.Message}");
        }
        try
        {
            RegistryCatalog catalog;
            try
            {
                await store.MigrateAsync(cancellationToken);
                catalog = await RegistryCatalog.LoadAsync(store, options.RegistryFiles, cancellationToken);
            }
            catch (Exception e) when (StoreStartupErrors.Explain(e, store) is { } explained)
            {
                throw explained;
            }

            builder.Services.AddSingleton(options);
            builder.Services.AddSingleton<IValidateOptions<CollectorOptions>, CollectorOptionsValidator>();
            builder.Services.AddOptions<CollectorOptions>().Configure(o => CollectorOptionsValidator.CopyTo(options, o)).ValidateOnStart();
            builder.Services.AddOperations(options);
            builder.Services.AddCollectorOpenApi();
            builder.Services.AddSingleton(time ?? TimeProvider.System);
            builder.Services.AddReportStore(store);
            builder.Services.AddSingleton(catalog);
            builder.Services.AddSingleton(LoadAzafeaMappings(options, catalog));
            builder.Services.AddSingleton<Publishing.ReleaseSignal>();
            builder.Services.AddSingleton<Publishing.Publisher>();
            builder.Services.AddSingleton<Publishing.ReleaseJob>();
            if (options.ReleaseEveryMinutes > 0)
                builder.Services.AddHostedService(sp => sp.GetRequiredService<Publishing.ReleaseJob>());
            builder.Services.AddSingleton<Dashboard.PageCache>();
            builder.Services.AddSingleton<IngestQueue>();
            builder.Services.AddSingleton<FetchCounter>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<IngestQueue>());
            builder.Services.AddHostedService<IdempotencyKeyJanitor>();
            builder.Services.AddSingleton<StorageRewriter>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<StorageRewriter>());
            builder.Services.AddSingleton<RetentionJanitor>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<RetentionJanitor>());
            builder.Services.AddProblemDetails();
            builder.Services.AddIngestRateLimit(options);
            builder.Services.AddSingleton(new PrivacyPass.ClientAddress(options.PrivacyPass));
            builder.Services.AddSingleton<PrivacyPass.TokenRedemption>();
            if (options.PrivacyPass.KeyDirectory is not null)
            {
                var tokenTime = time ?? TimeProvider.System;
                builder.Services.AddSingleton(options.PrivacyPass);
                builder.Services.AddSingleton(sp => new PrivacyPass.TokenKeyRing(options.PrivacyPass, tokenTime,
                    sp.GetRequiredService<ILogger<PrivacyPass.TokenKeyRing>>()));
                builder.Services.AddSingleton<PrivacyPass.IssuanceBudget>();
                builder.Services.AddHostedService<PrivacyPass.SpentTokenJanitor>();
            }
            if (options.Transparency.Enabled)
            {
                var origin = options.Transparency.OriginOrDefault();
                builder.Services.AddSingleton(new LogSigner(origin, LogKey.LoadOrCreate(options.LogKeyFile(), origin)));
                builder.Services.AddSingleton<EpochSealer>();
                builder.Services.AddHostedService(sp => sp.GetRequiredService<EpochSealer>());
            }
            builder.Services.AddSingleton<InProcessDispatcher>();
            if (options.OhttpKeysFile is { } keysFile)
            {
                OhttpKeyRing ring;
                try
                {
                    ring = OhttpKeyRing.Open(keysFile, TimeSpan.FromDays(options.OhttpKeyOverlapDays), time ?? TimeProvider.System);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or InvalidOperationException
                    or System.Text.Json.JsonException or System.Security.Cryptography.CryptographicException)
                {
                    throw new CollectorConfigurationException($"Invalid collector settings:\n  OhttpKeysFile: {keysFile}: {e.Message}");
                }
                builder.Services.AddSingleton(ring);
            }
            if (options.DapCollectorFiles.Count > 0)
            {
                IReadOnlyDictionary<string, Candor.Dap.DapCollectorCredentials> collectors;
                try
                {
                    collectors = Publishing.SplitTrustCounts.Load(options.DapCollectorFiles,
                        catalog.Apps.SelectMany(a => a.Latest.Registry.Metrics));
                }
                catch (FormatException e)
                {
                    throw new CollectorConfigurationException($"Invalid collector settings:\n  DapCollectorFiles: {e.Message}");
                }
                builder.Services.AddSingleton(collectors);
                builder.Services.AddSingleton<Publishing.SplitTrustCounts>();
            }
            if (options.DapTasksFile is { } dapFile)
            {
                Dap.DapTasks dapTasks;
                try
                {
                    dapTasks = Dap.DapTasks.Load(dapFile);
                }
                catch (FormatException e)
                {
                    throw new CollectorConfigurationException($"Invalid collector settings:\n  DapTasksFile: {dapFile}: {e.Message}");
                }
                builder.Services.AddSingleton(dapTasks);
                builder.Services.AddSingleton(Dap.DapStore.For(store));
                builder.Services.AddSingleton<Dap.DapLeader>();
                builder.Services.AddSingleton<Dap.DapHelper>();
                builder.Services.AddHostedService<Dap.DapAggregationJob>();
                builder.Services.AddHostedService<Dap.DapAnswerJanitor>();
            }
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }

        var app = builder.Build();
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            startup.Started = true;
            app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(CollectorApp).FullName!)
                .LogInformation("Settings in force: {Settings}", CollectorSettingsLog.Describe(options));
        });
        app.UseRequestMetrics(); // outermost, so that the answers of the handlers below are counted as sent
        // Requests opened by the Oblivious HTTP gateway re-enter the pipeline here, so routing is explicit and after it.
        app.Services.GetRequiredService<InProcessDispatcher>().Capture(app);
        app.UseHeadAsGet();
        app.UseRouting();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRateLimiter();

        var apps = app.MapGroup("/v1/apps/{app}").RequireKnownApp();
        apps.MapIngest();
        apps.MapAzafea();
        apps.MapRegistry();
        apps.MapPurges();
        apps.MapAnnouncements();
        app.MapPublic();
        app.MapTransparencyLog();
        app.MapDeletions();
        app.MapDashboard();
        if (options.PrivacyPass.KeyDirectory is not null)
        {
            // Read (and, for an issuer, create) the keys now: a bad key folder stops start-up, not the first request.
            app.Services.GetRequiredService<PrivacyPass.TokenKeyRing>();
            apps.MapTokenChallenge();
            if (options.PrivacyPass.Issuer)
                app.MapIssuer(options.PrivacyPass);
        }
        if (options.OhttpKeysFile is not null)
            app.MapGateway();
        if (options.DapTasksFile is not null)
            Dap.DapEndpoints.MapDap(app);
        app.MapOperations();
        app.MapCollectorOpenApi();
        return app;
    }

    /// <summary>
    /// Privacy invariant 5 at the edge: nothing that logs requests is installed, and the framework's
    /// categories that can mention connections (Kestrel, hosting diagnostics) are held at Warning or
    /// above even when configuration asks for more.
    /// </summary>
    public static void ConfigurePrivateLogging(ILoggingBuilder logging, LogFormat format = LogFormat.Text, StartupLogGate? startup = null)
    {
        logging.ClearProviders();
        if (format == LogFormat.Json)
        {
            logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = false; // scopes carry connection and request ids
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }
        else
        {
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.IncludeScopes = false; // scopes carry connection and request ids
                o.ColorBehavior = LoggerColorBehavior.Disabled;
                // In UTC with milliseconds, as the JSON format: an outage's lines must be placeable
                // against the metrics and the other collectors' logs without knowing the host's zone.
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            });
        }
        logging.SetMinimumLevel(LogLevel.Information);
        logging.Services.PostConfigure<LoggerFilterOptions>(o =>
        {
            foreach (var rule in o.Rules.Where(IsChattyFrameworkRule).ToList())
                o.Rules.Remove(rule);
            o.Rules.Add(new LoggerFilterRule(null, "Microsoft.AspNetCore", LogLevel.Warning, startup is null ? null : startup.Allows));
            o.Rules.Add(new LoggerFilterRule(null, "Microsoft.Extensions.Hosting", LogLevel.Information, startup is null ? null : startup.Allows));
            o.Rules.Add(new LoggerFilterRule(null, "Microsoft.Extensions.Http", LogLevel.Warning, null));
            // A failed readiness probe is an Error record per poll (every few seconds from each load
            // balancer) for as long as an outage lasts; the outage is logged once by the ingest queue.
            o.Rules.Add(new LoggerFilterRule(null, "Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.None, null));
        });
    }

    private static bool IsChattyFrameworkRule(LoggerFilterRule rule) =>
        rule.CategoryName is { } c
        && (c.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) || c.StartsWith("Microsoft.Extensions.Http", StringComparison.Ordinal))
        && rule.LogLevel is < LogLevel.Warning;

    /// <summary>The Azafea mapping files (docs/linux.md): a bad one stops start-up with its file:line:col.</summary>
    private static Azafea.AzafeaMappings LoadAzafeaMappings(CollectorOptions options, RegistryCatalog catalog)
    {
        try
        {
            var mappings = Azafea.AzafeaMappings.Load(options.AzafeaEventFiles, catalog);
            foreach (var app in catalog.Apps)
                if (mappings.Find(app.App) is not null && options.TokenModeFor(app.App) == PrivacyPass.TokenMode.Required)
                    throw new FormatException($"'{app.App}' requires Privacy Pass tokens, which eos-event-recorder-daemon cannot send: use Tokens=Separate or no Azafea mapping for it");
            return mappings;
        }
        catch (FormatException e)
        {
            throw new CollectorConfigurationException($"Invalid collector settings:\n  AzafeaEventFiles: {e.Message}");
        }
    }
}

public sealed class CollectorConfigurationException(string message) : Exception(message);
