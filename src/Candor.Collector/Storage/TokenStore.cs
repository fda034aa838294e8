using System.Data.Common;

namespace Candor.Collector.Storage;

/// <summary>
/// <see cref="ITokenStore"/> for both engines: one SQL text per statement (both take the same upserts,
/// <c>RETURNING</c> and <c>@name</c> parameters), one dialect branch for the list of kept keys. Each
/// statement is atomic on its own, so it runs on any pooled connection, not the engine's writer.
/// </summary>
internal sealed class TokenStore(Func<CancellationToken, Task<DbConnection>> open, SqlDialect dialect) : ITokenStore
{
    public async Task<int> PurgeSpentTokensAsync(IReadOnlyCollection<byte[]> keepKeyIds, CancellationToken cancellationToken = default)
    {
        // An empty list keeps nothing on both: NOT IN () and NOT (= ANY('{}')) are both true for every row.
        object keep = dialect == SqlDialect.Postgres
            ? keepKeyIds.ToArray()
            : System.Text.Json.JsonSerializer.Serialize(keepKeyIds.Select(Convert.ToHexString).ToList(), Api.ApiJsonContext.Default.ListString);
        return await ExecuteAsync(dialect == SqlDialect.Postgres
                ? "DELETE FROM spent_tokens WHERE NOT (token_key = ANY(@keep));"
                : "DELETE FROM spent_tokens WHERE token_key NOT IN (SELECT unhex(value) FROM json_each(@keep));",
            [("keep", keep)], cancellationToken);
    }

    public async Task<long> CountSpentTokensAsync(CancellationToken cancellationToken = default)
    {
        await using var c = await open(cancellationToken);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM spent_tokens;";
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<bool> TryTakeIssuanceBudgetAsync(long period, byte[] partition, int tokens, int budget, CancellationToken cancellationToken = default)
    {
        await using var c = await open(cancellationToken);
        await using var cmd = c.CreateCommand();
        // One statement: the conflict locks the row (SQLite serialises writers), so two issuers taking the last
        // token at once cannot both get it, and a request over the budget takes nothing.
        cmd.CommandText = """
            INSERT INTO issuance_budgets (period, client_tag, used) SELECT @period, @partition, @tokens WHERE @tokens <= @budget
            ON CONFLICT (period, client_tag) DO UPDATE SET used = issuance_budgets.used + excluded.used
                WHERE issuance_budgets.used + excluded.used <= @budget
            RETURNING used;
            """;
        DbParameters.AddAll(cmd, [("period", period), ("partition", partition), ("tokens", tokens), ("budget", budget)]);
        return await cmd.ExecuteScalarAsync(cancellationToken) is not null;
    }

    public Task<int> PurgeIssuanceBudgetsAsync(long period, CancellationToken cancellationToken = default) =>
        ExecuteAsync("DELETE FROM issuance_budgets WHERE period < @period;", [("period", period)], cancellationToken);

    private async Task<int> ExecuteAsync(string sql, (string Name, object Value)[] parameters, CancellationToken cancellationToken)
    {
        await using var c = await open(cancellationToken);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        DbParameters.AddAll(cmd, parameters);
        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }
}
