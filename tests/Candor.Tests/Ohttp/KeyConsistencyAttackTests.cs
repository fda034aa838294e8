using System.Buffers.Text;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Candor.Announcements;
using Candor.Client;
using Candor.Client.Transport;
using Candor.Collector.Ohttp;
using Candor.Hpke;
using Candor.Ohttp;
using Candor.Tests.Client;
using Candor.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Candor.Tests.Ohttp;

/// <summary>
/// The operator (collector, gateway and announcement signer together) tries to give devices keys of
/// their own, through the real chain (client library, <c>candor relay</c> with its key cache, the
/// collector's gateway on SQLite). Each attack is shown to work against the acceptance rule Candor had
/// before, <c>(shipped + announced) ∩ served</c>, reproduced here as <see cref="OldRule"/> on the very
/// inputs each device saw (the positive control), and to be refused by the client as it is now.
/// </summary>
public sealed class KeyConsistencyAttackTests : IAsyncLifetime
{
    private static readonly DateTimeOffset NextMonday = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    private readonly ClientTestKit _kitA = new();
    private readonly ClientTestKit _kitB = new();
    private readonly ECDsa _signer = AnnouncementKeys.Generate();
    private OhttpChain _chain = null!;

    private string Announcements => Path.Combine(_chain.Collector.Directory, "announcements");
    private string KeysFile => _chain.Collector.Options.OhttpKeysFile!;
    private IReadOnlyList<OhttpKeyConfig> Shipped => OhttpKeyConfig.ParseList(_chain.ShippedKeys);

    public async Task InitializeAsync() =>
        _chain = await OhttpChain.StartAsync(o => o.AnnouncementsDirectory = Path.Combine(Path.GetDirectoryName(o.Database)!, "announcements"));

    public async Task DisposeAsync()
    {
        await _chain.DisposeAsync();
        _signer.Dispose();
        _kitA.Dispose();
        _kitB.Dispose();
    }

    private CandorClient Device(ClientTestKit kit, WireTap tap)
    {
        var options = _chain.ClientOptions(kit, tap);
        options.AnnouncementKeys = [_signer.ExportSubjectPublicKeyInfoPem()];
        options.RecordActivity = false;
        var client = CandorClient.Create(options);
        client.GrantConsent();
        return client;
    }

    private void PublishVouchingFor(IEnumerable<OhttpKeyConfig> configs)
    {
        var source = AnnouncementSource.Load(Announcements, TestRegistries.App);
        source.OhttpKeys = Base64Url.EncodeToString(OhttpKeyConfig.EncodeList(configs));
        source.Publish(Announcements, _signer, _kitA.Clock.GetUtcNow());
    }

