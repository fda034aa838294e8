using System.Net;
using Candor.Collector.Transparency;
using Candor.Tests.Infrastructure;
using Candor.Transparency;
using Microsoft.Extensions.DependencyInjection;

namespace Candor.Tests.Transparency;

/// <summary>
/// The log from a device's point of view, over HTTP on loopback: committed reports are sealed into
/// epochs, each proved included in a checkpoint signed by the key the collector publishes, successive
/// checkpoints proved consistent, and the entries a mirror downloads rebuild the signed root. Every
/// engine runs the same specifications (<see cref="SqliteLogTests"/>, <see cref="PostgresLogTests"/>).
/// </summary>
public abstract class LogEndToEndTests
{
    internal static readonly (string, string, string)[] Linux = [("system.os", "\"linux\"", "linux"), ("app.launches", "10", "10")];

    /// <summary>A collector on this engine (a fresh database), Kestrel on loopback.</summary>
    protected abstract Task<CollectorHost> StartAsync(Action<Candor.Collector.CollectorOptions>? configure = null);

    [StoreFact]
    public async Task Reports_sent_with_commitments_are_proved_included_in_a_signed_checkpoint()
    {
        // Every entry due in the next epoch (K = 1): this is about proofs; the spread has its own tests (EpochJoinTests).
        await using var host = await StartAsync(o => { o.Transparency.EpochSpread = 1; o.Transparency.MinEpochBatches = 10; });
        var sent = new List<LogKit.Sent>();
        for (int i = 0; i < 12; i++)
        {
            var (body, s) = LogKit.Batch(TestRegistries.App, Linux);
            Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(body)).StatusCode);
            sent.AddRange(s);
        }
        // A histogram's canonical value is what the client commits to, whatever its spelling on the wire.
        var (histogram, h) = LogKit.Batch(TestRegistries.App, ("install.age_days", "2", "2"));
        Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(histogram)).StatusCode);
        sent.AddRange(h);

        Assert.Equal(25, await LogKit.SealAsync(host, force: false));
        var key = await LogKit.KeyAsync(host.Client);
        var checkpoint = await LogKit.CheckpointAsync(host.Client, key);
        Assert.Equal(25UL, checkpoint.Size);
        Assert.Equal(host.Options.Transparency.OriginOrDefault(), checkpoint.Origin);
        var indices = new HashSet<ulong>();
        foreach (var s in sent)
            Assert.True(indices.Add(await LogKit.ProveIncludedAsync(host.Client, checkpoint, s.Commitment)));
        Assert.Equal(25, indices.Count);
    }

    [StoreFact]
    public async Task Successive_checkpoints_are_proved_consistent_and_entries_rebuild_the_signed_root()
    {
        await using var host = await StartAsync();
        var key = await LogKit.KeyAsync(host.Client);
        var checkpoints = new List<Checkpoint>();
        foreach (var batches in new[] { 3, 200, 1 })
        {
            for (int i = 0; i < batches; i++)
                Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(LogKit.Batch(TestRegistries.App, Linux).Body)).StatusCode);
            await LogKit.SealAsync(host);
            checkpoints.Add(await LogKit.CheckpointAsync(host.Client, key));
        }
        Assert.Equal([6UL, 406UL, 408UL], checkpoints.Select(c => c.Size));
        for (int a = 0; a < checkpoints.Count; a++)
            for (int b = a; b < checkpoints.Count; b++)
            {
                var (old, now) = (checkpoints[a], checkpoints[b]);
                var response = await host.Client.GetAsync($"/v1/log/consistency?from={old.Size}&to={now.Size}");
                Assert.Contains("immutable", response.Headers.CacheControl!.ToString());
                var proof = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
                Assert.True(MerkleProof.VerifyConsistency(old.Size, now.Size, old.RootHash, now.RootHash, LogKit.Hashes(proof), out var reason), reason);
            }

        // A mirror: every entry, in pages, rebuilds the tree whose root the collector signed.
        var mirror = new MerkleTree();
        for (long start = 0; start < 408; start += 150)
        {
            var page = await LogKit.JsonAsync(host.Client, $"/v1/log/entries?start={start}&count=150");
            foreach (var e in page.GetProperty("entries").EnumerateArray())
            {
                var bytes = Convert.FromBase64String(e.GetString()!);
                Assert.True(LogEntry.TryParse(bytes, out var entry));
                Assert.Equal(LogEntryKind.Report, entry.Kind);
                mirror.AppendEntry(bytes);
            }
        }
        Assert.Equal(408, mirror.Size);
        Assert.Equal(checkpoints[^1].RootHash, mirror.RootHash(408));
        Assert.Equal(checkpoints[0].RootHash, mirror.RootHash(6));
    }

    [StoreFact]
    public async Task An_epoch_waits_until_its_pending_set_holds_enough_batches()
    {
        await using var host = await StartAsync(o => { o.Transparency.MinEpochBatches = 3; o.Transparency.EpochSpread = 1; });
        for (int i = 0; i < 2; i++)
            await host.PostAsync(LogKit.Batch(TestRegistries.App, Linux).Body);
        Assert.Null(await LogKit.SealAsync(host, force: false));
        await Problem.AssertAsync(await host.Client.GetAsync("/v1/log/checkpoint"), HttpStatusCode.NotFound, "no-checkpoint");
        await host.PostAsync(LogKit.Batch(TestRegistries.App, Linux).Body);
        Assert.Equal(6, await LogKit.SealAsync(host, force: false));
        // Nothing new: no empty epoch, no new checkpoint.
        Assert.Null(await LogKit.SealAsync(host, force: true));
    }

    [StoreFact]
    public async Task A_pending_commitment_is_answered_as_pending_until_its_epoch_is_sealed()
    {
        await using var host = await StartAsync();
        var (body, sent) = LogKit.Batch(TestRegistries.App, Linux);
        await host.PostAsync(body);
        await Problem.AssertAsync(await host.Client.GetAsync($"/v1/log/inclusion?commitment={sent[0].Commitment}"), HttpStatusCode.NotFound, "commitment-pending");
        await LogKit.SealAsync(host);
        var checkpoint = await LogKit.CheckpointAsync(host.Client, await LogKit.KeyAsync(host.Client));
        await LogKit.ProveIncludedAsync(host.Client, checkpoint, sent[0].Commitment);
        // Without tree_size: against the latest checkpoint, and not cacheable (the latest moves).
        var latest = await host.Client.GetAsync($"/v1/log/inclusion?commitment={sent[1].Commitment}");
        Assert.Equal("no-cache", latest.Headers.CacheControl!.ToString());
    }

    [StoreFact]
    public async Task A_commitment_known_from_an_earlier_batch_refuses_the_batch_but_a_replay_is_a_replay()
    {
        await using var host = await StartAsync();
        var (body, sent) = LogKit.Batch(TestRegistries.App, Linux);
        Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(body, idempotencyKey: "k1")).StatusCode);
        var replay = await host.PostAsync(body, idempotencyKey: "k1");
        Assert.Equal(HttpStatusCode.Accepted, replay.StatusCode);
        Assert.True(replay.Headers.Contains("Idempotent-Replayed"));

        var before = await host.Store.ReadRawAsync(TestRegistries.App);
        var again = $$"""{"schema":1,"period":"2026-W47","reports":[{"metric":"feature.spellcheck","value":true,"commitment":"{{sent[1].Commitment}}"}]}""";
        foreach (var key in new string?[] { null, "k2" })
        {
            var problem = await Problem.AssertAsync(await host.PostAsync(again, idempotencyKey: key), HttpStatusCode.BadRequest, "invalid-reports");
            var error = Assert.Single(Problem.Errors(problem));
            Assert.Equal((0, "feature.spellcheck"), (error.Index, error.Metric));
            Assert.Contains("already known", error.Reason);
        }
        Assert.Equal(before, await host.Store.ReadRawAsync(TestRegistries.App));
        // Nothing of the refused batch stayed, not even its key: k2 is free for another batch.
        Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(LogKit.Batch(TestRegistries.App, Linux).Body, idempotencyKey: "k2")).StatusCode);

        // Still known once its leaf is in the log.
        await LogKit.SealAsync(host);
        await Problem.AssertAsync(await host.PostAsync(again), HttpStatusCode.BadRequest, "invalid-reports");
    }

    [StoreFact]
    public async Task Two_batches_with_one_commitment_arriving_together_store_one()
    {
        await using var host = await StartAsync();
        var c = CommitmentFieldTests.Fresh();
        var body = $$"""{"schema":1,"period":"2026-W47","reports":[{"metric":"system.os","value":"linux","commitment":"{{c}}"}]}""";
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => host.PostAsync(body)));
        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Accepted);
        Assert.Equal(7, answers.Count(a => a.StatusCode == HttpStatusCode.BadRequest));
        Assert.Equal(1, (await host.Store.ReadRawAsync(TestRegistries.App)).Single().Reports);
    }
}

