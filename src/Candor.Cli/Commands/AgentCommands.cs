using System.CommandLine;
using Candor.Agent;
using Candor.Agent.Consent;
using Candor.Registry.Events;
using Candor.Client;
using Candor.Registry;
using Microsoft.Extensions.Logging;
using Tmds.DBus.Protocol;

namespace Candor.Cli.Commands;

/// <summary>
/// <c>candor agent ...</c>: the machine-wide agent (<c>run</c>, started by systemd) and the commands that
/// talk to it over D-Bus (<c>consent</c>, <c>show</c>, <c>export</c>). Consent goes over D-Bus rather than
/// into the agent's state file so that the running agent stops and erases at once, polkit decides who may
/// answer for the machine, and the agent stays the only writer of its store.
/// </summary>
public static class AgentCommands
{
    private static readonly Option<string> Bus = new("--bus") { Description = "D-Bus address of the bus the agent is on (default: the system bus).", Recursive = true };

    public static Command Create()
    {
        var command = new Command("agent", "The machine-wide Candor agent behind eos-metrics' D-Bus interface (com.endlessm.Metrics).") { Bus };
        command.Subcommands.Add(Run());
        command.Subcommands.Add(Consent());
        var show = new Command("show", "What the agent keeps for this machine, the consent answer and what it dropped (no privileges needed).");
        show.SetAction(parse => Call(parse, async agent => Console.Write(await agent.ShowAsync())));
        command.Subcommands.Add(show);
        var format = new Option<string>("--format") { Description = "json or csv.", DefaultValueFactory = _ => "json" };
        format.AcceptOnlyFromAmong("json", "csv");
        var export = new Command("export", "Everything the agent keeps, as JSON or CSV on standard output (no privileges needed).") { format };
        export.SetAction(parse => Call(parse, async agent => Console.Out.Write(await agent.ExportAsync(parse.GetValue(format)!))));
        command.Subcommands.Add(export);
        return command;
    }

    private static Command Consent()
    {
        var answer = new Argument<string>("answer") { Description = "yes: collect for this machine; no: stop and erase what is kept." };
        answer.AcceptOnlyFromAmong("yes", "no");
        var command = new Command("consent", "Answer for the whole machine (needs polkit authorisation, usually an administrator).") { answer };
        command.SetAction(parse => Call(parse, async agent =>
        {
            bool yes = parse.GetValue(answer) == "yes";
            await agent.SetEnabledAsync(yes);
            Console.WriteLine(yes ? "Metrics enabled for this machine." : "Metrics disabled for this machine; what was kept is erased.");
        }));
        return command;
    }

    private static Command Run()
    {
        var dataDir = new Option<string>("--data-dir") { Description = "Where the agent keeps its local store.", DefaultValueFactory = _ => "/var/lib/candor-agent" };
        var registry = new Option<string>("--registry") { Description = "The machine's metric registry (YAML).", DefaultValueFactory = _ => "/etc/candor-agent/registry.yaml" };
        var events = new Option<string>("--events") { Description = "The event mapping: eos-metrics event UUIDs to registry metrics (YAML).", DefaultValueFactory = _ => "/etc/candor-agent/events.yaml" };
        var collector = new Option<string>("--collector") { Description = "The collector to upload to, e.g. https://metrics.example.org; without it nothing is ever sent." };
        var transport = new Option<string>("--transport") { Description = "tor-if-available (default), tor or direct.", DefaultValueFactory = _ => "tor-if-available" };
        transport.AcceptOnlyFromAmong("tor-if-available", "tor", "direct");
        var authority = new Option<string>("--consent-authority") { Description = "Who may call SetEnabled: polkit (default) or anyone (only for a private test bus).", DefaultValueFactory = _ => "polkit" };
        authority.AcceptOnlyFromAmong("polkit", "anyone");
        var command = new Command("run", "Serve com.endlessm.Metrics on the bus until stopped (what the systemd unit runs).") { dataDir, registry, events, collector, transport, authority };
        command.SetAction(async (parse, cancel) =>
        {
            Uri? url = null;
            if (parse.GetValue(collector) is { } text && (!Uri.TryCreate(text, UriKind.Absolute, out url) || url.Scheme is not ("http" or "https")))
                return Fail($"--collector must be an http:// or https:// address, got '{text}'.");
            MetricRegistry machine;
            EventMap map;
            try
            {
                machine = RegistryParser.Parse(File.ReadAllText(parse.GetValue(registry)!), parse.GetValue(registry)!);
                map = EventMapParser.Load(parse.GetValue(events)!, machine);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or RegistryException or EventMapException)
            {
                return Fail(e.Message.Split('\n')[0]);
            }
            string data = parse.GetValue(dataDir)!;
            Directory.CreateDirectory(data);
            using var logs = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true));
            using var client = CandorClient.Create(new CandorClientOptions
            {
                Registry = machine,
                DataDirectory = data,
                CollectorUrl = url,
                Transport = parse.GetValue(transport) switch
                {
                    "direct" => Candor.Client.Transport.TransportMode.Direct,
                    "tor" => Candor.Client.Transport.TransportMode.TorRequired,
                    _ => Candor.Client.Transport.TransportMode.TorIfAvailable,
                },
            }, logs.CreateLogger("Candor.Client"));
            var options = new AgentOptions
            {
                BusAddress = parse.GetValue(Bus),
                ConsentAuthority = parse.GetValue(authority) == "anyone" ? new AnyCallerAuthority() : new PolkitAuthority(),
            };
            AgentService agent;
            try
            {
                agent = await AgentService.StartAsync(options, client, map, data, logs.CreateLogger("Candor.Agent"));
            }
            catch (Exception e) when (e is DBusConnectFailedException or DBusConnectionException or InvalidOperationException)
            {
                return Fail(e.Message);
            }
            await using (agent)
            {
                Console.WriteLine($"candor agent: serving {AgentOptions.BusName}; consent: {client.Consent.State.ToString().ToLowerInvariant()}.");
                var stopped = Task.Delay(Timeout.Infinite, cancel).ContinueWith(_ => { }, TaskScheduler.Default);
                if (await Task.WhenAny(agent.Disconnected, stopped) == agent.Disconnected)
                {
                    await client.FlushAsync(CancellationToken.None);
                    // systemd restarts the unit (Restart=on-failure): exiting beats serving nobody.
                    return Fail($"lost the bus connection: {(await agent.Disconnected)?.Message ?? "closed"}");
                }
            }
            await client.FlushAsync(CancellationToken.None);
            return 0;
        });
        return command;
    }

    private static async Task<int> Call(ParseResult parse, Func<AgentBusClient, Task> action)
    {
        try
        {
            using var agent = await AgentBusClient.ConnectAsync(parse.GetValue(Bus));
            await action(agent);
            return 0;
        }
        catch (DBusErrorReplyException e) when (e.ErrorName == "org.freedesktop.DBus.Error.ServiceUnknown")
        {
            return Fail("no agent is running on this bus (com.endlessm.Metrics is not owned); start it with 'systemctl start candor-agent'.");
        }
        catch (DBusErrorReplyException e)
        {
            return Fail($"the agent refused: {e.ErrorMessage}");
        }
        catch (Exception e) when (e is DBusConnectFailedException or DBusConnectionException)
        {
            return Fail($"cannot reach the bus: {e.Message}");
        }
    }

    private static int Fail(string line)
    {
        Console.Error.WriteLine($"candor agent: {line}");
        return 1;
    }
}
