using Candor.Tests.Infrastructure;

namespace Candor.Tests.Transparency;

/// <summary>The client's log checks and deletion by receipt against a collector on PostgreSQL.</summary>
[RequiresPostgres]
public sealed class PostgresClientLogTests : ClientLogSpecifications
{
    private TestDatabase? _database;

    protected override async Task<CollectorHost> StartCollectorAsync()
    {
        _database = await TestDatabase.CreateAsync();
        return await CollectorHost.StartAsync(o => o.Database = _database.ConnectionString);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_database is not null)
            await _database.DisposeAsync();
    }
}
