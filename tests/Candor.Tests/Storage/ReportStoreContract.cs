using Candor.Collector.Storage;
using Candor.Protocol;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Storage;

/// <summary>
/// What every <see cref="IReportStore"/> engine must do. An engine's test class derives from this and
/// says how to open a fresh store and how to reopen the same one; every test here then runs against it.
/// </summary>
public abstract partial class ReportStoreContract : IAsyncLifetime
{
    private protected IReportStore Store { get; set; } = null!;

    /// <summary>A new, empty store (not yet migrated).</summary>
    private protected abstract IReportStore CreateStore();

    /// <summary>A second store object on the same data as the last <see cref="CreateStore"/>.</summary>
    private protected abstract IReportStore ReopenStore();

    /// <summary>A <c>count(*)</c> (or other integer) query run directly on the store's database, to see what a member left behind.</summary>
    private protected abstract Task<long> CountAsync(string sql);

    public async Task InitializeAsync()
    {
        Store = CreateStore();
        await Store.MigrateAsync();
    }

    public virtual async Task DisposeAsync() => await Store.DisposeAsync();

    private protected static readonly DateOnly Today = new(2026, 11, 22);

    private protected static AppendRequest Request(string app, byte[]? key = null, byte[]? body = null, int accepted = 2, params ValidatedReport[] reports) =>
        new(app, reports.Length > 0 ? reports : [Report("system.os", "linux"), Report("app.launches", "10")], key, body ?? (key is null ? null : [1, 2, 3]),
            new IngestResponse(reports.Length > 0 ? reports.Length : accepted, 86400), Today);

    private protected static ValidatedReport Report(string metric, string value, string period = "2026-W47") => new(metric, period, value, null);

    [StoreFact]
    public async Task Appending_a_group_stores_each_batch_and_answers_in_order()
    {
        var outcomes = await Store.AppendGroupAsync([Request("app.a"), Request("app.b"), Request("app.a")]);
        Assert.Equal(3, outcomes.Length);
        Assert.All(outcomes, o => Assert.Equal(AppendOutcomeKind.Stored, o.Kind));
        Assert.Equal(4, (await Store.ReadRawAsync("app.a")).Sum(r => r.Reports));
        Assert.Equal(2, (await Store.ReadRawAsync("app.b")).Sum(r => r.Reports));
    }

    [StoreFact]
    public async Task Rollups_add_up_across_groups()
    {
        await Store.AppendGroupAsync([Request("app.a"), Request("app.a")]);
        await Store.AppendGroupAsync([Request("app.a")]);
        var cells = await Store.ReadRollupsAsync("app.a");
        Assert.Equal(2, cells.Count);
        Assert.All(cells, c => Assert.Equal((3L, 3L), (c.Reports, c.Total)));
        Assert.Single(await Store.ReadRollupsAsync("app.a", "system.os"));
    }

    [StoreFact]
    public async Task Histogram_rollups_keep_reports_and_observations_per_bucket()
    {
        var h = new ValidatedReport("startup.ms", "2026-W47", """{"100":3,"250":1}""", [new("100", 3), new("250", 1)]);
        await Store.AppendGroupAsync([Request("app.a", reports: h), Request("app.a", reports: h)]);
        var cells = await Store.ReadRollupsAsync("app.a", "startup.ms");
        Assert.Equal([("100", 2L, 6L), ("250", 2L, 2L)], cells.Select(c => (c.Value, c.Reports, c.Total)));
        Assert.Equal(2, (await Store.ReadRawAsync("app.a")).Sum(r => r.Reports));
    }

    [StoreFact]
    public async Task A_known_key_with_the_same_body_is_replayed_and_stores_nothing()
    {
        byte[] key = [9, 9, 9];
        var first = await Store.AppendGroupAsync([Request("app.a", key, accepted: 2)]);
        var again = await Store.AppendGroupAsync([Request("app.a", key) with { Response = new IngestResponse(2, 999) }]);
        Assert.Equal(AppendOutcomeKind.Replayed, again[0].Kind);
        Assert.Equal(first[0].Response, again[0].Response); // the first answer, not the new one
        Assert.Equal(2, (await Store.ReadRawAsync("app.a")).Sum(r => r.Reports));
    }

    [StoreFact]
    public async Task A_key_seen_twice_in_one_group_is_stored_once()
    {
        byte[] key = [7];
        var outcomes = await Store.AppendGroupAsync([Request("app.a", key), Request("app.a", key)]);
        Assert.Equal([AppendOutcomeKind.Stored, AppendOutcomeKind.Replayed], outcomes.Select(o => o.Kind));
        Assert.Equal(2, (await Store.ReadRawAsync("app.a")).Sum(r => r.Reports));
    }

    [StoreFact]
    public async Task A_known_key_with_another_body_is_refused_and_stores_nothing()
    {
        byte[] key = [5];
        await Store.AppendGroupAsync([Request("app.a", key, body: [1])]);
        var outcomes = await Store.AppendGroupAsync([Request("app.a", key, body: [2])]);
        Assert.Equal(AppendOutcomeKind.KeyReused, outcomes[0].Kind);
        Assert.Equal(2, (await Store.ReadRawAsync("app.a")).Sum(r => r.Reports));
    }

