using Candor.AspNetCore.Storage;
using Candor.AspNetCore.Storage.Postgres;
using Candor.AspNetCore.Storage.Sqlite;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.AccountConsent;

/// <summary>The preference store's contract; SQLite and PostgreSQL both pass it.</summary>
public abstract class ConsentPreferenceStoreContract : IAsyncLifetime
{
    protected IConsentPreferenceStore Store { get; private set; } = null!;

    protected abstract IConsentPreferenceStore CreateStore();
    protected abstract IConsentPreferenceStore ReopenStore();

    public async Task InitializeAsync()
    {
        if (TestPostgres.SkipReason is not null && GetType().GetCustomAttributes(typeof(RequiresPostgresAttribute), false).Length > 0)
            return;
        Store = CreateStore();
        await Store.MigrateAsync();
    }

    public async Task DisposeAsync()
    {
        if (Store is not null) await Store.DisposeAsync();
    }

    [StoreFact]
    public async Task An_unknown_user_has_no_choice() => Assert.Null(await Store.GetAsync("nobody"));

    [StoreFact]
    public async Task Each_value_is_stored_and_replaced()
    {
        foreach (bool? value in new bool?[] { true, false, null, true })
        {
            await Store.SetAsync("alice", value);
            Assert.Equal(value, await Store.GetAsync("alice"));
        }
        Assert.Null(await Store.GetAsync("bob"));
    }

    [StoreFact]
    public async Task Set_if_unset_fills_only_a_missing_or_null_choice()
    {
        Assert.True(await Store.SetIfUnsetAsync("new", true));
        Assert.True(await Store.GetAsync("new"));
        await Store.SetAsync("reset", null);
        Assert.True(await Store.SetIfUnsetAsync("reset", true));
        Assert.True(await Store.GetAsync("reset"));
        await Store.SetAsync("chose", false);
        Assert.False(await Store.SetIfUnsetAsync("chose", true));
        Assert.False(await Store.GetAsync("chose"));
    }

    [StoreFact]
    public async Task Choices_survive_reopening_and_migrating_again()
    {
        await Store.SetAsync("alice", true);
        await Store.SetAsync("bob", false);
        await Store.DisposeAsync();
        Store = ReopenStore();
        await Store.MigrateAsync();
        Assert.True(await Store.GetAsync("alice"));
        Assert.False(await Store.GetAsync("bob"));
    }

    [StoreFact]
    public async Task User_ids_are_exact_strings()
    {
        await Store.SetAsync("Alice", true);
        await Store.SetAsync("alice'; DROP TABLE metrics_optout; --", false);
        Assert.Null(await Store.GetAsync("alice"));
        Assert.True(await Store.GetAsync("Alice"));
        Assert.False(await Store.GetAsync("alice'; DROP TABLE metrics_optout; --"));
    }
}

public sealed class SqliteConsentPreferenceStoreTests : ConsentPreferenceStoreContract, IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "candor-tests", Guid.NewGuid().ToString("n"));
    private string DatabasePath => Path.Combine(_directory, "consent.db");

    protected override IConsentPreferenceStore CreateStore() => ConsentPreferenceStores.Open(DatabasePath);
    protected override IConsentPreferenceStore ReopenStore() => new SqliteConsentPreferenceStore(DatabasePath);

    [Fact]
    public void A_file_path_opens_sqlite() => Assert.IsType<SqliteConsentPreferenceStore>(Store);

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

[RequiresPostgres]
public sealed class PostgresConsentPreferenceStoreTests(TestDatabaseFixture fixture) : ConsentPreferenceStoreContract, IClassFixture<TestDatabaseFixture>
{
    protected override IConsentPreferenceStore CreateStore()
    {
        fixture.ResetAsync().GetAwaiter().GetResult();
        return ConsentPreferenceStores.Open(fixture.Database.ConnectionString);
    }

    protected override IConsentPreferenceStore ReopenStore() => new PostgresConsentPreferenceStore(fixture.Database.ConnectionString);

    [PostgresFact]
    public void A_connection_string_opens_postgres() => Assert.IsType<PostgresConsentPreferenceStore>(Store);

    [PostgresFact]
    public async Task The_api_stores_preferences_in_postgres()
    {
        await using var host = await ConsentHost.StartAsync(database: fixture.Database.ConnectionString);
        Assert.True(await host.SetOwnAsync("alice", true));
        Assert.True(await host.GetOwnAsync("bob", gpc: true));
        Assert.Equal(2L, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM metrics_optout WHERE optout;"));
    }
}
