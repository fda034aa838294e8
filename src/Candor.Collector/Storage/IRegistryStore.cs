namespace Candor.Collector.Storage;

/// <summary>Every registry version an app has served (<see cref="Registry.RegistryCatalog"/>).</summary>
public interface IRegistryStore
{
    /// <summary>Remembers a registry version, so that clients on older versions keep validating after restarts.</summary>
    Task SaveRegistryAsync(StoredRegistry registry, CancellationToken cancellationToken = default);

    /// <summary>Every stored version, ordered by app and version.</summary>
    Task<IReadOnlyList<StoredRegistry>> LoadRegistriesAsync(CancellationToken cancellationToken = default);
}

public sealed record StoredRegistry(string App, int Version, string Yaml, string Sha256);
