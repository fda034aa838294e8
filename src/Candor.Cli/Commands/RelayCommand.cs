using System.CommandLine;
using Candor.Cli.Relay;
using Candor.Collector.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Candor.Cli.Commands;

/// <summary><c>candor relay</c>: an Oblivious HTTP relay in front of one gateway (docs/ohttp.md).</summary>
public static class RelayCommand
{
    public static Command Create()
    {
        var gateway = new Option<string?>("--gateway") { Description = "The gateway URL, e.g. https://metrics.example.org/.well-known/ohttp-gateway." };
        var urls = new Option<string[]>("--urls") { Description = "Addresses to listen on (default: http://127.0.0.1:5090).", AllowMultipleArgumentsPerToken = true };
        var operatorUrls = new Option<string[]>("--operator-urls") { Description = "Addresses of the relay's operator listener: /metrics, /readyz (default: http://127.0.0.1:5091).", AllowMultipleArgumentsPerToken = true };
        var timeout = new Option<int?>("--gateway-timeout") { Description = "Seconds to wait for the gateway's answer before answering 504 (default: 10)." };
        var maxHeld = new Option<int?>("--max-held") { Description = "Most client requests waiting for the gateway at once; more are answered 503 with Retry-After (default: 256)." };
        var directory = new Option<string?>("--issuer-directory") { Description = "The token issuer's directory URL, served from the key cache (default: on the gateway's host)." };
        var cache = new Option<int?>("--key-cache-minutes") { Description = "How long every client gets the same copy of the gateway keys and issuer directory (default: 60)." };
        var command = new Command("relay", "Run an Oblivious HTTP relay that forwards sealed requests to one gateway and keeps no addresses.") { gateway, urls, operatorUrls, timeout, maxHeld, directory, cache };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new RelayOptions();
            if (parse.GetValue(gateway) is { } g)
            {
                if (!Uri.TryCreate(g, UriKind.Absolute, out var uri))
                {
                    Console.Error.WriteLine($"candor relay: --gateway: '{g}' is not an absolute URL.");
                    return 1;
                }
                options.Gateway = uri;
            }
            if (parse.GetValue(urls) is { Length: > 0 } u) options.Urls = [.. u];
            if (parse.GetValue(operatorUrls) is { Length: > 0 } o) options.OperatorUrls = [.. o];
            if (parse.GetValue(timeout) is { } seconds) options.GatewayTimeout = TimeSpan.FromSeconds(seconds);
            if (parse.GetValue(maxHeld) is { } held) options.MaxHeldRequests = held;
            if (parse.GetValue(directory) is { } d)
            {
                if (!Uri.TryCreate(d, UriKind.Absolute, out var uri))
                {
                    Console.Error.WriteLine($"candor relay: --issuer-directory: '{d}' is not an absolute URL.");
                    return 1;
                }
                options.IssuerDirectory = uri;
            }
            if (parse.GetValue(cache) is { } minutes) options.KeyCacheDuration = TimeSpan.FromMinutes(minutes);
            try
            {
                await using var app = RelayApp.Build(options);
                await app.StartAsync(cancellationToken);
                Console.WriteLine($"Candor relay on {string.Join(", ", options.Urls)} -> {options.Gateway}");
                Console.WriteLine($"  operator listener (/metrics, /readyz) on {string.Join(", ", app.Services.GetRequiredService<OperatorListener>().Addresses)}");
                await app.WaitForShutdownAsync(cancellationToken);
                return 0;
            }
            catch (Exception e) when (e is CollectorConfigurationException or IOException)
            {
                Console.Error.WriteLine($"candor relay: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
