using Npgsql;

// Its own small project, referenced by the collector and by Candor.AspNetCore, so that both read a
// --db / Database value the same way without a web app depending on the collector (a copy of this
// reader in the account service once ignored URL parameters such as sslmode).
namespace Candor.Postgres;

/// <summary>
/// Tells a PostgreSQL <c>--db</c> from a SQLite path, and turns a <c>postgres://</c> URL into Npgsql's
/// key=value form. A value is PostgreSQL when it is a URL with the postgres or postgresql scheme, or
/// when it reads like a connection string (it names a <c>Host=</c>); anything else is a file path.
/// </summary>
public static class PostgresConnectionString
{
    public static bool IsPostgres(string database) =>
        database.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
        || database.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
        || (database.Contains('=') && database.Split(';').Any(part => part.TrimStart().StartsWith("Host=", StringComparison.OrdinalIgnoreCase)
                                                                        || part.TrimStart().StartsWith("Server=", StringComparison.OrdinalIgnoreCase)));

    /// <summary>Npgsql's form of <paramref name="database"/>.</summary>
    /// <exception cref="FormatException">Not a usable PostgreSQL URL or connection string.</exception>
    public static string ToNpgsql(string database)
    {
        if (!database.Contains("://", StringComparison.Ordinal))
        {
            try
            {
                return new NpgsqlConnectionStringBuilder(database).ConnectionString;
            }
            catch (ArgumentException e)
            {
                throw new FormatException($"The PostgreSQL connection string is invalid: {e.Message}");
            }
        }
        if (!Uri.TryCreate(database, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
            throw new FormatException("The PostgreSQL URL is invalid: expected postgres://user:password@host:port/database.");
        var builder = new NpgsqlConnectionStringBuilder { Host = uri.Host };
        if (uri.Port > 0) builder.Port = uri.Port;
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2) builder.Password = Uri.UnescapeDataString(parts[1]);
        }
        var name = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (name.Length > 0) builder.Database = name;
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var key = Uri.UnescapeDataString(kv[0]);
            try
            {
                builder[key.Equals("sslmode", StringComparison.OrdinalIgnoreCase) ? "SSL Mode" : key] = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "";
            }
            catch (Exception e) when (e is ArgumentException or FormatException)
            {
                throw new FormatException($"The PostgreSQL URL has an unknown or invalid parameter '{key}'.");
            }
        }
        return builder.ConnectionString;
    }

    /// <summary>The connection string without its password, for start-up messages.</summary>
    public static string Describe(string npgsql)
    {
        var b = new NpgsqlConnectionStringBuilder(npgsql);
        return $"{b.Host}:{b.Port}/{b.Database}";
    }
}