    /// <summary>What the device remembered from the announcement it accepted (its own store, as the client reads it).</summary>
    private static IReadOnlyList<OhttpKeyConfig> Remembered(ClientTestKit kit)
    {
        using var c = new SqliteConnection($"Data Source={Path.Combine(kit.DataDirectory, Candor.Client.LocalStore.ClientStore.FileName)};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT value FROM state WHERE key = '{AnnouncedGatewayKeys.StateKey}';";
        return cmd.ExecuteScalar() is string text ? OhttpKeyConfig.ParseList(Base64Url.DecodeFromChars(text)) : [];
    }

    /// <summary>The acceptance rule before key consistency, exactly as ObliviousHttpHandler had it: any trusted key the gateway serves.</summary>
    private static OhttpKeyConfig? OldRule(IReadOnlyList<OhttpKeyConfig> shipped, IReadOnlyList<OhttpKeyConfig> announced, IReadOnlyList<OhttpKeyConfig> served)
    {
        var trusted = shipped.Concat(announced).ToList();
        var common = trusted.Where(t => served.Any(s => s.Encode().AsSpan().SequenceEqual(t.Encode()))).ToList();
        return (X25519.IsSupported ? common.FirstOrDefault(c => c.Kem == KemId.X25519Sha256) : null) ?? common.FirstOrDefault(c => c.Kem == KemId.P256Sha256);
    }

    /// <summary>What every device gets from the consistency route: the relay's shared copy of the gateway's keys.</summary>
    private async Task<IReadOnlyList<OhttpKeyConfig>> ServedThroughRelayAsync()
    {
        using var http = new HttpClient();
        return OhttpKeyConfig.ParseList(await http.GetByteArrayAsync(new Uri(_chain.RelayUrl, GatewayEndpoints.Path)));
    }

    /// <summary>
    /// The operator edits its key file by hand (nothing in <c>candor ohttp</c> makes two staged sets):
    /// adds keys, or publishes exactly <paramref name="publish"/> and retires every other key.
    /// </summary>
    private void EditKeyFile(IEnumerable<OhttpGatewayKey>? addStaged = null, IReadOnlyCollection<byte>? publish = null)
    {
        var root = JsonNode.Parse(File.ReadAllText(KeysFile))!;
        var keys = root["keys"]!.AsArray();
        var now = _chain.Collector.Clock.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);
        foreach (var key in addStaged ?? [])
            keys.Add(new JsonObject
            {
                ["id"] = key.KeyId,
                ["kem"] = key.Config.Kem == KemId.X25519Sha256 ? "x25519" : "p256",
                ["private_key"] = Convert.ToBase64String(key.PrivateKey),
                ["created"] = now,
                ["retired"] = null,
                ["staged"] = true,
            });
        if (publish is not null)
            foreach (var node in keys)
            {
                bool published = publish.Contains((byte)(int)node!["id"]!);
                node["staged"] = null;
                if (published)
                    node["retired"] = null;
                else if (node["retired"] is null)
                    node["retired"] = now;
            }
        File.WriteAllText(KeysFile, root.ToJsonString());
        File.SetLastWriteTimeUtc(KeysFile, DateTime.UtcNow.AddSeconds(keys.Count)); // a new mtime even within one clock tick
        // The gateway re-reads within 5 s; the relay's shared copy turns over after its window (1 h).
        _chain.Collector.Clock.Advance(TimeSpan.FromHours(1) + OhttpKeyRing.RecheckInterval);
    }

    /// <summary>Seals a probe to <paramref name="config"/> and posts it through the relay; the key id the gateway (and relay) saw.</summary>
    private async Task<(HttpStatusCode Status, byte KeyIdOnTheWire)> ProbeAsync(OhttpKeyConfig config)
    {
        var inner = new BinaryHttpRequest { Method = "GET", Scheme = "https", Authority = "collector.invalid", Path = $"/v1/apps/{TestRegistries.App}/registry", Headers = [], Content = [] };
        var sealedRequest = ObliviousRequest.Encapsulate(config, inner.Encode());
        using var http = new HttpClient();
        var content = new ByteArrayContent(sealedRequest.Encapsulated);
        content.Headers.ContentType = new MediaTypeHeaderValue(OhttpMediaTypes.Request);
        int before;
        lock (_chain.RelayToGateway.Requests) before = _chain.RelayToGateway.Requests.Count;
        using var answer = await http.PostAsync(_chain.RelayUrl, content);
        byte seen;
        lock (_chain.RelayToGateway.Requests) seen = _chain.RelayToGateway.Requests.Skip(before).Single(r => r.Body.Length > 0).Body[0];
        return (answer.StatusCode, seen);
    }

    private static KemId Preferred => X25519.IsSupported ? KemId.X25519Sha256 : KemId.P256Sha256;

