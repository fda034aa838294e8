using Microsoft.Extensions.DependencyInjection;

namespace Candor.Collector.Storage;

/// <summary>
/// Registers one opened store as every storage contract: the features ask for the small contract they use
/// (<see cref="IIngestStore"/>, <see cref="ILogStore"/>, ...), and one engine instance, one pool and (on
/// SQLite) one writer serve them all.
/// </summary>
internal static class StoreServices
{
    public static IServiceCollection AddReportStore(this IServiceCollection services, IReportStore store)
    {
        services.AddSingleton<IReportStore>(_ => store); // a factory registration, so the container disposes it
        services.AddSingleton<IIngestStore>(sp => sp.GetRequiredService<IReportStore>());
        services.AddSingleton<IIdempotencyKeyStore>(sp => sp.GetRequiredService<IReportStore>());
        services.AddSingleton<IRegistryStore>(sp => sp.GetRequiredService<IReportStore>());
        services.AddSingleton<IReleaseStore>(sp => sp.GetRequiredService<IReportStore>());
        services.AddSingleton<IRetentionStore>(sp => sp.GetRequiredService<IReportStore>());
        services.AddSingleton<ITokenStore>(sp => sp.GetRequiredService<IReportStore>());
        services.AddSingleton<ILogStore>(sp => sp.GetRequiredService<IReportStore>());
        services.AddSingleton<IDeletionStore>(sp => sp.GetRequiredService<IReportStore>());
        services.AddSingleton<IKeyOrderRewrite>(sp => sp.GetRequiredService<IReportStore>());
        return services;
    }
}
