using System.CommandLine;
using System.Globalization;
using Candor.Client;
using Candor.Registry;

namespace Candor.Cli.Commands;

/// <summary>
/// <c>candor client ...</c>: an application user's view of what Candor keeps on their device, and their
/// controls over it (privacy invariant 7). It only reads and changes the local data directory; it never
/// uploads and never marks the application as used.
/// </summary>
public static class ClientCommands
{
    private static readonly Option<string> DataDir = new("--data-dir") { Description = "The application's Candor data directory.", Required = true, Recursive = true };
    private static readonly Option<string> RegistryFile = new("--registry") { Description = "The application's metric registry (YAML); default: the copy the application keeps in its data directory (registry.yaml).", Recursive = true };

    public static Command Create()
    {
        var command = new Command("client", "See and control what an application's Candor client collects on this device.") { DataDir, RegistryFile };
        command.Subcommands.Add(Simple("status", "Consent, categories, what is pending and when the next upload is due.", Status));
        var consent = new Command("consent", "Answer whether this application may collect anonymous statistics.");
        consent.Subcommands.Add(Simple("grant", "Agree to collection of everything the registry lists (switched-off categories stay off).", c => { c.GrantConsent(); Console.WriteLine("Consent granted."); }));
        consent.Subcommands.Add(Simple("deny", "Decline: collection stops and everything not yet sent is erased.", c => { c.DenyConsent(); Console.WriteLine("Consent denied; unsent data erased."); }));
        consent.Subcommands.Add(Simple("reset", "Forget the answer (nothing is collected until asked again); unsent data is erased.", c => { c.ResetConsent(); Console.WriteLine("Consent reset; unsent data erased."); }));
        command.Subcommands.Add(consent);
        var categories = new Command("categories", "Switch categories of metrics on or off.");
        categories.Subcommands.Add(Switch("enable", on: true));
        categories.Subcommands.Add(Switch("disable", on: false));
        command.Subcommands.Add(categories);
        command.Subcommands.Add(Simple("show", "What was collected and not yet sent, in words.", Show));
        command.Subcommands.Add(Simple("preview", "The exact JSON of the next upload.", c => Console.WriteLine(c.Preview() ?? "Nothing would be sent yet: no period with collected data has ended.")));
        command.Subcommands.Add(Simple("sent", "What was sent, and when (a bounded history).", Sent));
        command.Subcommands.Add(Export());
        command.Subcommands.Add(Compare());
        command.Subcommands.Add(Simple("receipts", "The receipts of reports sent with a commitment: what each says and whether it was proved or deleted.", Receipts));
        command.Subcommands.Add(ClientLogCommands.Verify(DataDir, RegistryFile));
        command.Subcommands.Add(ClientLogCommands.DeleteReports(DataDir, RegistryFile));
        command.Subcommands.Add(Simple("erase", "Erase everything collected, pending or sent (the consent answer is kept).", c => { c.Erase(); Console.WriteLine("All local data erased."); }));
        return command;
    }

    private static Command Simple(string name, string description, Action<CandorClient> action)
    {
        var command = new Command(name, description);
        command.SetAction(parse => Run(parse, action));
        return command;
    }

    private static Command Switch(string name, bool on)
    {
        var category = new Argument<string>("category") { Description = "A category name from the registry." };
        var command = new Command(name, on ? "Switch a category on." : "Switch a category off; its unsent data is erased.") { category };
        command.SetAction(parse => Run(parse, c =>
        {
            var n = parse.GetValue(category)!;
            if (on) c.EnableCategory(n); else c.DisableCategory(n);
            Console.WriteLine($"Category {n} switched {(on ? "on" : "off")}.");
        }));
        return command;
    }

    private static Command Export()
    {
        var format = new Option<string>("--format") { Description = "json or csv.", DefaultValueFactory = _ => "json" };
        format.AcceptOnlyFromAmong("json", "csv");
        var command = new Command("export", "Write everything held locally as JSON or CSV to standard output.") { format };
        command.SetAction(parse => Run(parse, c => Console.Out.Write(c.Export(parse.GetValue(format) == "csv" ? ExportFormat.Csv : ExportFormat.Json))));
        return command;
    }

