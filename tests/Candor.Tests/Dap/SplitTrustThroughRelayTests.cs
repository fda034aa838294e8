using System.Data.Common;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Candor.Cli.Relay;
using Candor.Client;
using Candor.Client.Transport;
using Candor.Collector.Ohttp;
using Candor.Collector.Publishing;
using Candor.Dap;
using Candor.Registry;
using Candor.Tests.Client;
using Candor.Tests.Infrastructure;
using Candor.Tests.Operations;
using Candor.Vdaf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Candor.Tests.Dap;

/// <summary>
/// Split trust end to end (docs/dap.md, "Split-trust metrics"): Candor clients record a split-trust enum and a
/// plain one; each split-trust value leaves as a Prio3 DAP report through the Oblivious HTTP relay to the
/// Leader (the collector), which aggregates with a Helper on its own database; the collector collects the
/// final week from the Leader and publishes it through the publisher, noise and threshold included.
///
/// On the way, both aggregators' databases are attacked: every row of every table is searched for the
/// values, and the Leader's stored input shares are decoded as measurements. Positive controls: the plain
/// metric's values are found by the same search, and the Leader's rows with the Helper's key (collusion)
/// give every split-trust value.
/// </summary>
public sealed class SplitTrustThroughRelayTests
{
    private const string App = "org.example.split";
    private static readonly string[] Os = ["linux", "windows", "macos", "other"];
    private static readonly string[] Arch = ["amd64", "arm64", "riscv", "sparc"];

    // 24 devices: linux 12, windows 8, macos 4, other 0; the plain arch mirrors them.
    private static readonly int[] Truth = [12, 8, 4, 0];

    private static readonly DateTimeOffset Wednesday = ClientTestKit.Wednesday;                     // 2026-W47
    private static readonly DateTimeOffset NextMonday = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public Task A_split_trust_enum_goes_from_the_client_through_the_relay_to_a_published_noisy_figure_on_sqlite() => RunAsync(postgres: false);

    [PostgresFact]
    public Task A_split_trust_enum_goes_from_the_client_through_the_relay_to_a_published_noisy_figure_on_postgres() => RunAsync(postgres: true);

