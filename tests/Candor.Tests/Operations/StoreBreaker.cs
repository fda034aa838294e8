using Microsoft.Data.Sqlite;

namespace Candor.Tests.Operations;

/// <summary>Breaks a running collector's SQLite store the way an outage does: the table every commit writes goes away, then comes back.</summary>
internal static class StoreBreaker
{
    public static void RenameRollups(string database, string from, string to)
    {
        using var c = new SqliteConnection($"Data Source={database};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"ALTER TABLE {from} RENAME TO {to};";
        cmd.ExecuteNonQuery();
    }
}
