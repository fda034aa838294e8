using System.Net.Sockets;
using Candor.Collector.Storage;
using Candor.Collector.Storage.Postgres;
using Candor.Collector.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Candor.Collector.Hosting;

/// <summary>
/// Start-up failures of the store, said so an operator knows what to fix. SQLite reports a full disk
/// while it opens a database as "disk I/O error" (its write-ahead log or shared-memory file could not
/// grow), which sends people looking for a broken disk; Npgsql says "Failed to connect to 10.0.0.5:5432"
/// without saying that this is the database. Nothing here prints a password: PostgreSQL is named by
/// host, port and database only (<see cref="PostgresReportStore.Description"/>).
/// </summary>
internal static class StoreStartupErrors
{
    /// <summary>Below this much free space an I/O error while writing the database is taken to be a full disk.</summary>
    public const long FullBelowBytes = 1024 * 1024;

    private const int SqliteIoError = 10, SqliteFull = 13;

    /// <summary>The failure as one readable message, or null when it is none of these (it is then shown as it is).</summary>
    public static CollectorConfigurationException? Explain(Exception error, IReportStore store) => (error, store) switch
    {
        (SqliteException { SqliteErrorCode: SqliteFull or SqliteIoError } e, SqliteReportStore s) when e.SqliteErrorCode == SqliteFull || FreeBytes(s.Path) < FullBelowBytes =>
            new($"disk full: the filesystem holding the database {s.Path} has {Describe(FreeBytes(s.Path))} free, and SQLite could not write. " +
                "Free space there (or move the database with --db) and start again."),
        (PostgresException e, PostgresReportStore p) =>
            new($"the database refused the collector: PostgreSQL at {p.Description} answered {e.SqlState}: {e.MessageText}"),
        (NpgsqlException e, PostgresReportStore p) when Unreachable(e) is { } reason =>
            new($"cannot reach the database: PostgreSQL at {p.Description} ({reason}). Check that it runs and that the host and port in Database are right."),
        _ => null,
    };

    private static string? Unreachable(Exception e)
    {
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException socket)
                return socket.Message;
            if (inner is TimeoutException)
                return "no answer before the connection timeout";
        }
        return e.Message.StartsWith("Failed to connect", StringComparison.Ordinal) ? "connection failed" : null;
    }

    private static long FreeBytes(string databasePath)
    {
        try
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(databasePath));
            return new DriveInfo(string.IsNullOrEmpty(directory) ? "." : directory).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return long.MaxValue; // unknown: not claimed to be full
        }
    }

    private static string Describe(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} bytes",
        < 1024 * 1024 => $"{bytes / 1024} KiB",
        _ => $"{bytes / (1024 * 1024)} MiB",
    };
}
