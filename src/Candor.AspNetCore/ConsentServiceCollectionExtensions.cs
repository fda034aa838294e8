using Candor.AspNetCore.Consent;
using Candor.AspNetCore.Experiments;
using Candor.AspNetCore.Storage;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Candor.AspNetCore;

/// <summary>Adds the account-level metrics opt-out to an ASP.NET Core app.</summary>
public static class ConsentServiceCollectionExtensions
{
    /// <summary>
    /// The preference store (created or migrated at start-up), <see cref="ConsentPreferences"/>,
    /// <see cref="IMetricsGate"/>, <see cref="ConsentExperiments"/> and the read-others scope policy.
    /// Authentication is the application's: add a scheme that yields <c>sub</c> and <c>scope</c> claims.
    /// </summary>
    public static IServiceCollection AddCandorConsent(this IServiceCollection services, Action<CandorConsentOptions>? configure = null)
    {
        var builder = services.AddOptions<CandorConsentOptions>();
        if (configure is not null)
            builder.Configure(configure);
        builder.Validate(o => { o.Validate(); return true; }).ValidateOnStart();
        services.AddMetrics();
        services.TryAddSingleton<IConsentPreferenceStore>(sp => ConsentPreferenceStores.Open(sp.GetRequiredService<IOptions<CandorConsentOptions>>().Value.Database));
        services.TryAddSingleton<ConsentPreferences>();
        services.TryAddScoped<IMetricsGate, MetricsGate>();
        services.TryAddScoped<ConsentExperiments>();
        services.TryAddSingleton<Api.ChoiceTotals>();
        services.AddHostedService<ConsentStoreMigration>();
        services.AddAuthorization();
        services.AddOptions<AuthorizationOptions>().Configure<IOptions<CandorConsentOptions>>((auth, consent) =>
            auth.AddPolicy(ConsentScopes.ReadOthersPolicy, p => p.RequireAuthenticatedUser()
                .RequireAssertion(ctx => ConsentUser.HasScope(ctx.User, consent.Value.ReadOthersScope))));
        return services;
    }

    /// <summary>Creates the table before the service takes requests, so a bad database fails start-up, not a user's request.</summary>
    private sealed class ConsentStoreMigration(IConsentPreferenceStore store) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => store.MigrateAsync(cancellationToken);
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
