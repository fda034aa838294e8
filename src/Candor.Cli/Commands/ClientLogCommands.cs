using System.CommandLine;
using System.Net.Http;
using Candor.Client;
using Candor.Client.Transparency;
using Candor.Client.Transport;
using Candor.Registry;

namespace Candor.Cli.Commands;

/// <summary>
/// <c>candor client verify</c> and <c>candor client delete-reports</c>: the user checks that the reports
/// this device sent are in the collector's public log, and deletes them by receipt. Both talk to the
/// collector (never upload); both print one readable line and exit 1 for a bad key, a collector that
/// cannot be reached or an answer that cannot be read; <c>verify</c> exits 2 when the log is caught
/// misbehaving or a report is missing, with the evidence on standard output.
/// </summary>
public static class ClientLogCommands
{
    private static Option<string> Collector() => new("--collector") { Description = "The collector, e.g. https://metrics.example.org.", Required = true };

    private static Option<string> Transport()
    {
        var transport = new Option<string>("--transport") { Description = "How to reach it: tor-if-available (default), tor (only through Tor) or direct.", DefaultValueFactory = _ => "tor-if-available" };
        transport.AcceptOnlyFromAmong("tor-if-available", "tor", "direct");
        return transport;
    }

    public static Command Verify(Option<string> dataDir, Option<string> registryFile)
    {
        var collector = Collector();
        var transport = Transport();
        var logKey = new Option<string?>("--log-key") { Description = "The log's verifier key as the application ships it (name+keyid+base64). Without it, the key is fetched from the collector once and kept (trust on first use, weaker)." };
        var compare = new Option<string?>("--compare") { Description = "A checkpoint seen elsewhere to compare with this device's: a file holding the signed note, or the http(s) URL of a mirror or witness serving it." };
        var command = new Command("verify", "Check that every report this device sent is in the collector's log, and that the log was not rewritten or forked.")
            { collector, transport, logKey, compare };
        command.SetAction(async (parse, cancel) =>
        {
            string? other = null;
            if (parse.GetValue(compare) is { } source)
            {
                try { other = await ReadCheckpointAsync(source, cancel); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or HttpRequestException or TaskCanceledException)
                {
                    return Fail($"the checkpoint to compare ({source}) cannot be read: {e.Message}");
                }
            }
            return await RunAsync(parse, dataDir, registryFile, collector, transport, parse.GetValue(logKey), async c =>
            {
                var result = await c.VerifyReportsAsync(cancel);
                int exit = Print(result);
                if (other is not null && result.Alarm is null)
                {
                    var comparison = await c.CompareCheckpointAsync(other, cancel);
                    Console.WriteLine($"Compared with {parse.GetValue(compare)}: {comparison.Detail}");
                    if (comparison.Alarm is { } fork)
                    {
                        Console.WriteLine(fork.Evidence);
                        exit = 2;
                    }
                }
                return exit;
            });
        });
        return command;
    }

    public static Command DeleteReports(Option<string> dataDir, Option<string> registryFile)
    {
        var collector = Collector();
        var transport = Transport();
        var metric = new Option<string?>("--metric") { Description = "Only the reports of this metric." };
        var period = new Option<string?>("--period") { Description = "Only the reports of this period (e.g. 2026-W47 or 2026-11-20)." };
        var command = new Command("delete-reports", "Ask the collector to delete the reports this device sent, by revealing their receipts; figures already published stay as they are.")
            { collector, transport, metric, period };
        command.SetAction((parse, cancel) => RunAsync(parse, dataDir, registryFile, collector, transport, null, async c =>
        {
            var chosen = c.Receipts().Where(r => r.SentAt is not null
                && (parse.GetValue(metric) is not { } m || r.Metric == m)
                && (parse.GetValue(period) is not { } p || r.Period == p)).ToList();
            if (chosen.Count == 0)
            {
                Console.WriteLine("No sent report matches: nothing was asked of the collector.");
                return 0;
            }
            var outcomes = await c.DeleteReportsAsync(chosen, cancel);
            if (outcomes.LocalStoreUnavailable)
                Console.WriteLine("The local store could not be used (a full disk?): " + (outcomes.Count == 0
                    ? "nothing was asked of the collector; try again when the disk has room."
                    : "the deletions below were not marked on this device; run this again when the disk has room."));
            foreach (var o in outcomes)
                Console.WriteLine($"{o.Status,-15}  {o.Receipt.Metric} {o.Receipt.Period} = {o.Receipt.Value}");
            var counts = outcomes.GroupBy(o => o.Status).Select(g => $"{g.Count()} {g.Key}");
            Console.WriteLine($"{string.Join(", ", counts)}. Deleted reports no longer count in the collector's stored figures; figures it already published are not changed.");
            return 0;
        }));
        return command;
    }

