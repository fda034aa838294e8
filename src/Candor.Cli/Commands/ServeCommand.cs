using System.CommandLine;
using Candor.Collector;
using Candor.Collector.Hosting;
using Candor.Collector.Registry;
using Candor.Collector.Storage;
using Candor.Collector.Storage.Sqlite;
using Candor.Registry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Candor.Cli.Commands;

/// <summary><c>candor serve</c>: run a collector, SQLite by default, like <c>goatcounter serve</c>.</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var db = new Option<string?>("--db") { Description = "SQLite database file (default: data/candor.db), or a PostgreSQL connection string (Host=...;Database=...) or postgres:// URL." };
        var urls = new Option<string[]>("--urls") { Description = "Addresses to listen on (default: http://127.0.0.1:5080).", AllowMultipleArgumentsPerToken = true };
        var operatorUrls = new Option<string[]>("--operator-urls") { Description = "Addresses of the operator listener: /metrics and /readyz, never on the public addresses (default: http://127.0.0.1:5081).", AllowMultipleArgumentsPerToken = true };
        var registries = new Option<string[]>("--registry") { Description = "Registry YAML files to serve (default: the example registries shipped with Candor).", AllowMultipleArgumentsPerToken = true };
        var config = new Option<string?>("--config") { Description = "A JSON settings file with a \"Candor\" section (see docs/operations.md)." };

        var announcements = new Option<string?>("--announcements") { Description = "Folder of announcements published with 'candor announce publish' (see docs/announcements.md)." };
        var ohttpKeys = new Option<string?>("--ohttp-keys") { Description = "Turn on the Oblivious HTTP gateway with this key file (created when missing; see docs/ohttp.md)." };
        var dataDir = new Option<string?>("--data-dir") { Description = "Folder of the collector's own files, such as the log key (default: the SQLite file's folder, or data/ with PostgreSQL). Collectors sharing one PostgreSQL should share this folder." };
        var dap = new Option<string?>("--dap") { Description = "Also serve as DAP-09 Leader or Helper for the tasks in this file (docs/dap.md)." };
        var azafea = new Option<string[]>("--azafea-events") { Description = "Event mapping files (the agent's format): their apps also accept uploads of deployed eos-event-recorder-daemon installations (docs/linux.md).", AllowMultipleArgumentsPerToken = true };
        var dapCollector = new Option<string[]>("--dap-collector") { Description = "DAP Collector files (collector.json from 'candor dap task'): collect and publish the split-trust metrics of these tasks (docs/dap.md).", AllowMultipleArgumentsPerToken = true };
        var command = new Command("serve", "Run a collector.") { db, urls, operatorUrls, registries, config, announcements, ohttpKeys, dataDir, dap, dapCollector, azafea };
        command.SetAction(async (parse, cancellationToken) =>
        {
            CollectorOptions options;
            try
            {
                options = LoadOptions(parse.GetValue(config));
            }
            catch (Exception e) when (e is FileNotFoundException or InvalidDataException or FormatException or InvalidOperationException)
            {
                Console.Error.WriteLine($"candor serve: {e.Message}");
                return 1;
            }
            if (parse.GetValue(db) is { } d) options.Database = d;
            if (parse.GetValue(urls) is { Length: > 0 } u) options.Urls = [.. u];
            if (parse.GetValue(operatorUrls) is { Length: > 0 } o) options.OperatorUrls = [.. o];
            if (parse.GetValue(registries) is { Length: > 0 } r) options.RegistryFiles = [.. r];
            if (options.RegistryFiles.Count == 0) options.RegistryFiles = [.. DefaultRegistries()];
            if (parse.GetValue(announcements) is { } a) options.AnnouncementsDirectory = a;
            if (parse.GetValue(ohttpKeys) is { } k) options.OhttpKeysFile = k;
            if (parse.GetValue(dap) is { } dapFile) options.DapTasksFile = dapFile;
            if (parse.GetValue(dapCollector) is { Length: > 0 } dc) options.DapCollectorFiles = [.. dc];
            if (parse.GetValue(dataDir) is { } dd) options.DataDirectory = dd;
            if (parse.GetValue(azafea) is { Length: > 0 } az) options.AzafeaEventFiles = [.. az];
            return await RunAsync(options, cancellationToken);
        });
        return command;
    }

    /// <summary>
    /// Settings in order of precedence, lowest first: defaults, the "Candor" section of the JSON file,
    /// CANDOR_* environment variables (CANDOR_RetentionDays, CANDOR_Apps__org.example.editor__NextReportMinSeconds),
    /// then the command-line flags. A list given by a source replaces the default list rather than adding to it.
    /// </summary>
    internal static CollectorOptions LoadOptions(string? configFile, IDictionary<string, string?>? environment = null)
    {
        var options = new CollectorOptions();
        var defaultUrls = options.Urls.ToList();
        var defaultOperatorUrls = options.OperatorUrls.ToList();
        options.Urls.Clear();
        options.OperatorUrls.Clear();
        if (configFile is not null)
        {
            if (!File.Exists(configFile))
                throw new FileNotFoundException($"settings file {configFile} does not exist.");
            var section = new ConfigurationBuilder().AddJsonFile(Path.GetFullPath(configFile), optional: false).Build().GetSection("Candor");
            RefuseUnknown(UnknownSettings.Find(section, path => $"{path} (in {configFile})"));
            section.Bind(options);
        }
        var env = new ConfigurationBuilder();
        if (environment is null)
            env.AddEnvironmentVariables("CANDOR_");
        else
            env.AddInMemoryCollection(environment.Where(kv => kv.Key.StartsWith("CANDOR_", StringComparison.Ordinal))
                .Select(kv => KeyValuePair.Create(kv.Key["CANDOR_".Length..].Replace("__", ":"), kv.Value)));
        var fromEnvironment = env.Build();
        RefuseUnknown(UnknownSettings.Find(fromEnvironment, path => "CANDOR_" + path.Replace(":", "__", StringComparison.Ordinal), ignoreForeign: true));
        if (fromEnvironment.GetSection(nameof(CollectorOptions.Urls)).GetChildren().Any())
            options.Urls.Clear();
        if (fromEnvironment.GetSection(nameof(CollectorOptions.OperatorUrls)).GetChildren().Any())
            options.OperatorUrls.Clear();
        if (fromEnvironment.GetSection(nameof(CollectorOptions.RegistryFiles)).GetChildren().Any())
            options.RegistryFiles.Clear();
        fromEnvironment.Bind(options);
        if (options.Urls.Count == 0)
            options.Urls.AddRange(defaultUrls);
        if (options.OperatorUrls.Count == 0)
            options.OperatorUrls.AddRange(defaultOperatorUrls);
        return options;
    }

    private static void RefuseUnknown(IReadOnlyList<string> problems)
    {
        if (problems.Count > 0)
            throw new InvalidDataException(string.Join("\n  ", problems));
    }

    /// <summary>The example registries copied next to the tool, so that a bare <c>candor serve</c> works.</summary>
    internal static IEnumerable<string> DefaultRegistries()
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "registries");
        return Directory.Exists(dir) ? Directory.GetFiles(dir, "*.yaml").Order(StringComparer.Ordinal) : [];
    }

    private static async Task<int> RunAsync(CollectorOptions options, CancellationToken cancellationToken)
    {
        try
        {
            await using var app = await CollectorApp.BuildAsync(options, cancellationToken: cancellationToken);
            var store = app.Services.GetRequiredService<IReportStore>();
            try
            {
                await app.StartAsync(cancellationToken);
            }
            catch (IOException e)
            {
                // A busy port or an address this machine does not have: Kestrel's message says which.
                Console.Error.WriteLine($"candor serve: cannot listen: {e.Message}");
                return 1;
            }
            catch (OptionsValidationException e)
            {
                Console.Error.WriteLine($"candor serve: invalid settings: {string.Join(" ", e.Failures)}");
                return 1;
            }
            // Announced only once listening, so that the banner is never followed by a failure to listen.
            // With JSON logs, standard output holds JSON only: the settings line says the same.
            if (options.LogFormat == LogFormat.Text)
            {
                Console.WriteLine($"Candor collector on {string.Join(", ", options.Urls)} ({ReportStores.Describe(store)})");
                Console.WriteLine($"  operator listener (/metrics, /readyz) on {string.Join(", ", app.Services.GetRequiredService<OperatorListener>().Addresses)}");
                foreach (var a in app.Services.GetService(typeof(RegistryCatalog)) is RegistryCatalog c ? c.Apps : [])
                    Console.WriteLine($"  {a.App}: registry versions {string.Join(", ", a.Versions.Keys.Order())}");
            }
            await app.WaitForShutdownAsync(cancellationToken);
            return 0;
        }
        catch (RegistryException e)
        {
            Console.Error.WriteLine("candor serve: a registry is invalid:");
            foreach (var p in e.Problems)
                Console.Error.WriteLine("  " + p);
            return 1;
        }
        catch (Exception e) when (e is CollectorConfigurationException or RegistryConflictException or StoreSchemaException or IOException
                                      or Microsoft.Data.Sqlite.SqliteException or UnauthorizedAccessException or Npgsql.NpgsqlException)
        {
            Console.Error.WriteLine($"candor serve: {e.Message}");
            return 1;
        }
    }
}
