using System.Data.Common;

namespace Candor.Collector.Storage;

/// <summary><see cref="IRegistryStore"/> for both engines: the same two statements on any pooled connection.</summary>
internal sealed class RegistryStore(Func<CancellationToken, Task<DbConnection>> open) : IRegistryStore
{
    public async Task SaveRegistryAsync(StoredRegistry registry, CancellationToken cancellationToken = default)
    {
        await using var c = await open(cancellationToken);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "INSERT INTO registries (app, version, yaml, sha256) VALUES (@app, @version, @yaml, @sha) ON CONFLICT (app, version) DO NOTHING;";
        DbParameters.AddAll(cmd, [("app", registry.App), ("version", registry.Version), ("yaml", registry.Yaml), ("sha", registry.Sha256)]);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<StoredRegistry>> LoadRegistriesAsync(CancellationToken cancellationToken = default)
    {
        await using var c = await open(cancellationToken);
        await using var cmd = c.CreateCommand();
        return await ReportReads.RegistriesAsync(cmd, cancellationToken);
    }
}
