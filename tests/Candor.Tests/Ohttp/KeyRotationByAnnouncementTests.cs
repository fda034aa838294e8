using System.Buffers.Text;
using System.Security.Cryptography;
using Candor.Announcements;
using Candor.Client;
using Candor.Client.Transport;
using Candor.Collector.Ohttp;
using Candor.Ohttp;
using Candor.Tests.Client;
using Candor.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Candor.Tests.Ohttp;

/// <summary>
/// A gateway key rotation without an app release: the next keys are staged, vouched for in the signed
/// announcements (fetched through the relay), then published; clients that read the announcement keep
/// sending, through the real chain, and clients that did not are refused as before.
/// </summary>
public sealed class KeyRotationByAnnouncementTests : IAsyncLifetime
{
    private static readonly DateTimeOffset NextMonday = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    private readonly ClientTestKit _kit = new();
    private readonly ClientTestKit _otherKit = new();
    private readonly ECDsa _signer = AnnouncementKeys.Generate();
    private OhttpChain _chain = null!;

    private string Announcements => Path.Combine(_chain.Collector.Directory, "announcements");
    private string KeysFile => _chain.Collector.Options.OhttpKeysFile!;

    public async Task InitializeAsync() =>
        _chain = await OhttpChain.StartAsync(o => o.AnnouncementsDirectory = Path.Combine(Path.GetDirectoryName(o.Database)!, "announcements"));

    public async Task DisposeAsync()
    {
        await _chain.DisposeAsync();
        _signer.Dispose();
        _kit.Dispose();
        _otherKit.Dispose();
    }

    private CandorClient Client(ClientTestKit kit, WireTap tap, bool ohttp = true)
    {
        var options = ohttp ? _chain.ClientOptions(kit, tap) : kit.Options(_chain.Collector.BaseAddress, tap);
        options.AnnouncementKeys = [_signer.ExportSubjectPublicKeyInfoPem()];
        options.RecordActivity = false;
        var client = CandorClient.Create(options);
        client.GrantConsent();
        return client;
    }

    private void PublishVouchingFor(byte[] configs)
    {
        var source = AnnouncementSource.Load(Announcements, TestRegistries.App);
        source.OhttpKeys = Base64Url.EncodeToString(configs);
        source.Publish(Announcements, _signer, _kit.Clock.GetUtcNow());
    }

    private static string? Remembered(ClientTestKit kit)
    {
        using var c = new SqliteConnection($"Data Source={Path.Combine(kit.DataDirectory, Candor.Client.LocalStore.ClientStore.FileName)};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT value FROM state WHERE key = '{AnnouncedGatewayKeys.StateKey}';";
        return cmd.ExecuteScalar() as string;
    }

    [Fact]
    public async Task After_a_rotation_announced_beforehand_through_the_relay_clients_seal_to_the_new_key_and_others_are_refused()
    {
        var staged = OhttpKeyConfig.ParseList(OhttpKeyRing.Stage(KeysFile, _chain.Collector.Clock.GetUtcNow()));
        _chain.Collector.Clock.Advance(OhttpKeyRing.RecheckInterval + TimeSpan.FromSeconds(1));
        Assert.Equal(_chain.ShippedKeys, await _chain.Collector.Client.GetByteArrayAsync(GatewayEndpoints.Path)); // staged keys are not published
        PublishVouchingFor(OhttpKeyRing.AnnounceableConfigs(KeysFile));

        var tap = new WireTap();
        using var reader = Client(_kit, tap);
        Assert.NotNull(await reader.FetchAnnouncementsAsync()); // through the relay, sealed to the shipped key
        Assert.NotNull(Remembered(_kit));
        var otherTap = new WireTap();
        using var other = Client(_otherKit, otherTap); // never read the announcement

        // The rotation publishes the staged keys; past the overlap the shipped ones open nothing any more.
        OhttpKeyRing.Rotate(KeysFile, _chain.Collector.Clock.GetUtcNow(), TimeSpan.FromDays(_chain.Collector.Options.OhttpKeyOverlapDays));
        _chain.Collector.Clock.Advance(TimeSpan.FromDays(_chain.Collector.Options.OhttpKeyOverlapDays) + OhttpKeyRing.RecheckInterval);
        var served = OhttpKeyConfig.ParseList(await _chain.Collector.Client.GetByteArrayAsync(GatewayEndpoints.Path));
        Assert.Equal(staged.Select(c => c.KeyId).Order(), served.Select(c => c.KeyId).Order());

        ClientTestKit.RecordSomething(reader);
        _kit.Clock.Set(NextMonday); // the 24-hour key check is due again
        int before = tap.Requests.Count;
        var cycle = await reader.UploadAsync();
        Assert.Equal(5, cycle.Sent);
        var sealedIds = tap.Requests.Skip(before).Where(r => r.Body.Length > 0).Select(r => r.Body[0]).Distinct().ToList();
        Assert.All(sealedIds, id => Assert.Contains(id, staged.Select(c => c.KeyId)));
        Assert.Equal(5, (await _chain.Collector.Store.ReadRawAsync(TestRegistries.App)).Sum(r => r.Reports));

        ClientTestKit.RecordSomething(other);
        _otherKit.Clock.Set(NextMonday);
        var refused = await other.UploadAsync();
        Assert.Equal("retrying later", refused.Status);
        Assert.Equal(5, refused.Pending);
        Assert.Contains(other.Log(), e => e.Message.Contains("differs from the one shipped", StringComparison.Ordinal));
        Assert.All(otherTap.Requests, r => Assert.Empty(r.Body)); // nothing sealed to a key it does not trust
    }

    [Fact]
    public async Task Keys_vouched_for_in_an_announcement_fetched_without_the_relay_are_not_remembered()
    {
        OhttpKeyRing.Stage(KeysFile, _chain.Collector.Clock.GetUtcNow());
        PublishVouchingFor(OhttpKeyRing.AnnounceableConfigs(KeysFile));
        using var direct = Client(_kit, new WireTap(), ohttp: false);
        Assert.NotNull(await direct.FetchAnnouncementsAsync());
        Assert.Null(Remembered(_kit));
    }
}
