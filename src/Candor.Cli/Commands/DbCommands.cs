using System.CommandLine;
using Candor.Collector.Storage;
using Candor.Collector.Storage.Sqlite;

namespace Candor.Cli.Commands;

/// <summary><c>candor db migrate|copy</c>: the operator's tools for the database behind the collectors.</summary>
public static class DbCommands
{
    public static Command Create()
    {
        var command = new Command("db", "Manage the collector's database.");
        command.Subcommands.Add(Migrate());
        command.Subcommands.Add(DbCopyCommand.Create());
        return command;
    }

    private static Command Migrate()
    {
        var db = new Option<string>("--db") { Description = "SQLite database file, or a PostgreSQL connection string or postgres:// URL.", Required = true };
        var command = new Command("migrate", "Bring the database's schema to this Candor's version (candor serve also does this at start-up).") { db };
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                await using var store = ReportStores.Open(parse.GetValue(db)!);
                var (before, _) = await ReportStores.SchemaVersionsAsync(store, cancellationToken);
                await store.MigrateAsync(cancellationToken);
                var (after, _) = await ReportStores.SchemaVersionsAsync(store, cancellationToken);
                Console.WriteLine(before == after
                    ? $"{ReportStores.Describe(store)}: schema already at version {after}."
                    : $"{ReportStores.Describe(store)}: schema migrated from version {before} to {after}.");
                return 0;
            }
            catch (Exception e) when (IsReadable(e))
            {
                Console.Error.WriteLine($"candor db migrate: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    /// <summary>Failures an operator can act on from the message alone; anything else is a bug and keeps its stack trace.</summary>
    internal static bool IsReadable(Exception e) =>
        e is FormatException or StoreSchemaException or IOException or UnauthorizedAccessException
            or Microsoft.Data.Sqlite.SqliteException or Npgsql.NpgsqlException;
}
