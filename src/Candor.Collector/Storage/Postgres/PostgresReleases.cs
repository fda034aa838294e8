namespace Candor.Collector.Storage.Postgres;

/// <summary>Rollups and releases on PostgreSQL: the shared reads (<see cref="ReportReads"/>), releases saved in one statement.</summary>
internal sealed class PostgresReleases(PostgresDatabase db) : IReleaseStore
{
    public async Task<IReadOnlyList<RollupCell>> ReadRollupsAsync(string app, string? metric = null, CancellationToken cancellationToken = default)
    {
        await using var cmd = db.DataSource.CreateCommand();
        return await ReportReads.RollupsAsync(cmd, app, metric, cancellationToken);
    }

    public async Task<IReadOnlyList<RollupCell>> ReadRollupsAsync(string app, string metric, string fromPeriod, string toPeriod, CancellationToken cancellationToken = default)
    {
        await using var cmd = db.DataSource.CreateCommand();
        return await ReportReads.RollupsAsync(cmd, app, metric, fromPeriod, toPeriod, cancellationToken);
    }

    public async Task<IReadOnlyList<StoredRelease>> ReadReleasesAsync(string app, string metric, string fromPeriod, string toPeriod, CancellationToken cancellationToken = default)
    {
        await using var cmd = db.DataSource.CreateCommand();
        return await ReportReads.ReleasesAsync(cmd, app, metric, fromPeriod, toPeriod, cancellationToken);
    }

    public async Task SaveReleasesAsync(IReadOnlyList<StoredRelease> releases, CancellationToken cancellationToken = default)
    {
        if (releases.Count == 0)
            return;
        // One statement; DO NOTHING, never DO UPDATE: a release, once stored, is what the public saw, and
        // when two collectors release a period at once the first commit wins and both serve it.
        await using var cmd = db.DataSource.CreateCommand("""
            INSERT INTO releases (app, metric, period, released_on, document)
            SELECT * FROM unnest(@app::text[], @metric::text[], @period::text[], @on::date[], @doc::text[])
            ON CONFLICT (app, metric, period) DO NOTHING;
            """);
        cmd.Parameters.AddWithValue("app", releases.Select(r => r.App).ToArray());
        cmd.Parameters.AddWithValue("metric", releases.Select(r => r.Metric).ToArray());
        cmd.Parameters.AddWithValue("period", releases.Select(r => r.Period).ToArray());
        cmd.Parameters.AddWithValue("on", releases.Select(r => r.ReleasedOn).ToArray());
        cmd.Parameters.AddWithValue("doc", releases.Select(r => r.Document).ToArray());
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }
}
