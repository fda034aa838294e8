using Candor.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Candor.Tests.Azafea;

/// <summary>The Azafea upload specifications on SQLite.</summary>
public sealed class AzafeaUploadSqliteTests : AzafeaUploadSpecifications
{
    private string _path = "";

    protected override Task<string> CreateDatabaseAsync(string directory) => Task.FromResult(_path = Path.Combine(directory, "candor.db"));

    protected override Task<string> DumpAsync() => Task.FromResult(DatabaseContent.Dump(_path));

    protected override Task<List<string>> RawRowsAsync()
    {
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT metric || '|' || period || '|' || value || '|' || reports FROM raw_reports ORDER BY 1;";
        var rows = new List<string>();
        using var r = cmd.ExecuteReader();
        while (r.Read()) rows.Add(r.GetString(0));
        return Task.FromResult(rows);
    }
}

/// <summary>The Azafea upload specifications on PostgreSQL.</summary>
[RequiresPostgres]
public sealed class AzafeaUploadPostgresTests : AzafeaUploadSpecifications
{
    private TestDatabase? _db;

    protected override async Task<string> CreateDatabaseAsync(string directory) => (_db = await TestDatabase.CreateAsync()).ConnectionString;

    protected override Task<string> DumpAsync() => PostgresContent.DumpAsync(_db!.ConnectionString);

    protected override async Task<List<string>> RawRowsAsync()
    {
        await using var c = new NpgsqlConnection(_db!.ConnectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT line FROM (SELECT metric || '|' || period || '|' || value || '|' || reports AS line FROM raw_reports) r ORDER BY line COLLATE \"C\";", c);
        var rows = new List<string>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync()) rows.Add(r.GetString(0));
        return rows;
    }

    protected override async Task DropDatabaseAsync()
    {
        if (_db is not null)
            await _db.DisposeAsync();
    }
}
