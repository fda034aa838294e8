using Candor.Collector.PrivacyPass;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Candor.Collector.Hosting;

/// <summary>
/// The token issuer alone (<c>candor issuer</c>): the issuer directory and issuance endpoints, no
/// reports. Its one use of a database is the issuance budget (<see cref="IssuanceBudget"/>), so that it
/// survives restarts and is shared by every issuer process given the same database. Run it apart from the collectors when a different operator, or a different
/// machine, should be the one that sees client addresses; the collectors then read only the
/// <c>.pub</c> files of its key folder (PrivacyPass:KeyDirectory, Issuer false).
/// </summary>
public static class IssuerApp
{
    /// <param name="database">Where the issuance budgets are kept: a SQLite path or a PostgreSQL connection string
    /// (give every issuer process the same one); default <c>issuer.db</c> in the key folder.</param>
    public static WebApplication Build(PrivacyPassOptions options, IReadOnlyList<string> urls, TimeProvider? time = null,
        Action<ILoggingBuilder>? configureLogging = null, string? database = null)
    {
        options.Issuer = true;
        var problems = options.Validate().ToList();
        if (urls.Count == 0) problems.Add("Urls: give at least one address to listen on.");
        if (problems.Count > 0)
            throw new CollectorConfigurationException("Invalid issuer settings:\n  " + string.Join("\n  ", problems));

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls([.. urls]);
        builder.WebHost.ConfigureKestrel(k => { k.AddServerHeader = false; k.Limits.MaxRequestBodySize = 64 * 1024; });
        CollectorApp.ConfigurePrivateLogging(builder.Logging);
        configureLogging?.Invoke(builder.Logging);
        var clock = time ?? TimeProvider.System;
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(clock);
        builder.Services.AddSingleton(new ClientAddress(options));
        builder.Services.AddSingleton(sp => new TokenKeyRing(options, clock, sp.GetRequiredService<ILogger<TokenKeyRing>>()));
        var store = Storage.ReportStores.Open(database ?? Path.Combine(options.KeyDirectory!, "issuer.db"));
        store.MigrateAsync().GetAwaiter().GetResult(); // at start-up, before any request: a database that cannot be brought forward stops it
        Storage.StoreServices.AddReportStore(builder.Services, store);
        builder.Services.AddSingleton<IssuanceBudget>();
        builder.Services.AddProblemDetails();

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.Services.GetRequiredService<TokenKeyRing>(); // a bad key folder stops start-up
        app.MapIssuer(options);
        app.MapGet("/healthz", () => TypedResults.Text("ok\n"));
        return app;
    }
}
