using System.CommandLine;
using Candor.Collector.Storage;
using Candor.Collector.Storage.Postgres;
using Candor.Postgres;

namespace Candor.Cli.Commands;

/// <summary><c>candor db copy --from SQLITE --to POSTGRES</c>: move a collector from SQLite to PostgreSQL.</summary>
public static class DbCopyCommand
{
    public static Command Create()
    {
        var from = new Option<string>("--from") { Description = "The SQLite database file to copy (stop the collector first).", Required = true };
        var to = new Option<string>("--to") { Description = "An empty PostgreSQL database: connection string or postgres:// URL.", Required = true };
        var command = new Command("copy", "Copy a SQLite database into an empty PostgreSQL database.") { from, to };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var target = parse.GetValue(to)!;
            if (!PostgresConnectionString.IsPostgres(target))
            {
                Console.Error.WriteLine("candor db copy: --to must be a PostgreSQL connection string (Host=...) or a postgres:// URL.");
                return 1;
            }
            try
            {
                await using var store = new PostgresReportStore(target);
                var c = await StoreCopier.CopyAsync(parse.GetValue(from)!, store, cancellationToken);
                Console.WriteLine($"Copied {c.RawRows} raw rows, {c.Rollups} rollup cells, {c.IdempotencyKeys} idempotency keys, " +
                                  $"{c.Registries} registry versions, {c.Purges} purge log lines and {c.Releases} releases to {store.Description}.");
                Console.WriteLine($"Transparency log: {c.LogLeaves} leaves, {c.Checkpoints} checkpoints, {c.Commitments} commitments held. " +
                                  "Give the collectors on PostgreSQL the same Transparency:KeyFile and Transparency:Origin.");
                return 0;
            }
            catch (Exception e) when (e is StoreCopyException || DbCommands.IsReadable(e))
            {
                Console.Error.WriteLine($"candor db copy: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
