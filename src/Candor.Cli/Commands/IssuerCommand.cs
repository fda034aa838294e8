using System.CommandLine;
using System.Security.Cryptography;
using Candor.Collector.Hosting;
using Candor.Collector.PrivacyPass;
using Microsoft.Extensions.Hosting;

namespace Candor.Cli.Commands;

/// <summary><c>candor issuer</c>: the Privacy Pass token issuer as its own process (docs/operations.md, "Anonymous tokens").</summary>
public static class IssuerCommand
{
    public static Command Create()
    {
        var keys = new Option<string>("--keys") { Description = "Folder of token keys (created, with a first key, when empty).", Required = true };
        var urls = new Option<string[]>("--urls") { Description = "Addresses to listen on (default: http://127.0.0.1:5090).", AllowMultipleArgumentsPerToken = true };
        var name = new Option<string?>("--issuer-name") { Description = "issuer_name in the collectors' challenge (default: candor-issuer)." };
        var budget = new Option<int?>("--budget") { Description = "Tokens per client address per period (default: 32)." };
        var period = new Option<int?>("--period-hours") { Description = "Length of a budget period in hours (default: 24)." };
        var lifetime = new Option<int?>("--key-lifetime-days") { Description = "Days before the issuer rotates to a new key (default: 7; the previous key stays accepted for one more lifetime)." };
        var proxies = new Option<string[]>("--trusted-proxy") { Description = "Address or CIDR range of a reverse proxy whose X-Forwarded-For is believed.", AllowMultipleArgumentsPerToken = true };
        var db = new Option<string?>("--db") { Description = "Where issuance budgets are kept (SQLite path or PostgreSQL connection string; default: issuer.db in the key folder). Give every issuer process the same one." };
        var command = new Command("issuer", "Run the Privacy Pass token issuer on its own.") { keys, urls, name, budget, period, lifetime, proxies, db };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new PrivacyPassOptions { KeyDirectory = parse.GetValue(keys), Issuer = true };
            if (parse.GetValue(name) is { } n) options.IssuerName = n;
            if (parse.GetValue(budget) is { } b) options.IssuanceBudget = b;
            if (parse.GetValue(period) is { } p) options.IssuancePeriodHours = p;
            if (parse.GetValue(lifetime) is { } l) options.KeyLifetimeDays = l;
            if (parse.GetValue(proxies) is { Length: > 0 } t) options.TrustedProxies = [.. t];
            var listen = parse.GetValue(urls) is { Length: > 0 } u ? u : ["http://127.0.0.1:5090"];
            try
            {
                await using var app = IssuerApp.Build(options, listen, database: parse.GetValue(db));
                Console.WriteLine($"Candor token issuer on {string.Join(", ", listen)} (keys in {options.KeyDirectory}, {options.IssuanceBudget} tokens per address per {options.IssuancePeriodHours} h)");
                await app.StartAsync(cancellationToken);
                await app.WaitForShutdownAsync(cancellationToken);
                return 0;
            }
            catch (Exception e) when (e is CollectorConfigurationException or IOException or UnauthorizedAccessException
                                          or CryptographicException or ArgumentException or FormatException or Npgsql.NpgsqlException or Microsoft.Data.Sqlite.SqliteException)
            {
                Console.Error.WriteLine($"candor issuer: {e.Message.ReplaceLineEndings(" ")}");
                return 1;
            }
        });
        return command;
    }
}
