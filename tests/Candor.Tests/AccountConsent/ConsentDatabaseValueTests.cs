using Candor.AspNetCore.Storage;

namespace Candor.Tests.AccountConsent;

/// <summary>The account service reads its database value exactly as the collector's <c>--db</c> does.</summary>
public sealed class ConsentDatabaseValueTests
{
    [Theory]
    [InlineData("postgres://u:p@127.0.0.1:5432/accounts", "postgres")]
    [InlineData("Host=127.0.0.1;Database=accounts", "postgres")]
    [InlineData("consent.db", "sqlite")]
    public async Task The_database_value_names_the_engine(string database, string engine)
    {
        var value = engine == "sqlite" ? Path.Combine(Directory.CreateTempSubdirectory("candor-consent-").FullName, database) : database;
        await using var store = ConsentPreferenceStores.Open(value);
        Assert.Equal(engine, store.Engine);
        Assert.Equal(engine == "postgres", ConsentPreferenceStores.IsPostgres(value));
    }

    [Fact]
    public void Url_parameters_are_honoured_and_unknown_ones_refused_rather_than_ignored()
    {
        // sslmode must not be dropped silently (a connection meant to require TLS would not).
        Assert.Equal("Require", new Npgsql.NpgsqlConnectionStringBuilder(
            Candor.Postgres.PostgresConnectionString.ToNpgsql("postgres://u@db.example/accounts?sslmode=require")).SslMode.ToString());
        var e = Assert.Throws<FormatException>(() => ConsentPreferenceStores.Open("postgres://u@db.example/accounts?nonsense=1"));
        Assert.Contains("nonsense", e.Message);
    }
}
