using System.Collections;
using System.Globalization;
using Candor.Postgres;
using Npgsql;

namespace Candor.Collector.Hosting;

/// <summary>
/// The settings in force, for the start-up log line: every setting of <see cref="CollectorOptions"/>
/// (new settings appear without changes here), with the database password masked. Operators paste
/// start-up logs into tickets; a connection string's password must not travel with them.
/// </summary>
public static class CollectorSettingsLog
{
    public const string Mask = "***";

    public static string Describe(CollectorOptions options)
    {
        var parts = new List<string>();
        foreach (var property in typeof(CollectorOptions).GetProperties().Where(p => p.CanWrite).OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            var value = property.GetValue(options);
            if (property.Name == nameof(CollectorOptions.Database))
                parts.Add($"Database={MaskDatabase(options.Database)}");
            else if (value is IDictionary<string, AppOptions> apps)
                parts.AddRange(apps.OrderBy(a => a.Key, StringComparer.Ordinal).SelectMany(a => DescribeApp(a.Key, a.Value)));
            else if (value is IEnumerable list and not string)
                parts.Add($"{property.Name}=[{string.Join(", ", list.Cast<object>())}]");
            else
                parts.Add($"{property.Name}={Convert.ToString(value, CultureInfo.InvariantCulture) ?? "(none)"}");
        }
        return string.Join("; ", parts);
    }

    private static IEnumerable<string> DescribeApp(string app, AppOptions a)
    {
        foreach (var property in typeof(AppOptions).GetProperties())
            if (property.GetValue(a) is { } value)
                yield return $"Apps:{app}:{property.Name}={Convert.ToString(value, CultureInfo.InvariantCulture)}";
    }

    /// <summary>A SQLite path as it is; a PostgreSQL connection string or URL with its password replaced by <see cref="Mask"/>.</summary>
    public static string MaskDatabase(string database)
    {
        if (!PostgresConnectionString.IsPostgres(database))
            return database;
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(PostgresConnectionString.ToNpgsql(database));
            if (!string.IsNullOrEmpty(builder.Password))
                builder.Password = Mask;
            if (!string.IsNullOrEmpty(builder.SslPassword))
                builder.SslPassword = Mask;
            return builder.ConnectionString;
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            // Unreadable, so it cannot be shown safely in part either.
            return "(a PostgreSQL connection string that could not be read)";
        }
    }
}
