using Microsoft.Data.Sqlite;

namespace Candor.Collector.Storage.Sqlite;

/// <summary>Rollups and releases on SQLite: the shared reads (<see cref="ReportReads"/>) on pooled connections, releases saved on the writer.</summary>
internal sealed class SqliteReleases(SqliteDatabase db) : IReleaseStore
{
    public async Task<IReadOnlyList<RollupCell>> ReadRollupsAsync(string app, string? metric = null, CancellationToken cancellationToken = default)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await using var cmd = c.CreateCommand();
        return await ReportReads.RollupsAsync(cmd, app, metric, cancellationToken);
    }

    public async Task<IReadOnlyList<RollupCell>> ReadRollupsAsync(string app, string metric, string fromPeriod, string toPeriod, CancellationToken cancellationToken = default)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await using var cmd = c.CreateCommand();
        return await ReportReads.RollupsAsync(cmd, app, metric, fromPeriod, toPeriod, cancellationToken);
    }

    public async Task<IReadOnlyList<StoredRelease>> ReadReleasesAsync(string app, string metric, string fromPeriod, string toPeriod, CancellationToken cancellationToken = default)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await using var cmd = c.CreateCommand();
        return await ReportReads.ReleasesAsync(cmd, app, metric, fromPeriod, toPeriod, cancellationToken);
    }

    public async Task SaveReleasesAsync(IReadOnlyList<StoredRelease> releases, CancellationToken cancellationToken = default)
    {
        await db.WriteAsync(async writer =>
        {
            using var tx = writer.BeginTransaction(deferred: false);
            await using var cmd = writer.CreateCommand();
            cmd.Transaction = tx;
            // DO NOTHING, never DO UPDATE: a release, once stored, is what the public saw.
            cmd.CommandText = "INSERT INTO releases (app, metric, period, released_on, document) VALUES ($app, $metric, $period, $on, $doc) ON CONFLICT (app, metric, period) DO NOTHING;";
            var app = cmd.Parameters.Add("$app", SqliteType.Text);
            var metric = cmd.Parameters.Add("$metric", SqliteType.Text);
            var period = cmd.Parameters.Add("$period", SqliteType.Text);
            var on = cmd.Parameters.Add("$on", SqliteType.Text);
            var doc = cmd.Parameters.Add("$doc", SqliteType.Text);
            foreach (var release in releases)
            {
                app.Value = release.App; metric.Value = release.Metric; period.Value = release.Period;
                on.Value = release.ReleasedOn.ToString("yyyy-MM-dd"); doc.Value = release.Document;
                await cmd.ExecuteNonQueryAsync(cancellationToken);
            }
            tx.Commit();
            return true;
        }, cancellationToken);
    }
}
