using System.CommandLine;
using Candor.Client;
using Candor.Collector;
using Candor.Collector.Hosting;
using Candor.Registry;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Spectre.Console;

namespace Candor.Cli.Commands;

/// <summary>
/// <c>candor demo</c>: a collector on a temporary SQLite database, a simulated population of opted-in
/// (and some opted-out) installations using the real client library over HTTP, each on its own
/// simulated clock, then the dashboard URL, serving until Ctrl+C.
/// </summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var installations = new Option<int>("--installations") { Description = "Simulated installations.", DefaultValueFactory = _ => 2000 };
        var weeks = new Option<int>("--weeks") { Description = "Simulated weeks of use, ending today (at most 12: older periods are past the collector's retention).", DefaultValueFactory = _ => 12 };
        var urls = new Option<string>("--urls") { Description = "Address to serve on.", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        // Any free port by default: the demo prints it, and a second demo (or a collector on 5081) must not stop it.
        var operatorUrls = new Option<string>("--operator-urls") { Description = "Address of the operator listener (/metrics, /readyz); default: a free loopback port.", DefaultValueFactory = _ => "http://127.0.0.1:0" };
        var seed = new Option<int>("--seed") { Description = "Random seed, for a repeatable population.", DefaultValueFactory = _ => 2026 };
        var exit = new Option<bool>("--exit") { Description = "Stop after simulating instead of serving (for scripts and tests)." };
        var command = new Command("demo", "Run a collector with a simulated population and its dashboard.") { installations, weeks, urls, operatorUrls, seed, exit };
        command.SetAction(async (parse, cancellationToken) =>
        {
            int n = parse.GetValue(installations), w = parse.GetValue(weeks);
            if (n is < 1 or > 100_000 || w is < 1 or > 12)
            {
                Console.Error.WriteLine("candor demo: --installations must be 1 to 100000 and --weeks 1 to 12.");
                return 1;
            }
            return await RunAsync(n, w, parse.GetValue(urls)!, parse.GetValue(operatorUrls)!, parse.GetValue(seed), parse.GetValue(exit), cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(int installations, int weeks, string url, string operatorUrl, int seed, bool exitAfter, CancellationToken cancellationToken)
    {
        var work = Directory.CreateTempSubdirectory("candor-demo-").FullName;
        try
        {
            var registryFiles = ServeCommand.DefaultRegistries().ToList();
            var options = new CollectorOptions
            {
                Database = Path.Combine(work, "candor.db"),
                Urls = [url],
                OperatorUrls = [operatorUrl],
                RegistryFiles = registryFiles,
                // Clients report on the collector's real schedule (again after 3 to 10 days), so the newest
                // periods are still arriving when the demo ends, as they always are on a live collector.
                // Every simulated installation reports from this machine's one address.
                RateLimitPerAddressPerSecond = 0,
            };
            await using var app = await CollectorApp.BuildAsync(options, cancellationToken: cancellationToken);
            try
            {
                await app.StartAsync(cancellationToken);
            }
            catch (IOException e)
            {
                Console.Error.WriteLine($"candor demo: cannot listen: {e.Message} (try another port with --urls or --operator-urls)");
                return 1;
            }
            var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            var registry = RegistryParser.ParseFile(registryFiles.Single(f => f.EndsWith("desktop-editor-v4.yaml", StringComparison.Ordinal)));

            using var population = new Population(registry, address, work, weeks, seed, DateOnly.FromDateTime(DateTime.UtcNow));
            var sealer = app.Services.GetService<Candor.Collector.Transparency.EpochSealer>();
            var steps = new SealInSteps(sealer, installations, cancellationToken);
            await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask($"Simulating {installations:N0} installations over {weeks} weeks", maxValue: installations);
                    await population.RunAsync(installations, () => { task.Increment(1); steps.InstallationDone(); }, cancellationToken);
                    await steps.DrainAsync();
                });
            // The phases after the simulation take seconds each (the seal took 27 s on a busy machine with
            // nothing on screen): each says what it does while it runs.
            await AnsiConsole.Status().StartAsync("Sealing the transparency log's last epoch (a signed checkpoint over every report)...", async _ =>
            {
                // Close the last epoch now rather than an hour from now, so the demo's log has a signed
                // checkpoint over every report and proofs to look at. Forced: a small demo population sends fewer
                // batches than an epoch waits for (MinEpochBatches), and each entry would otherwise wait up to
                // EpochSpread epochs. Most entries were already sealed in steps during the simulation.
                if (sealer is not null)
                    await sealer.SealNowAsync(force: true, cancellationToken: cancellationToken);
            });
            await AnsiConsole.Status().StartAsync("Releasing the final periods (noise added once, then frozen)...", async _ =>
            {
                // What the release job would do within ten minutes, done now: the first dashboard visit reads
                // stored releases instead of finding every period "releasing".
                await app.Services.GetRequiredService<Candor.Collector.Publishing.ReleaseJob>().RunOnceAsync(cancellationToken);
            });
            var s = population.Summary;
            // Plain lines, never wrapped, so the addresses can be copied.
            Console.WriteLine($"{s.OptedIn:N0} installations said yes, {s.OptedOut:N0} said no or never answered; {s.Batches:N0} batches uploaded, {s.Failures:N0} failed.");
            Console.WriteLine($"Dashboard:          {address}apps/{registry.App}");
            Console.WriteLine($"What is collected:  {address}apps/{registry.App}/collected");
            Console.WriteLine($"Open data:          {address}v1/public/apps/{registry.App}/export.csv");
            Console.WriteLine($"Transparency log:   {address}v1/log/checkpoint");
            Console.WriteLine($"Operator metrics:   {app.Services.GetRequiredService<OperatorListener>().Addresses[0]}metrics");
            if (exitAfter)
            {
                await app.StopAsync(CancellationToken.None);
                return s.Failures == 0 ? 0 : 1;
            }
            Console.WriteLine("Serving until Ctrl+C (the database is temporary and removed on exit).");
            await app.WaitForShutdownAsync(cancellationToken);
            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
