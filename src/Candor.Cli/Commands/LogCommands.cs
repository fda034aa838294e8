using System.CommandLine;
using Candor.Collector.Hosting;
using Candor.Collector.Transparency;
using Candor.Transparency;

namespace Candor.Cli.Commands;

/// <summary><c>candor log key</c>: the transparency log's verifier key, the line an app ships to trust this collector's log.</summary>
public static class LogCommands
{
    public static Command Create()
    {
        var command = new Command("log", "The public transparency log of report commitments (docs/transparency.md).");
        command.Subcommands.Add(Key());
        return command;
    }

    private static Command Key()
    {
        var db = new Option<string?>("--db") { Description = "The collector's database, as given to 'candor serve' (the key file sits beside a SQLite file by default)." };
        var config = new Option<string?>("--config") { Description = "The collector's JSON settings file (Transparency:KeyFile, Transparency:Origin)." };
        var dataDir = new Option<string?>("--data-dir") { Description = "The collector's data directory, as given to 'candor serve' (where log-key.pem is by default)." };
        var command = new Command("key", "Print the log's verifier key (C2SP signed-note form: name+keyid+key).") { db, config, dataDir };
        command.SetAction(parse =>
        {
            try
            {
                var options = ServeCommand.LoadOptions(parse.GetValue(config));
                if (parse.GetValue(db) is { } d) options.Database = d;
                if (parse.GetValue(dataDir) is { } dd) options.DataDirectory = dd;
                var file = options.LogKeyFile();
                // Never create a key here: a new key printed by mistake would be a new log identity nobody runs.
                if (!File.Exists(file))
                {
                    Console.Error.WriteLine($"candor log key: no key file at {file}; the collector creates it on its first start (or set Transparency:KeyFile).");
                    return 1;
                }
                var origin = options.Transparency.OriginOrDefault();
                Console.WriteLine(NoteVerifierKey.Format(LogKey.LoadOrCreate(file, origin)));
                return 0;
            }
            catch (Exception e) when (e is CollectorConfigurationException or FileNotFoundException or InvalidDataException or FormatException or InvalidOperationException)
            {
                Console.Error.WriteLine($"candor log key: {e.Message.Replace("\n  ", " ").Replace("\n", " ")}");
                return 1;
            }
        });
        return command;
    }
}
