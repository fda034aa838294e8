// Notepad: the smallest app that embeds Candor the way docs/client.md describes ("Add Candor to
// your app"). It asks for consent, records four metrics through the typed handles generated from
// metrics.yaml, shows the next upload and sends it to a collector running on this machine.
//
//   dotnet run -- [--collector http://127.0.0.1:5080/] [--data-dir DIR] [--yes | --no]
using System.Diagnostics;
using Candor.Client;
using Candor.Client.Transport;
using Notepad;

var started = Stopwatch.StartNew();
var collector = new Uri(Option("--collector") ?? "http://127.0.0.1:5080/");
var dataDirectory = Option("--data-dir")
    ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "candor-notepad-example");

await using var candor = CandorClient.Create(new CandorClientOptions
{
    RegistryFile = Path.Combine(AppContext.BaseDirectory, "metrics.yaml"),
    CollectorUrl = collector,
    DataDirectory = dataDirectory,
    ThrowOnMisuse = true,                          // a development build: mistakes throw instead of being dropped
    DevelopmentUploads = collector.IsLoopback,     // a local `candor serve`: send at once (refused for any other collector)
    Transport = collector.IsLoopback ? TransportMode.Direct : TransportMode.TorIfAvailable,
});
Metrics.Bind(candor);                              // the typed handles generated from metrics.yaml

if (candor.NeedsConsentPrompt)
{
    Console.WriteLine(candor.ConsentPromptText("Notepad"));
    Console.Write("Send anonymous usage statistics? [y/n] ");
    var answer = args.Contains("--yes") ? "y" : args.Contains("--no") ? "n" : Console.ReadLine()?.Trim().ToLowerInvariant();
    Console.WriteLine();
    if (answer is "y" or "yes")
        candor.GrantConsent();
    else if (answer is "n" or "no")
        candor.DenyConsent();
    // Anything else (the prompt closed, no input): no answer, nothing is recorded, and we ask again next time.
}
Console.WriteLine($"Consent: {candor.Consent.State} ({candor.Consent.Reason})");

Metrics.App.Launches.Increment();
Metrics.System.Os.Set(OperatingSystem.IsLinux() ? Metrics.System.Os.Value.Linux
    : OperatingSystem.IsWindows() ? Metrics.System.Os.Value.Windows
    : OperatingSystem.IsMacOS() ? Metrics.System.Os.Value.Macos
    : Metrics.System.Os.Value.Other);
Metrics.Feature.WordWrap.Set();
Metrics.Startup.Ms.Record(started.ElapsedMilliseconds);

Console.WriteLine("The next upload, exactly as it will be sent:");
Console.WriteLine(candor.Preview() ?? "(nothing to send)");
var cycle = await candor.UploadAsync();
Console.WriteLine($"Upload to {collector}: {cycle.Status} ({cycle.Sent} batch(es) sent, {cycle.Pending} pending)");
return 0;

string? Option(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