    private static async Task RunAsync(bool postgres)
    {
        var directory = Path.Combine(Path.GetTempPath(), "candor-tests", "split-trust-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(directory);
        var leaderPort = LoopbackClient.FreePort();
        var helperPort = LoopbackClient.FreePort();
        var leaderUrl = new Uri($"http://127.0.0.1:{leaderPort}/");
        var (leaderTask, helperTask, collector) = DapTaskProvisioner.Create(leaderUrl, new Uri($"http://127.0.0.1:{helperPort}/"),
            new JsonObject { ["type"] = "histogram", ["length"] = 4, ["chunkLength"] = 2 }, timePrecision: 3600, minBatchSize: 10);
        var registryFile = Path.Combine(directory, "registry.yaml");
        await File.WriteAllTextAsync(registryFile, RegistryYaml(leaderTask, helperTask));
        var registry = RegistryParser.ParseFile(registryFile);
        await File.WriteAllTextAsync(Path.Combine(directory, "leader-tasks.json"), DapTaskFile.Write([leaderTask]));
        await File.WriteAllTextAsync(Path.Combine(directory, "helper-tasks.json"), DapTaskFile.Write([helperTask]));
        await File.WriteAllTextAsync(Path.Combine(directory, "collector.json"), collector.ToJson().ToJsonString());

        var owned = new List<IAsyncDisposable>();
        async Task<string?> Database()
        {
            if (!postgres)
                return null;
            var db = await TestDatabase.CreateAsync();
            owned.Add(db);
            return db.ConnectionString;
        }
        var leaderDb = await Database();
        var helperDb = await Database();
        var clock = NextMonday; // both aggregators' clocks: the week has closed, it is not final yet
        await using var leader = await CollectorHost.StartAsync(o =>
        {
            o.Urls = [$"http://127.0.0.1:{leaderPort}"];
            o.RegistryFiles = [registryFile];
            o.DapTasksFile = Path.Combine(directory, "leader-tasks.json");
            o.DapCollectorFiles = [Path.Combine(directory, "collector.json")];
            o.OhttpKeysFile = Path.Combine(directory, "ohttp-keys.json");
            o.PublishEpsilonPerWeek = 40; // small noise, so "within bounds" is tight; the mechanism is the same
            if (leaderDb is not null) o.Database = leaderDb;
        }, directory: Path.Combine(directory, "leader"), clockStart: clock);
        var relay = RelayApp.Build(new RelayOptions { Gateway = new Uri(leader.BaseAddress, GatewayEndpoints.Path), Urls = ["http://127.0.0.1:0"], OperatorUrls = ["http://127.0.0.1:0"] });
        await relay.StartAsync();
        try
        {
            var relayUrl = new Uri(relay.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
            var shippedKeys = await leader.Client.GetByteArrayAsync(GatewayEndpoints.Path);

            // 1. The devices, each with its own store, through the relay. The Helper is not up yet, so the
            //    Leader keeps every report's shares: the moment its database holds the most.
            int device = 0;
            for (var value = 0; value < Os.Length; value++)
                for (var n = 0; n < Truth[value]; n++, device++)
                {
                    using var kit = new ClientTestKit();
                    kit.Clock.Set(Wednesday);
                    var options = kit.Options(leaderUrl, registry: registry);
                    options.Ohttp = new OhttpTransportOptions { Relay = relayUrl, KeyConfigs = shippedKeys };
                    using var client = CandorClient.Create(options);
                    client.GrantConsent();
                    client.Enum("system.os").Set(Os[value]);
                    client.Enum("system.arch").Set(Arch[value]);
                    kit.Clock.Set(NextMonday);
                    var cycle = await client.UploadAsync();
                    Assert.Equal(0, cycle.Pending);
                    Assert.True(cycle.Sent >= 2, $"device {device}: {cycle.Status}, sent {cycle.Sent}");
                    // What the device shows its user is the value itself: the split happens at sending only.
                    Assert.Contains(client.Sent(), s => s.Body.Contains($"\"{Os[value]}\"", StringComparison.Ordinal));
                }

            // 2. The attack on the Leader's database, with the Helper unreachable (nothing aggregated or deleted).
            var leaderRows = await DumpAsync(leader.DatabasePath, leaderDb);
            Assert.DoesNotContain(leaderRows, row => Os.Any(v => row.Text.Contains(v, StringComparison.Ordinal)));
            // Positive control: the same search finds the plain metric's values in the same database.
            Assert.True(leaderRows.Count(row => Arch.Any(v => row.Text.Contains(v, StringComparison.Ordinal))) >= 3,
                "the search must find the plain metric's values, or it cannot show the split-trust ones are absent");
            var shares = await LeaderSharesAsync(leader.DatabasePath, leaderDb);
            Assert.Equal(Truth.Sum(), shares.Count);
            // Decode each stored Leader share as a measurement: a one-hot vector would be a plaintext value.
            Assert.DoesNotContain(shares, s => OneHot(s.LeaderShare) is not null);
            // Positive control: with the Helper's HPKE key (collusion) the same rows give every value.
            var recovered = shares.Select(s => Collude(s, leaderTask, helperTask)).GroupBy(v => v).ToDictionary(g => g.Key, g => g.Count());
            Assert.Equal(Truth.Select((t, i) => (i, t)).Where(p => p.t > 0).ToDictionary(p => p.i, p => p.t), recovered);

            // 3. The Helper comes up on its own database; the week becomes final; the collector releases it.
            await using var helper = await CollectorHost.StartAsync(o =>
            {
                o.Urls = [$"http://127.0.0.1:{helperPort}"];
                o.RegistryFiles = [registryFile];
                o.DapTasksFile = Path.Combine(directory, "helper-tasks.json");
                if (helperDb is not null) o.Database = helperDb;
            }, directory: Path.Combine(directory, "helper"), clockStart: clock);
            var final = new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero).AddDays(leader.Options.PublishAfterDays);
            leader.Clock.Set(final);
            helper.Clock.Set(final);
            var job = leader.App.Services.GetServices<IHostedService>().OfType<ReleaseJob>().Single();
            await job.RunOnceAsync();

            var series = JsonNode.Parse(await leader.Client.GetStringAsync($"/v1/public/apps/{App}/metrics/system.os?from=2026-W47&to=2026-W47"))!;
            Assert.Equal("split-trust", series["aggregation"]!.GetValue<string>());
            var week = series["periods"]!.AsArray().Single()!;
            Assert.Equal("final", week["state"]!.GetValue<string>());
            var published = week["values"]!.AsArray().Where(v => v!["withheld"] is null)
                .ToDictionary(v => v!["value"]!.GetValue<string>(), v => v!["count"]!.GetValue<long>());
            // epsilon per value is about 4.4 here: a noise of 3 or more has probability below 1e-5.
            Assert.InRange(published["linux"], Truth[0] - 3, Truth[0] + 3);
            Assert.InRange(published["windows"], Truth[1] - 3, Truth[1] + 3);
            foreach (var (value, count) in published)
                Assert.InRange(count, Truth[Array.IndexOf(Os, value)] - 3, Truth[Array.IndexOf(Os, value)] + 3);
            var plain = JsonNode.Parse(await leader.Client.GetStringAsync($"/v1/public/apps/{App}/metrics/system.arch?from=2026-W47&to=2026-W47"))!;
            Assert.Equal("plain", plain["aggregation"]!.GetValue<string>());

            var csv = await leader.Client.GetStringAsync($"/v1/public/apps/{App}/metrics/system.os/export.csv?from=2026-W47&to=2026-W47");
            Assert.Contains(csv.Split('\n'), l => l.StartsWith("system.os,2026-W47,final,linux,", StringComparison.Ordinal) && l.EndsWith(",split-trust", StringComparison.Ordinal));
            var page = await leader.Client.GetStringAsync($"/apps/{App}");
            Assert.Contains("<p class=\"split-trust\"><strong>Split trust:</strong>", page);

            // Released once: the Leader holds no report share any more, and the Helper's database never held a value either.
            Assert.Empty(await LeaderSharesAsync(leader.DatabasePath, leaderDb));
            var helperRows = await DumpAsync(helper.DatabasePath, helperDb);
            Assert.NotEmpty(helperRows);
            Assert.DoesNotContain(helperRows, row => Os.Any(v => row.Text.Contains(v, StringComparison.Ordinal)));
        }
        finally
        {
            await relay.StopAsync();
            await relay.DisposeAsync();
            foreach (var o in owned)
                await o.DisposeAsync();
        }
    }

    private static string RegistryYaml(DapTask leader, DapTask helper) => $"""
        app: {App}
        version: 1
        categories:
          system: {"{"} description: Hardware and system settings {"}"}
        metrics:
          system.os:
            type: enum
            category: system
            period: week
            values: [{string.Join(", ", Os)}]
            description: The operating system family.
            purpose: Decide which platforms get packages first.
            expires: never
            split_trust:
              task_id: {leader.IdText}
              leader: {leader.Leader}
              helper: {leader.Helper}
              leader_hpke_config: {DapTask.Base64Url(leader.HpkeKeys[0].Config.Encode())}
              helper_hpke_config: {DapTask.Base64Url(helper.HpkeKeys[0].Config.Encode())}
              vdaf: {"{"} type: histogram, length: 4, chunk_length: 2 {"}"}
          system.arch:
            type: enum
            category: system
            period: week
            values: [{string.Join(", ", Arch)}]
            description: The processor architecture.
            purpose: Decide which builds to make.
            expires: never

        """;

    /// <summary>Every row of every table but the registry's (which lists the allowed values by design), as text: strings, and bytes read as Latin-1.</summary>
    private static async Task<List<(string Table, string Text)>> DumpAsync(string sqlitePath, string? postgres)
    {
        await using DbConnection c = postgres is null
            ? new SqliteConnection($"Data Source={sqlitePath};Mode=ReadOnly;Pooling=False")
            : new NpgsqlConnection(postgres);
        await c.OpenAsync();
        var tables = new List<string>();
        await using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = postgres is null
                ? "SELECT name FROM sqlite_master WHERE type = 'table';"
                : "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE';";
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync())
                tables.Add(r.GetString(0));
        }
        var rows = new List<(string, string)>();
        foreach (var table in tables.Where(t => t != "registries"))
        {
            await using var cmd = c.CreateCommand();
            cmd.CommandText = $"SELECT * FROM \"{table}\";";
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync())
            {
                var text = new StringBuilder(table).Append(':');
                for (var i = 0; i < r.FieldCount; i++)
                    text.Append(r.IsDBNull(i) ? "" : r.GetValue(i) is byte[] bytes ? Encoding.Latin1.GetString(bytes) : Convert.ToString(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)).Append('|');
                rows.Add((table, text.ToString()));
            }
        }
        return rows;
    }

    private sealed record StoredShare(byte[] Report, long Bucket, byte[] PublicShare, byte[] LeaderShare, byte[] HelperShare);

    private static async Task<List<StoredShare>> LeaderSharesAsync(string sqlitePath, string? postgres)
    {
        await using DbConnection c = postgres is null
            ? new SqliteConnection($"Data Source={sqlitePath};Mode=ReadOnly;Pooling=False")
            : new NpgsqlConnection(postgres);
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT report, bucket, public_share, leader_share, helper_share FROM dap_reports;";
        await using var r = await cmd.ExecuteReaderAsync();
        var list = new List<StoredShare>();
        while (await r.ReadAsync())
            list.Add(new StoredShare((byte[])r[0], Convert.ToInt64(r[1], System.Globalization.CultureInfo.InvariantCulture), (byte[])r[2], (byte[])r[3], (byte[])r[4]));
        return list;
    }

    /// <summary>The attack: the first four Field128 elements of the Leader's input share are its measurement share; a one-hot vector would be the value in the clear.</summary>
    private static int? OneHot(byte[] leaderShare)
    {
        int? hot = null;
        for (var i = 0; i < 4; i++)
        {
            Assert.True(Field128.TryRead(leaderShare.AsSpan(i * Field128.EncodedSize, Field128.EncodedSize), out var e));
            if (e == Field128.One)
            {
                if (hot is not null)
                    return null;
                hot = i;
            }
            else if (e != Field128.Zero)
                return null;
        }
        return hot;
    }

    /// <summary>The positive control: the Leader's row opened with the Helper's key too, prepared by both sides and unsharded.</summary>
    private static int Collude(StoredShare s, DapTask leader, DapTask helper)
    {
        var reader = new DapReader(s.HelperShare);
        var sealedShare = HpkeCiphertext.Decode(ref reader);
        var helperShare = PlaintextInputShare.Decode(DapHpke.Open(helper.HpkeKeys[0], DapHpke.InputShareInfo(DapRole.Helper),
            InputShareAad.Encode(leader.Id, new ReportMetadata(s.Report, (ulong)s.Bucket), s.PublicShare), sealedShare)).Payload;
        var vdaf = leader.Vdaf;
        var (leaderState, leaderPrep) = vdaf.PrepareInit(leader.VerifyKey, DapRole.Leader, s.Report, s.PublicShare, s.LeaderShare);
        var (helperState, helperPrep) = vdaf.PrepareInit(leader.VerifyKey, DapRole.Helper, s.Report, s.PublicShare, helperShare);
        var message = vdaf.PrepareSharesToPrepare(leaderPrep, helperPrep);
        var counts = vdaf.Unshard(vdaf.PrepareNext(leaderState, message), vdaf.PrepareNext(helperState, message), 1).Split(',');
        return Array.IndexOf(counts, "1");
    }
}
