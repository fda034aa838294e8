using Candor.Client;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

public static class CandorServiceCollectionExtensions
{
    /// <summary>Registers one <see cref="CandorClient"/> for the app, created on first use and disposed (flushed) with the container.</summary>
    public static IServiceCollection AddCandor(this IServiceCollection services, Action<CandorClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.TryAddSingleton(_ =>
        {
            var options = new CandorClientOptions();
            configure(options);
            return CandorClient.Create(options);
        });
        return services;
    }
}