    /// <summary>
    /// <c>candor client compare &lt;metric&gt; --collector URL</c>: where this installation stands, from the
    /// public figures. It fetches them (the same request for every installation) and uploads nothing.
    /// </summary>
    private static Command Compare()
    {
        var metric = new Argument<string>("metric") { Description = "A metric name from the registry, e.g. app.launches." };
        var collector = new Option<string>("--collector") { Description = "The collector whose public figures to compare with, e.g. https://metrics.example.org.", Required = true };
        var transport = new Option<string>("--transport") { Description = "How to reach it: tor-if-available (default), tor (only through Tor) or direct.", DefaultValueFactory = _ => "tor-if-available" };
        transport.AcceptOnlyFromAmong("tor-if-available", "tor", "direct");
        var command = new Command("compare", "Where this installation stands among all, from the public figures; nothing is uploaded.") { metric, collector, transport };
        command.SetAction(async (parse, cancel) =>
        {
            if (!Uri.TryCreate(parse.GetValue(collector), UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            {
                Console.Error.WriteLine($"candor client: --collector must be an http:// or https:// address, got '{parse.GetValue(collector)}'.");
                return 1;
            }
            var mode = parse.GetValue(transport) switch
            {
                "direct" => Candor.Client.Transport.TransportMode.Direct,
                "tor" => Candor.Client.Transport.TransportMode.TorRequired,
                _ => Candor.Client.Transport.TransportMode.TorIfAvailable,
            };
            return await RunAsync(parse, async c => Console.WriteLine((await c.CompareAsync(parse.GetValue(metric)!, cancel)).Sentence), url, mode);
        });
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, Func<CandorClient, Task> action, Uri collector, Candor.Client.Transport.TransportMode transport)
    {
        var (registry, error) = ClientDataDirectory.Resolve(parse.GetValue(DataDir)!, parse.GetValue(RegistryFile));
        if (error is not null)
        {
            Console.Error.WriteLine($"candor client: {error}");
            return 1;
        }
        try
        {
            using var client = CandorClient.Create(new CandorClientOptions
            {
                DataDirectory = parse.GetValue(DataDir)!,
                RegistryFile = registry,
                BackgroundWork = false,
                RecordActivity = false,
                CollectorUrl = collector,
                Transport = transport,
            });
            await action(client);
            return 0;
        }
        catch (RegistryException e)
        {
            foreach (var p in e.Problems)
                Console.Error.WriteLine(p);
            return 1;
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or InvalidOperationException or HttpRequestException
            or System.Text.Json.JsonException or Microsoft.Data.Sqlite.SqliteException)
        {
            var message = e is ArgumentException { ParamName: { } p } ? e.Message.Replace($" (Parameter '{p}')", "") : e.Message;
            Console.Error.WriteLine($"candor client: {message}");
            return 1;
        }
    }

    private static int Run(ParseResult parse, Action<CandorClient> action)
    {
        var dir = parse.GetValue(DataDir)!;
        var (registry, error) = ClientDataDirectory.Resolve(dir, parse.GetValue(RegistryFile));
        if (error is not null)
        {
            Console.Error.WriteLine($"candor client: {error}");
            return 1;
        }
        try
        {
            using var client = CandorClient.Create(new CandorClientOptions
            {
                DataDirectory = dir,
                RegistryFile = registry,
                BackgroundWork = false,
                RecordActivity = false,
            });
            action(client);
            return 0;
        }
        catch (RegistryException e)
        {
            foreach (var p in e.Problems)
                Console.Error.WriteLine(p);
            return 1;
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            var message = e is ArgumentException { ParamName: { } p } ? e.Message.Replace($" (Parameter '{p}')", "") : e.Message;
            Console.Error.WriteLine($"candor client: {message}");
            return 1;
        }
    }

    private static void Status(CandorClient c)
    {
        var s = c.Status();
        Console.WriteLine($"{s.App}, registry version {s.RegistryVersion}");
        Console.WriteLine($"Consent: {s.Consent.State.ToString().ToLowerInvariant()} ({s.Consent.Reason})");
        if (s.NeedsPrompt)
            Console.WriteLine("The application should ask you (again): there is something you have not answered.");
        Console.WriteLine("Categories:");
        int width = s.Categories.Max(x => x.Name.Length);
        foreach (var cat in s.Categories)
            Console.WriteLine($"  {cat.Name.PadRight(width)}  {(cat.NotYetAsked ? "off (new, not asked yet)" : cat.Enabled ? "on " : "off")}  {cat.Description}");
        if (s.DisabledMetrics.Count > 0)
            Console.WriteLine($"Metrics switched off: {string.Join(", ", s.DisabledMetrics)}");
        Console.WriteLine($"Collected, not yet sent: {s.CollectedEntries} entr{(s.CollectedEntries == 1 ? "y" : "ies")}");
        Console.WriteLine($"Batches waiting to be sent: {s.PendingBatches}");
        var receipts = c.Receipts();
        if (receipts.Count > 0)
            Console.WriteLine($"Receipts of sent reports: {receipts.Count(r => r.SentAt is not null)} ({receipts.Count(r => r.Status == Candor.Client.Transparency.ReceiptStatus.Included)} proved in the log, "
                + $"{receipts.Count(r => r.Status == Candor.Client.Transparency.ReceiptStatus.Deleted)} deleted); see 'receipts', 'verify' and 'delete-reports'.");
        Console.WriteLine($"Next upload: {(s.NextUploadAt is { } at ? at.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC" : "not scheduled")}"
            + (s.ConsecutiveFailures > 0 ? $" (after {s.ConsecutiveFailures} failed attempt(s))" : ""));
    }

    private static void Show(CandorClient c)
    {
        var items = c.Show();
        if (items.Count == 0)
        {
            Console.WriteLine("Nothing collected and not yet sent.");
        }
        foreach (var period in items.GroupBy(i => i.Period))
        {
            Console.WriteLine($"{period.Key}:");
            foreach (var i in period)
                Console.WriteLine($"  {i.Description} ({i.Metric}): {i.Summary}");
        }
        if (c.Pending().Count is var n and > 0)
            Console.WriteLine($"{n} batch(es) are waiting to be sent; see 'preview'.");
    }

    private static void Receipts(CandorClient c)
    {
        var receipts = c.Receipts();
        if (receipts.Count == 0)
            Console.WriteLine("No receipts: nothing was sent with a commitment (or the local data was erased).");
        foreach (var r in receipts)
            Console.WriteLine($"{r.Status.ToString().ToLowerInvariant(),-8}  {r.Metric} {r.Period} = {r.Value}  commitment {r.Commitment}"
                + (r.LeafIndex is { } leaf ? $"  leaf {leaf} of {r.TreeSize}" : "")
                + (r.SentAt is { } at ? $"  sent {at.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC" : ""));
    }

    private static void Sent(CandorClient c)
    {
        var sent = c.Sent();
        if (sent.Count == 0)
            Console.WriteLine("Nothing has been sent.");
        foreach (var s in sent)
            Console.WriteLine($"{s.SentAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC, {s.Accepted} report(s): {s.Body}");
    }
}