/// <summary>The log's specifications on SQLite, plus what only a single-file collector shows (its key file, its tables).</summary>
public sealed class SqliteLogTests : LogEndToEndTests
{
    protected override Task<CollectorHost> StartAsync(Action<Candor.Collector.CollectorOptions>? configure = null) => CollectorHost.StartAsync(configure);

    [Fact]
    public async Task The_key_file_is_created_private_and_kept_across_restarts()
    {
        var directory = Path.Combine(Path.GetTempPath(), "candor-tests", Guid.NewGuid().ToString("n"));
        string first;
        await using (var host = await CollectorHost.StartAsync(directory: directory))
            first = await host.Client.GetStringAsync("/v1/log/key");
        var file = Path.Combine(directory, "log-key.pem");
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", await File.ReadAllTextAsync(file));
        await using (var host = await CollectorHost.StartAsync(directory: directory))
            Assert.Equal(first, await host.Client.GetStringAsync("/v1/log/key"));
        Assert.Matches(@"^[^+\s]+\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+\n$", first);
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task A_key_file_that_is_not_a_p256_key_stops_start_up_with_a_message()
    {
        var directory = Path.Combine(Path.GetTempPath(), "candor-tests", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(directory);
        var file = Path.Combine(directory, "bad.pem");
        await File.WriteAllTextAsync(file, "not a key\n");
        var e = await Assert.ThrowsAsync<Candor.Collector.Hosting.CollectorConfigurationException>(() =>
            CollectorHost.StartAsync(o => o.Transparency.KeyFile = file, directory: directory));
        Assert.Contains("Transparency:KeyFile", e.Message);
    }

    [Fact]
    public async Task With_the_log_off_commitments_are_accepted_and_ignored_and_the_log_answers_404()
    {
        await using var host = await StartAsync(o => o.Transparency.Enabled = false);
        var (body, sent) = LogKit.Batch(TestRegistries.App, Linux);
        Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(body)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(body)).StatusCode); // ignored, so not "known" either
        foreach (var path in new[] { "/v1/log/checkpoint", "/v1/log/key", $"/v1/log/inclusion?commitment={sent[0].Commitment}",
                     "/v1/log/consistency?from=1&to=2", "/v1/log/entries?start=0&count=1" })
            await Problem.AssertAsync(await host.Client.GetAsync(path), HttpStatusCode.NotFound, "log-disabled");
        Assert.Null(host.App.Services.GetService<EpochSealer>());
        // No commitment row: the next table's heading follows at once.
        Assert.Matches(@"## commitments\n## [a-z_]+\n", DatabaseContent.Dump(host.DatabasePath).ReplaceLineEndings("\n"));
        Assert.Contains("## log_pending\n## log_state\n1|0|0|", DatabaseContent.Dump(host.DatabasePath).ReplaceLineEndings("\n"));
    }
}

/// <summary>The log's specifications on PostgreSQL.</summary>
[RequiresPostgres]
public sealed class PostgresLogTests : LogEndToEndTests, IAsyncLifetime
{
    private readonly List<TestDatabase> _databases = [];

    protected override async Task<CollectorHost> StartAsync(Action<Candor.Collector.CollectorOptions>? configure = null)
    {
        var database = await TestDatabase.CreateAsync();
        _databases.Add(database);
        return await CollectorHost.StartAsync(o =>
        {
            o.Database = database.ConnectionString;
            configure?.Invoke(o);
        });
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var d in _databases)
            await d.DisposeAsync();
    }
}
