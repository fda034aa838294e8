using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using Candor.Collector.Storage;
using Candor.Protocol;
using Candor.Registry;

namespace Candor.Collector.Registry;

/// <summary>
/// Every registry version of every app this collector serves. Versions given once are kept in the
/// store, so a client still on version 2 keeps validating after the operator deploys version 3.
/// </summary>
internal sealed class RegistryCatalog
{
    private readonly FrozenDictionary<string, AppRegistries> _apps;

    private RegistryCatalog(FrozenDictionary<string, AppRegistries> apps) => _apps = apps;

    public IEnumerable<AppRegistries> Apps => _apps.Values.OrderBy(a => a.App, StringComparer.Ordinal);

    public AppRegistries? Find(string app) => _apps.GetValueOrDefault(app);

    /// <summary>
    /// Loads the versions the store already keeps, adds the given files, and saves the new ones.
    /// A file that reuses an existing (app, version) with different content is refused: a registry
    /// version names one exact allowlist forever.
    /// </summary>
    public static async Task<RegistryCatalog> LoadAsync(IRegistryStore store, IEnumerable<string> files, CancellationToken cancellationToken = default)
    {
        var byApp = new Dictionary<string, SortedDictionary<int, (CompiledRegistry Registry, string Sha)>>(StringComparer.Ordinal);
        foreach (var stored in await store.LoadRegistriesAsync(cancellationToken))
        {
            var registry = RegistryParser.Parse(stored.Yaml, $"(stored {stored.App} v{stored.Version})");
            Versions(byApp, stored.App)[stored.Version] = (new CompiledRegistry(registry), stored.Sha256);
        }
        foreach (var file in files)
        {
            var registry = RegistryParser.ParseFile(file);
            string sha = Sha256(registry.SourceText!);
            var versions = Versions(byApp, registry.App);
            if (versions.TryGetValue(registry.Version, out var existing))
            {
                if (existing.Sha != sha)
                    throw new RegistryConflictException(
                        $"{file}: {registry.App} version {registry.Version} is already known with different content. " +
                        "A registry version is an allowlist clients rely on: give the changed registry a new version number.");
                continue;
            }
            foreach (var (otherVersion, other) in versions)
                CheckEvolution(file, registry, otherVersion, other.Registry.Registry);
            await store.SaveRegistryAsync(new StoredRegistry(registry.App, registry.Version, registry.SourceText!, sha), cancellationToken);
            versions[registry.Version] = (new CompiledRegistry(registry), sha);
        }
        return new RegistryCatalog(byApp.ToFrozenDictionary(
            kv => kv.Key,
            kv => new AppRegistries(kv.Key, kv.Value.ToFrozenDictionary(v => v.Key, v => v.Value.Registry)),
            StringComparer.Ordinal));
    }

    /// <summary>
    /// A metric keeps its meaning across registry versions: its stored cells (rollups, releases) are read
    /// and published under the newest version's definition, so a changed type, value list, bucket list,
    /// transform or period would publish old cells under new rules (a counter's "10" read as an enum value,
    /// a bucket boundary moved under counts made with the old one). Such a version is refused before it
    /// is stored. Descriptions, purposes, categories and expiry may change freely.
    /// </summary>
    private static void CheckEvolution(string file, MetricRegistry registry, int otherVersion, MetricRegistry other)
    {
        foreach (var metric in registry.Metrics)
        {
            if (other.FindMetric(metric.Name) is not { } before)
                continue;
            string? change =
                metric.Type != before.Type ? $"its type ({Lower(before.Type)} to {Lower(metric.Type)})"
                : metric.Period != before.Period ? $"its period ({Lower(before.Period)} to {Lower(metric.Period)})"
                : metric.Transform != before.Transform ? $"its transform ({Lower(before.Transform)} to {Lower(metric.Transform)})"
                : !metric.Values.SequenceEqual(before.Values) ? $"its values ([{string.Join(", ", before.Values)}] to [{string.Join(", ", metric.Values)}])"
                : !metric.Buckets.SequenceEqual(before.Buckets) ? $"its buckets ([{string.Join(", ", before.Buckets)}] to [{string.Join(", ", metric.Buckets)}])"
                : null;
            if (change is not null)
                throw new RegistryConflictException(
                    $"{file}:{metric.Line}: metric '{metric.Name}' of {registry.App} version {registry.Version} changes {change} from version {otherVersion}. " +
                    $"A changed metric is a new name: keep '{metric.Name}' as it was (or let it expire) and add the new definition under a new name, " +
                    "because the counts already stored for it were made under the old definition.");
        }
    }

    private static string Lower<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    private static SortedDictionary<int, (CompiledRegistry Registry, string Sha)> Versions(Dictionary<string, SortedDictionary<int, (CompiledRegistry Registry, string Sha)>> byApp, string app)
    {
        if (!byApp.TryGetValue(app, out var versions))
            byApp[app] = versions = new();
        return versions;
    }

    public static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}

/// <summary>All known registry versions of one app.</summary>
internal sealed class AppRegistries(string app, FrozenDictionary<int, CompiledRegistry> versions)
{
    public string App { get; } = app;
    public FrozenDictionary<int, CompiledRegistry> Versions { get; } = versions;
    public CompiledRegistry Latest { get; } = versions.MaxBy(v => v.Key).Value;
    public CompiledRegistry? Version(int version) => Versions.GetValueOrDefault(version);
}

public sealed class RegistryConflictException(string message) : Exception(message);
