using Npgsql;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Candor.Tests.Infrastructure;

/// <summary>
/// The PostgreSQL the tests run against: CANDOR_TEST_POSTGRES, a connection string to a server where
/// the tests may create and drop databases (scripts/test-postgres.sh starts a throwaway one). Without it,
/// PostgreSQL tests are skipped with a visible reason on a developer's machine, and fail under CI=true:
/// CI must never pass by skipping them.
/// </summary>
public static class TestPostgres
{
    public const string Variable = "CANDOR_TEST_POSTGRES";

    public static string? Server => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } s ? s : null;

    private static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Why PostgreSQL tests are skipped here, or null when they run (or must fail, in CI).</summary>
    public static string? SkipReason => Server is null && !InCi
        ? $"PostgreSQL tests need {Variable}: run `scripts/test-postgres.sh start` and export what it prints (README, 'Tests')."
        : null;

    /// <summary>The server's connection string; fails the test with instructions when it is not set.</summary>
    public static string RequireServer() => Server ?? throw new InvalidOperationException(
        $"{Variable} is not set, and CI=true forbids skipping the PostgreSQL tests: start one with `scripts/test-postgres.sh start` and export {Variable}.");
}

/// <summary>A fresh database with a random name on the test server, dropped on dispose.</summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly string _server;

    private TestDatabase(string server, string name)
    {
        _server = server;
        Name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = name, Pooling = true }.ConnectionString;
    }

    public string Name { get; }
    public string ConnectionString { get; }

    public static async Task<TestDatabase> CreateAsync()
    {
        var server = TestPostgres.RequireServer();
        var name = "candor_test_" + Guid.NewGuid().ToString("n");
        await using var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server) { Pooling = false }.ConnectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name};", c);
        await cmd.ExecuteNonQueryAsync();
        return new TestDatabase(server, name);
    }

    public async Task<T?> ScalarAsync<T>(string sql)
    {
        await using var c = new NpgsqlConnection(ConnectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        var value = await cmd.ExecuteScalarAsync();
        return value is DBNull or null ? default : (T)value;
    }

    public async Task ExecAsync(string sql)
    {
        await using var c = new NpgsqlConnection(ConnectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        // Only this database's pool: other test classes run in parallel with their own pools.
        await using (var mine = new NpgsqlConnection(ConnectionString))
            NpgsqlConnection.ClearPool(mine);
        await using var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_server) { Pooling = false }.ConnectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE);", c);
        await cmd.ExecuteNonQueryAsync();
    }
}

/// <summary>A test that needs PostgreSQL: skipped with a reason locally without one, run (and failing) in CI.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (TestPostgres.SkipReason is { } reason)
            Skip = reason;
    }
}

/// <summary>
/// Marks a test class whose inherited tests (the storage contract's) need PostgreSQL; the contract's
/// <see cref="StoreFactAttribute"/> reads it to skip or run them like <see cref="PostgresFactAttribute"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class RequiresPostgresAttribute : Attribute;

/// <summary>A storage contract test: a plain fact, skipped like a PostgreSQL one when its engine class needs PostgreSQL.</summary>
[XunitTestCaseDiscoverer("Candor.Tests.Infrastructure.StoreFactDiscoverer", "Candor.Tests")]
public sealed class StoreFactAttribute : FactAttribute;

public sealed class StoreFactDiscoverer(IMessageSink diagnostics) : IXunitTestCaseDiscoverer
{
    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions options, ITestMethod testMethod, IAttributeInfo factAttribute) =>
        [new StoreTestCase(diagnostics, options.MethodDisplayOrDefault(), options.MethodDisplayOptionsOrDefault(), testMethod)];
}

public sealed class StoreTestCase : XunitTestCase
{
    [Obsolete("For deserialization only.")]
    public StoreTestCase() { }

    public StoreTestCase(IMessageSink diagnostics, TestMethodDisplay display, TestMethodDisplayOptions displayOptions, ITestMethod testMethod)
        : base(diagnostics, display, displayOptions, testMethod) { }

    protected override string? GetSkipReason(IAttributeInfo factAttribute) =>
        base.GetSkipReason(factAttribute)
        ?? (TestMethod.TestClass.Class.GetCustomAttributes(typeof(RequiresPostgresAttribute)).Any() ? TestPostgres.SkipReason : null);
}

/// <summary>A PostgreSQL database's whole content (every table of the public schema, every row, in key order) as text.</summary>
public static class PostgresContent
{
    public static async Task<string> DumpAsync(string connectionString)
    {
        await using var c = new NpgsqlConnection(connectionString);
        await c.OpenAsync();
        var tables = new List<string>();
        // Partitions are read through their parent, so a row is dumped once.
        await using (var cmd = new NpgsqlCommand("""
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY c.relname;
            """, c))
        await using (var r = await cmd.ExecuteReaderAsync())
            while (await r.ReadAsync()) tables.Add(r.GetString(0));
        var sb = new System.Text.StringBuilder();
        foreach (var t in tables)
        {
            sb.Append("## ").AppendLine(t);
            await using var cmd = new NpgsqlCommand($"SELECT * FROM \"{t}\" ORDER BY 1;", c);
            var rows = new List<string>();
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync())
            {
                var row = new System.Text.StringBuilder();
                for (int i = 0; i < r.FieldCount; i++)
                {
                    var v = r.GetValue(i);
                    row.Append(v is byte[] b ? Convert.ToHexString(b) : Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture)).Append('|');
                }
                rows.Add(row.ToString());
            }
            rows.Sort(StringComparer.Ordinal);
            foreach (var row in rows) sb.AppendLine(row);
        }
        return sb.ToString();
    }

    /// <summary>"table.column" for every column of every Candor table.</summary>
    public static async Task<List<string>> ColumnsAsync(string connectionString)
    {
        await using var c = new NpgsqlConnection(connectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand("""
            SELECT c.relname || '.' || a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1;
            """, c);
        var list = new List<string>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync()) list.Add(r.GetString(0));
        return list;
    }
}

/// <summary>
/// One database for a whole test class (xunit class fixture), emptied by <see cref="ResetAsync"/> before
/// each test: creating a database per test costs most of a second.
/// </summary>
public sealed class TestDatabaseFixture : IAsyncLifetime
{
    private TestDatabase? _database;

    public TestDatabase Database => _database ?? throw new InvalidOperationException(
        $"{TestPostgres.Variable} is not set, and CI=true forbids skipping the PostgreSQL tests: start one with `scripts/test-postgres.sh start` and export {TestPostgres.Variable}.");

    public async Task InitializeAsync()
    {
        if (TestPostgres.Server is not null)
            _database = await TestDatabase.CreateAsync();
    }

    /// <summary>Drops every table Candor created, so the next store starts from an empty database.</summary>
    public async Task ResetAsync()
    {
        await Database.ExecAsync("DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
    }

    public async Task DisposeAsync()
    {
        if (_database is not null)
            await _database.DisposeAsync();
    }
}
