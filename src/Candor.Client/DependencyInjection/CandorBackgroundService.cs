using Microsoft.Extensions.Hosting;

namespace Candor.Client.DependencyInjection;

/// <summary>
/// Runs the client's schedule for the lifetime of the host: the timers start in <see cref="StartAsync"/>
/// (never in a constructor, so building the container sends nothing), and <see cref="StopAsync"/>
/// cancels an upload in flight and waits for it only a bounded time.
/// </summary>
internal sealed class CandorBackgroundService(CandorClient client, Microsoft.Extensions.Options.IOptions<CandorClientOptions> options) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.BackgroundWork)
            client.StartBackgroundWork();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => client.StopAsync();
}