    private static int Print(LogVerification result)
    {
        Console.WriteLine(result.TrustOnFirstUse
            ? "Log key: trusted on first use (fetched from the collector and kept; pass --log-key with the key the application ships to check it)."
            : "Log key: the configured key.");
        if (result.Alarm is { } alarm)
        {
            Console.WriteLine($"ALARM ({alarm.Kind}): {alarm.Reason}.");
            Console.WriteLine(alarm.Evidence);
            return 2;
        }
        if (result.LocalStoreUnavailable && result.Receipts.Count == 0 && result.CheckpointSize == 0)
        {
            Console.WriteLine("The local store could not be read (a full disk?): nothing was checked; try again when the disk has room.");
            return 1;
        }
        if (result.LocalStoreUnavailable)
            Console.WriteLine("The local store could not be written (a full disk?): the verdicts below are real, but this device could not remember them.");
        Console.WriteLine($"Checkpoint: {result.CheckpointSize} leaves, signed by the log key and consistent with every checkpoint this device saw before.");
        if (result.Receipts.Count == 0)
            Console.WriteLine("No sent report to check.");
        foreach (var check in result.Receipts)
            Console.WriteLine($"{(check.Verdict == ReceiptVerdict.ProofFailed ? "proof-failed" : check.Verdict.ToString().ToLowerInvariant()),-12} {check.Receipt.Metric} {check.Receipt.Period} = {check.Receipt.Value}: {check.Detail}");
        Console.WriteLine("Privacy: " + result.Disclosure);
        return result.Receipts.Any(r => r.Verdict is ReceiptVerdict.Missing or ReceiptVerdict.ProofFailed) ? 2 : 0;
    }

    private static async Task<string> ReadCheckpointAsync(string source, CancellationToken cancel)
    {
        if (Uri.TryCreate(source, UriKind.Absolute, out var url) && url.Scheme is "http" or "https")
        {
            // A checkpoint is public and the same for everyone: fetching it says nothing about this device.
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            using var response = await http.GetAsync(url, cancel);
            if (!response.IsSuccessStatusCode)
                throw new HttpRequestException($"the mirror answered {(int)response.StatusCode} {response.ReasonPhrase}");
            return await response.Content.ReadAsStringAsync(cancel);
        }
        return await File.ReadAllTextAsync(source, cancel);
    }

    private static async Task<int> RunAsync(ParseResult parse, Option<string> dataDir, Option<string> registryFile, Option<string> collectorOption,
        Option<string> transportOption, string? logKey, Func<CandorClient, Task<int>> action)
    {
        var text = parse.GetValue(collectorOption);
        if (!Uri.TryCreate(text, UriKind.Absolute, out var collector) || collector.Scheme is not ("http" or "https"))
            return Fail($"--collector must be an http:// or https:// address, got '{text}'.");
        var mode = parse.GetValue(transportOption) switch
        {
            "direct" => TransportMode.Direct,
            "tor" => TransportMode.TorRequired,
            _ => TransportMode.TorIfAvailable,
        };
        var (registry, error) = ClientDataDirectory.Resolve(parse.GetValue(dataDir)!, parse.GetValue(registryFile));
        if (error is not null)
            return Fail(error);
        try
        {
            using var client = CandorClient.Create(new CandorClientOptions
            {
                DataDirectory = parse.GetValue(dataDir)!,
                RegistryFile = registry,
                BackgroundWork = false,
                RecordActivity = false,
                CollectorUrl = collector,
                Transport = mode,
                LogKey = logKey,
            });
            return await action(client);
        }
        catch (RegistryException e)
        {
            foreach (var p in e.Problems)
                Console.Error.WriteLine(p);
            return 1;
        }
        catch (HttpRequestException e) when (e.StatusCode is null)
        {
            return Fail($"the collector at {collector} cannot be reached: {e.Message}");
        }
        catch (TaskCanceledException)
        {
            return Fail($"the collector at {collector} did not answer in time.");
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or InvalidOperationException or HttpRequestException
            or Microsoft.Data.Sqlite.SqliteException)
        {
            var message = e is ArgumentException { ParamName: { } p } ? e.Message.Replace($" (Parameter '{p}')", "") : e.Message;
            // The option's name on the command line, not the library's.
            return Fail(message.Replace("LogKey is not a log verifier key", "--log-key is not a log verifier key"));
        }
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"candor client: {message}");
        return 1;
    }
}
