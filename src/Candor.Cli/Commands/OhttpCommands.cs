using System.CommandLine;
using Candor.Collector.Ohttp;
using Candor.Ohttp;

namespace Candor.Cli.Commands;

/// <summary>
/// <c>candor ohttp keys|rotate</c>: the gateway's key file. <c>keys</c> prints the published key
/// configurations in base64, the value an application pins (CandorClientOptions.OhttpKeyConfigs).
/// </summary>
public static class OhttpCommands
{
    public static Command Create()
    {
        var file = new Option<string>("--file") { Description = "The gateway key file (the collector's OhttpKeysFile).", Required = true };
        var keys = new Command("keys", "Create the key file if missing and print the key configurations to pin (base64 application/ohttp-keys).") { file };
        keys.SetAction(parse => Run("keys", () =>
        {
            var ring = OhttpKeyRing.Open(parse.GetValue(file)!, TimeSpan.Zero, TimeProvider.System);
            Print(ring.PublishedConfigs);
        }));

        var rotateFile = new Option<string>("--file") { Description = "The gateway key file.", Required = true };
        var overlap = new Option<int>("--overlap-days") { Description = "Days the previous keys keep opening requests (default 7; match the collector's OhttpKeyOverlapDays).", DefaultValueFactory = _ => 7 };
        var rotate = new Command("rotate", "Retire the published keys and add new ones; running collectors pick them up within seconds.") { rotateFile, overlap };
        rotate.SetAction(parse => Run("rotate", () =>
        {
            Print(OhttpKeyRing.Rotate(parse.GetValue(rotateFile)!, DateTimeOffset.UtcNow, TimeSpan.FromDays(parse.GetValue(overlap))));
        }));
        var stageFile = new Option<string>("--file") { Description = "The gateway key file.", Required = true };
        var stage = new Command("stage", "Add the next keys without publishing them; announce them ('announce publish --ohttp-keys'), then rotate.") { stageFile };
        stage.SetAction(parse => Run("stage", () => Print(OhttpKeyRing.Stage(parse.GetValue(stageFile)!, DateTimeOffset.UtcNow))));
        return new Command("ohttp", "Oblivious HTTP gateway keys.") { keys, rotate, stage };
    }

    private static void Print(byte[] configs)
    {
        Console.WriteLine(Convert.ToBase64String(configs));
        foreach (var c in OhttpKeyConfig.ParseList(configs))
            Console.Error.WriteLine($"  key {c.KeyId}: KEM 0x{(ushort)c.Kem:x4}, {c.Algorithms.Count} algorithm pair(s)");
    }

    private static int Run(string name, Action action)
    {
        try
        {
            action();
            return 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or InvalidOperationException
            or System.Text.Json.JsonException or System.Security.Cryptography.CryptographicException)
        {
            Console.Error.WriteLine($"candor ohttp {name}: {e.Message}");
            return 1;
        }
    }
}
