using Candor.Client;
using Candor.Client.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the Candor client to an app that uses the .NET generic host (ASP.NET Core, worker services).</summary>
public static class CandorServiceCollectionExtensions
{
    /// <summary>
    /// Registers one <see cref="CandorClient"/> for the app, its options bound from <paramref name="configuration"/>
    /// (for example <c>builder.Configuration.GetSection("Candor")</c>) and then adjusted by <paramref name="configure"/>,
    /// validated when the host starts (<c>ValidateOnStart</c>). Its timers run as an <see cref="IHostedService"/>:
    /// they start with the host and stop, cancelling a request in flight, when it stops. It logs through
    /// the container's <see cref="ILogger{CandorClient}"/>.
    /// </summary>
    public static IServiceCollection AddCandor(this IServiceCollection services, IConfiguration configuration, Action<CandorClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return AddCore(services, configuration, configure);
    }

    /// <summary>As <see cref="AddCandor(IServiceCollection, IConfiguration, Action{CandorClientOptions}?)"/>, with the options set in code only.</summary>
    public static IServiceCollection AddCandor(this IServiceCollection services, Action<CandorClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return AddCore(services, null, configure);
    }

    private static IServiceCollection AddCore(IServiceCollection services, IConfiguration? configuration, Action<CandorClientOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<CandorClientOptions>();
        if (configuration is not null)
            options.Bind(configuration);
        if (configure is not null)
            options.Configure(configure);
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CandorClientOptions>, CandorClientOptionsValidator>());
        services.TryAddSingleton(sp => CandorClient.CreateStopped(
            sp.GetRequiredService<IOptions<CandorClientOptions>>().Value,
            sp.GetService<ILoggerFactory>()?.CreateLogger<CandorClient>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, CandorBackgroundService>());
        return services;
    }
}