    [Fact]
    public async Task Two_announcements_vouching_for_different_staged_keys_cannot_give_two_devices_their_own_key_each_refuses_and_says_so()
    {
        // The operator stages two key pairs at once: 3 and 4 for device A, 5 and 6 for device B.
        OhttpGatewayKey[] extra = X25519.IsSupported
            ? [OhttpGatewayKey.Generate(3, KemId.X25519Sha256), OhttpGatewayKey.Generate(4, KemId.P256Sha256), OhttpGatewayKey.Generate(5, KemId.X25519Sha256), OhttpGatewayKey.Generate(6, KemId.P256Sha256)]
            : [OhttpGatewayKey.Generate(3, KemId.P256Sha256), OhttpGatewayKey.Generate(4, KemId.P256Sha256), OhttpGatewayKey.Generate(5, KemId.P256Sha256), OhttpGatewayKey.Generate(6, KemId.P256Sha256)];
        EditKeyFile(addStaged: extra);
        var forA = extra.Take(2).Select(k => k.Config).ToList();
        var forB = extra.Skip(2).Select(k => k.Config).ToList();

        var tapA = new WireTap();
        var tapB = new WireTap();
        using var deviceA = Device(_kitA, tapA);
        using var deviceB = Device(_kitB, tapB);
        PublishVouchingFor([.. Shipped, .. forA]);
        Assert.NotNull(await deviceA.FetchAnnouncementsAsync()); // through the relay, as the design asks
        PublishVouchingFor([.. Shipped, .. forB]);
        Assert.NotNull(await deviceB.FetchAnnouncementsAsync());
        Assert.Equal(extra.Take(2).Select(k => k.KeyId), Remembered(_kitA).Where(c => c.KeyId > 2).Select(c => c.KeyId));
        Assert.Equal(extra.Skip(2).Select(k => k.KeyId), Remembered(_kitB).Where(c => c.KeyId > 2).Select(c => c.KeyId));

        // The operator publishes 3-6 (and retires the shipped keys): the same served set for everyone.
        EditKeyFile(publish: [3, 4, 5, 6]);
        var served = await ServedThroughRelayAsync();
        Assert.Equal([3, 4, 5, 6], served.Select(c => (int)c.KeyId).Order());

        // Positive control: the old rule, on each device's own inputs, gives A key 3 and B key 5 ...
        var oldA = OldRule(Shipped, Remembered(_kitA), served);
        var oldB = OldRule(Shipped, Remembered(_kitB), served);
        Assert.NotNull(oldA);
        Assert.NotNull(oldB);
        Assert.NotEqual(oldA.KeyId, oldB.KeyId);
        // ... and the gateway opens both, so every request of A names key 3 and of B key 5, for the gateway and the relay alike.
        var probeA = await ProbeAsync(oldA);
        var probeB = await ProbeAsync(oldB);
        Assert.Equal(HttpStatusCode.OK, probeA.Status);
        Assert.Equal(HttpStatusCode.OK, probeB.Status);
        Assert.Equal(oldA.KeyId, probeA.KeyIdOnTheWire);
        Assert.Equal(oldB.KeyId, probeB.KeyIdOnTheWire);

        // The client as it is now: both devices refuse, seal nothing, and say why in their log.
        foreach (var (device, kit, tap) in new[] { (deviceA, _kitA, tapA), (deviceB, _kitB, tapB) })
        {
            ClientTestKit.RecordSomething(device);
            kit.Clock.Set(NextMonday); // the 24-hour key check is due again
            int before = tap.Requests.Count;
            var cycle = await device.UploadAsync();
            Assert.Equal(0, cycle.Sent);
            Assert.True(cycle.Pending > 0);
            Assert.All(tap.Requests.Skip(before), r => Assert.Empty(r.Body));
            Assert.Contains(device.Log(), e => e.Message.Contains($"serves 2 {(Preferred == KemId.X25519Sha256 ? "X25519" : "P-256")} keys at once", StringComparison.Ordinal)
                || e.Message.Contains("serves 4 P-256 keys at once", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_device_that_sees_a_served_key_its_announcement_does_not_vouch_for_refuses_and_says_it_saw_two_sets()
    {
        var next = OhttpGatewayKey.Generate(3, Preferred);
        var other = OhttpGatewayKey.Generate(5, Preferred);
        EditKeyFile(addStaged: [next, other]);
        var tap = new WireTap();
        using var device = Device(_kitA, tap);
        PublishVouchingFor([.. Shipped, next.Config]);
        Assert.NotNull(await device.FetchAnnouncementsAsync());

        // Every device is served key 5 alone; this one was told the next key is 3.
        EditKeyFile(publish: [5]);
        var served = await ServedThroughRelayAsync();
        Assert.Equal([5], served.Select(c => (int)c.KeyId));
        // Positive control: the old rule would also refuse here (no common key): this attack needs the
        // old rule's overlap, which the first test shows; what the new client adds is saying why.
        ClientTestKit.RecordSomething(device);
        _kitA.Clock.Set(NextMonday);
        var cycle = await device.UploadAsync();
        Assert.Equal(0, cycle.Sent);
        Assert.Contains(device.Log(), e => e.Message.Contains("Two different gateway key sets", StringComparison.Ordinal) && e.Message.Contains("id 5", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_gateway_that_alternates_between_two_served_sets_is_caught_by_a_device_that_checks_in_both()
    {
        var next = OhttpGatewayKey.Generate(3, Preferred);
        EditKeyFile(addStaged: [next]);
        var tap = new WireTap();
        using var device = Device(_kitA, tap);
        PublishVouchingFor([.. Shipped, next.Config]);
        Assert.NotNull(await device.FetchAnnouncementsAsync());

        // Window 1: key 3 alone, which the announcement vouched for: an honest-looking rotation, accepted.
        EditKeyFile(publish: [next.KeyId]);
        ClientTestKit.RecordSomething(device);
        _kitA.Clock.Set(NextMonday);
        int sealedBefore = tap.Requests.Count;
        Assert.Equal(5, (await device.UploadAsync()).Sent);
        Assert.All(tap.Requests.Skip(sealedBefore).Where(r => r.Body.Length > 0), r => Assert.Equal(next.KeyId, r.Body[0]));

        // Window 2: the shipped keys again (sorting devices by the window they check in).
        var shippedIds = Shipped.Select(c => c.KeyId).ToHashSet();
        EditKeyFile(publish: shippedIds);
        var served = await ServedThroughRelayAsync();
        Assert.Equal(shippedIds.Order(), served.Select(c => c.KeyId).Order());
        // Positive control: the old rule takes the shipped key again without a word.
        Assert.Contains(OldRule(Shipped, Remembered(_kitA), served)!.KeyId, shippedIds);

        _kitA.Clock.Advance(TimeSpan.FromDays(8)); // the next week's reports, and the next key check
        ClientTestKit.RecordSomething(device);
        _kitA.Clock.Advance(TimeSpan.FromDays(7));
        int checkedBefore = tap.Requests.Count;
        var cycle = await device.UploadAsync();
        Assert.Equal(0, cycle.Sent);
        Assert.All(tap.Requests.Skip(checkedBefore), r => Assert.Empty(r.Body));
        Assert.Contains(device.Log(), e => e.Message.Contains("served again after this device saw it replaced", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_relay_serves_every_device_the_same_copy_of_the_gateway_keys_for_its_whole_window()
    {
        int fetchesBefore;
        lock (_chain.RelayToGateway.Requests) fetchesBefore = _chain.RelayToGateway.Requests.Count(r => r.Body.Length == 0);
        using var http = new HttpClient();
        var first = await http.GetByteArrayAsync(new Uri(_chain.RelayUrl, GatewayEndpoints.Path));

        // The operator changes the served set right after: straight from the gateway, the next device would see it
        // (the positive control: without the shared copy the operator picks each asker's set by time) ...
        OhttpKeyRing.Rotate(KeysFile, _chain.Collector.Clock.GetUtcNow(), TimeSpan.FromDays(7));
        _chain.Collector.Clock.Advance(OhttpKeyRing.RecheckInterval + TimeSpan.FromSeconds(1));
        var direct = await _chain.Collector.Client.GetByteArrayAsync(GatewayEndpoints.Path);
        Assert.NotEqual(first, direct);

        // ... but through the relay every device in the window gets the first copy, whatever it sends.
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_chain.RelayUrl, GatewayEndpoints.Path));
        request.Headers.CacheControl = new CacheControlHeaderValue { NoCache = true, MaxAge = TimeSpan.Zero };
        using var second = await http.SendAsync(request);
        Assert.Equal(first, await second.Content.ReadAsByteArrayAsync());
        Assert.True(second.Headers.CacheControl?.MaxAge > TimeSpan.Zero);
        int fetches;
        lock (_chain.RelayToGateway.Requests) fetches = _chain.RelayToGateway.Requests.Count(r => r.Body.Length == 0) - fetchesBefore;
        Assert.Equal(1, fetches);

        // After the window, everyone gets the new set.
        _chain.Collector.Clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(direct, await http.GetByteArrayAsync(new Uri(_chain.RelayUrl, GatewayEndpoints.Path)));
    }

    /// <summary>
    /// A device accepts the vouched-for key 3 (so the shipped keys are replaced), the app restarts, and the
    /// operator serves the shipped keys again; what the restarted device sends. <paramref name="forget"/>
    /// empties the device's key history while the app is down: the client as it was when rule 4 lived in memory only.
    /// </summary>
    private async Task<(UploadCycle Cycle, IReadOnlyList<byte> KeyIds, CandorClient Device)> ServeTheOldKeysAfterARestartAsync(bool forget)
    {
        var next = OhttpGatewayKey.Generate(3, Preferred);
        EditKeyFile(addStaged: [next]);
        var tap = new WireTap();
        using (var device = Device(_kitA, tap))
        {
            PublishVouchingFor([.. Shipped, next.Config]);
            Assert.NotNull(await device.FetchAnnouncementsAsync());
            EditKeyFile(publish: [next.KeyId]);
            ClientTestKit.RecordSomething(device);
            _kitA.Clock.Set(NextMonday);
            Assert.Equal(5, (await device.UploadAsync()).Sent);
        }
        if (forget)
        {
            using var c = new SqliteConnection($"Data Source={Path.Combine(_kitA.DataDirectory, Candor.Client.LocalStore.ClientStore.FileName)};Pooling=False");
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "DELETE FROM key_history;";
            Assert.True(cmd.ExecuteNonQuery() > 0); // the history was there to forget
        }

        // The operator serves the shipped keys again, to a device that has just restarted.
        var shippedIds = Shipped.Select(c => c.KeyId).ToHashSet();
        EditKeyFile(publish: shippedIds);
        Assert.Equal(shippedIds.Order(), (await ServedThroughRelayAsync()).Select(c => c.KeyId).Order());
        var restarted = Device(_kitA, tap);
        _kitA.Clock.Advance(TimeSpan.FromDays(8));
        ClientTestKit.RecordSomething(restarted);
        _kitA.Clock.Advance(TimeSpan.FromDays(7));
        int before = tap.Requests.Count;
        var cycle = await restarted.UploadAsync();
        List<byte> ids;
        lock (tap.Requests)
            ids = tap.Requests.Skip(before).Where(r => r.Body.Length > 0).Select(r => r.Body[0]).ToList();
        return (cycle, ids, restarted);
    }

    [Fact]
    public async Task A_key_replaced_before_a_restart_is_refused_when_the_operator_serves_it_again_after_the_restart()
    {
        var (cycle, keyIds, device) = await ServeTheOldKeysAfterARestartAsync(forget: false);
        using var _ = device;
        Assert.Equal(0, cycle.Sent);
        Assert.Empty(keyIds); // nothing was sealed, to any key
        Assert.Contains(device.Log(), e => e.Message.Contains("served again after this device saw it replaced", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Positive_control_a_restarted_device_that_forgot_its_key_history_seals_to_the_old_key_again()
    {
        var (cycle, keyIds, device) = await ServeTheOldKeysAfterARestartAsync(forget: true);
        using var _ = device;
        Assert.True(cycle.Sent > 0);
        var shippedIds = Shipped.Select(c => c.KeyId).ToHashSet();
        Assert.NotEmpty(keyIds);
        Assert.All(keyIds, id => Assert.Contains(id, shippedIds)); // sealed to the key the device had seen replaced
    }
}