    [StoreFact]
    public async Task Old_keys_are_purged_and_then_count_as_new()
    {
        byte[] key = [4];
        await Store.AppendGroupAsync([Request("app.a", key)]);
        Assert.Equal(0, await Store.PurgeIdempotencyKeysAsync(Today));
        Assert.Equal(1, await Store.PurgeIdempotencyKeysAsync(Today.AddDays(1)));
        var outcomes = await Store.AppendGroupAsync([Request("app.a", key)]);
        Assert.Equal(AppendOutcomeKind.Stored, outcomes[0].Kind);
    }

    private static SpentToken Token(byte keyId, byte nonce) => new(Enumerable.Repeat(keyId, 32).ToArray(), Enumerable.Repeat(nonce, 32).ToArray());

    [StoreFact]
    public async Task A_token_spent_before_is_refused_and_nothing_of_its_batch_is_stored()
    {
        var first = await Store.AppendGroupAsync([Request("app.a") with { Token = Token(1, 7) }]);
        var again = await Store.AppendGroupAsync([Request("app.a", key: [4, 4]) with { Token = Token(1, 7) }]);
        Assert.Equal(AppendOutcomeKind.Stored, first[0].Kind);
        Assert.Equal(AppendOutcomeKind.TokenSpent, again[0].Kind);
        Assert.Equal(2, (await Store.ReadRawAsync("app.a")).Sum(r => r.Reports));
        // The refused batch's idempotency key was not kept either: with a fresh token it is a new batch.
        var fresh = await Store.AppendGroupAsync([Request("app.a", key: [4, 4]) with { Token = Token(1, 8) }]);
        Assert.Equal(AppendOutcomeKind.Stored, fresh[0].Kind);
        Assert.Equal(2, await Store.CountSpentTokensAsync());
    }

    [StoreFact]
    public async Task One_token_in_two_batches_of_one_group_counts_once()
    {
        var outcomes = await Store.AppendGroupAsync([Request("app.a") with { Token = Token(1, 9) }, Request("app.a") with { Token = Token(1, 9) }]);
        Assert.Equal([AppendOutcomeKind.Stored, AppendOutcomeKind.TokenSpent], outcomes.Select(o => o.Kind));
        Assert.Equal(2, (await Store.ReadRawAsync("app.a")).Sum(r => r.Reports));
    }

    [StoreFact]
    public async Task A_retry_of_a_stored_batch_with_its_token_is_replayed_not_refused()
    {
        byte[] key = [5, 5];
        await Store.AppendGroupAsync([Request("app.a", key) with { Token = Token(2, 1) }]);
        var retry = await Store.AppendGroupAsync([Request("app.a", key) with { Token = Token(2, 1) }]);
        Assert.Equal(AppendOutcomeKind.Replayed, retry[0].Kind);
    }

    [StoreFact]
    public async Task Spent_tokens_of_retired_keys_are_forgotten_and_those_of_accepted_keys_kept()
    {
        await Store.AppendGroupAsync([Request("app.a") with { Token = Token(1, 1) }, Request("app.a") with { Token = Token(2, 1) },
            Request("app.a") with { Token = Token(3, 1) }]);
        Assert.Equal(1, await Store.PurgeSpentTokensAsync([Token(2, 0).KeyId, Token(3, 0).KeyId]));
        Assert.Equal(2, await Store.CountSpentTokensAsync());
        Assert.Equal(AppendOutcomeKind.TokenSpent, (await Store.AppendGroupAsync([Request("app.a") with { Token = Token(2, 1) }]))[0].Kind);
    }

    [StoreFact]
    public async Task Registries_are_kept_once_per_app_and_version()
    {
        await Store.SaveRegistryAsync(new("app.a", 1, "yaml-1", "sha-1"));
        await Store.SaveRegistryAsync(new("app.a", 1, "yaml-1", "sha-1"));
        await Store.SaveRegistryAsync(new("app.a", 2, "yaml-2", "sha-2"));
        var all = await Store.LoadRegistriesAsync();
        Assert.Equal([("app.a", 1), ("app.a", 2)], all.Select(r => (r.App, r.Version)));
    }

    [StoreFact]
    public async Task Stored_data_survives_closing_and_reopening()
    {
        await Store.AppendGroupAsync([Request("app.a", [1])]);
        await Store.DisposeAsync();
        Store = ReopenStore();
        await Store.MigrateAsync();
        Assert.Equal(2, (await Store.ReadRawAsync("app.a")).Sum(r => r.Reports));
        Assert.Equal(AppendOutcomeKind.Replayed, (await Store.AppendGroupAsync([Request("app.a", [1])]))[0].Kind);
    }

    [StoreFact]
    public async Task Identical_reports_share_one_raw_row_whatever_batch_or_group_they_came_in()
    {
        await Store.AppendGroupAsync([Request("app.a"), Request("app.a", reports: [Report("system.os", "linux"), Report("m.z", "1")])]);
        await Store.AppendGroupAsync([Request("app.a")]);
        var raw = await Store.ReadRawAsync("app.a");
        Assert.Equal([("app.launches", 2L), ("m.z", 1L), ("system.os", 3L)], raw.Select(r => (r.Metric, r.Reports)));
    }

    [StoreFact]
    public async Task The_stored_content_depends_only_on_which_reports_arrived_not_on_their_order_or_grouping()
    {
        // Arrival order and batching are what would link reports of one submission; if the content
        // is the same for every order and grouping, storage cannot reveal them.
        var batches = Enumerable.Range(0, 30).Select(i => Request("app.a", reports:
            [Report("system.os", (i % 3).ToString()), Report("app.launches", (i % 5).ToString()), Report("m.x", (i % 2).ToString())])).ToList();
        foreach (var b in batches)
            await Store.AppendGroupAsync([b]);
        var oneByOne = await Store.ReadRawAsync("app.a");
        var rollupsOneByOne = await Store.ReadRollupsAsync("app.a");

        var shuffled = batches.Select(b => b with { App = "app.b" }).OrderBy(_ => Random.Shared.Next()).ToList();
        await Store.AppendGroupAsync(shuffled.Take(11).ToList());
        await Store.AppendGroupAsync(shuffled.Skip(11).ToList());
        var grouped = await Store.ReadRawAsync("app.b");

        Assert.Equal(oneByOne.Select(r => r with { App = "" }), grouped.Select(r => r with { App = "" }));
        Assert.Equal(rollupsOneByOne.Select(r => r with { App = "" }), (await Store.ReadRollupsAsync("app.b")).Select(r => r with { App = "" }));
    }

    [StoreFact]
    public async Task A_stored_release_is_never_replaced_and_ranges_read_only_their_periods()
    {
        StoredRelease Release(string period, string doc) => new("app.a", "system.os", period, Today, doc);
        await Store.SaveReleasesAsync([Release("2026-W46", "first"), Release("2026-W47", "first")]);
        // A second collector releasing the same period (or a bug) cannot change what was published.
        await Store.SaveReleasesAsync([Release("2026-W47", "second"), Release("2026-W48", "second")]);
        var all = await Store.ReadReleasesAsync("app.a", "system.os", "2026-W40", "2026-W52");
        Assert.Equal([("2026-W46", "first"), ("2026-W47", "first"), ("2026-W48", "second")], all.Select(r => (r.Period, r.Document)));
        Assert.Equal(["2026-W47"], (await Store.ReadReleasesAsync("app.a", "system.os", "2026-W47", "2026-W47")).Select(r => r.Period));
        Assert.Empty(await Store.ReadReleasesAsync("app.a", "app.launches", "2026-W40", "2026-W52"));
        Assert.Equal(Today, all[0].ReleasedOn);
    }

    [StoreFact]
    public async Task Rollups_can_be_read_for_a_range_of_periods()
    {
        await Store.AppendGroupAsync([Request("app.a", reports: [Report("system.os", "linux", "2026-W46"), Report("system.os", "linux", "2026-W47"), Report("system.os", "macos", "2026-W48")])]);
        var cells = await Store.ReadRollupsAsync("app.a", "system.os", "2026-W47", "2026-W48");
        Assert.Equal([("2026-W47", "linux"), ("2026-W48", "macos")], cells.Select(c => (c.Period, c.Value)));
    }

    [StoreFact]
    public async Task Raw_rows_of_periods_past_retention_are_purged_rollups_stay_and_the_purge_is_logged()
    {
        // Ends: 2026-W47 on 2026-11-23, day 2026-11-20 on 2026-11-21, day 2026-11-23 on 2026-11-24.
        ValidatedReport[] reports = [Report("system.os", "linux", "2026-W47"), Report("candor.active", "true", "2026-11-20"), Report("candor.active", "true", "2026-11-23")];
        await Store.AppendGroupAsync([Request("app.a", reports: reports), Request("app.a", reports: reports), Request("app.b", reports: reports)]);
        var rollupsBefore = await Store.ReadRollupsAsync("app.a");

        var purged = await Store.PurgeRawAsync("app.a", new DateOnly(2026, 11, 23), Today);
        Assert.Equal(("app.a", 2L, 4L), (purged.App, purged.RawRows, purged.Reports));
        Assert.Equal([("2026-11-23", 2L)], (await Store.ReadRawAsync("app.a")).Select(r => (r.Period, r.Reports)));
        Assert.Equal(rollupsBefore, await Store.ReadRollupsAsync("app.a"));
        Assert.Equal(3, (await Store.ReadRawAsync("app.b")).Count);

        // Nothing left to purge: no new line in the log.
        Assert.Equal(0, (await Store.PurgeRawAsync("app.a", new DateOnly(2026, 11, 23), Today)).RawRows);
        Assert.Equal([new PurgeRecord("app.a", Today, new DateOnly(2026, 11, 23), 2, 4)], await Store.ReadPurgesAsync("app.a"));
        Assert.Empty(await Store.ReadPurgesAsync("app.b"));
    }
}
