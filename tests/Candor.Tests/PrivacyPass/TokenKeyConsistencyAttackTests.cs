using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using Candor.Cli.Relay;
using Candor.Client;
using Candor.Client.Transport;
using Candor.Collector.PrivacyPass;
using Candor.Hpke;
using Candor.Ohttp;
using Candor.PrivacyPass;
using Candor.Tests.Client;
using Candor.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Candor.Tests.PrivacyPass;

/// <summary>
/// A hostile operator (collector front, gateway and issuer in one hand) gives every token-challenge
/// fetch its own fresh RSA token key, so that each token, when redeemed, names the key of the one
/// issuance it came from (that address, that moment). The real client library and the real
/// <c>candor relay</c> (with its shared key cache) stand in front; the operator is a small Kestrel app
/// that speaks Oblivious HTTP and Privacy Pass with Candor's own primitives.
/// </summary>
public sealed class TokenKeyConsistencyAttackTests : IAsyncLifetime
{
    private const int Refills = 5;

    private readonly ClientTestKit _kit = new();
    private HostileOperator _operator = null!;
    private WebApplication _relay = null!;
    private Uri _relayUrl = null!;

    public async Task InitializeAsync()
    {
        _operator = await HostileOperator.StartAsync(Refills);
        _relay = RelayApp.Build(new RelayOptions { Gateway = new Uri(_operator.BaseAddress, "/.well-known/ohttp-gateway"), Urls = ["http://127.0.0.1:0"], OperatorUrls = ["http://127.0.0.1:0"] });
        await _relay.StartAsync();
        _relayUrl = new Uri(_relay.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
    }

    public async Task DisposeAsync()
    {
        await _relay.StopAsync();
        await _relay.DisposeAsync();
        await _operator.DisposeAsync();
        _kit.Dispose();
    }

    private OhttpTransportOptions Ohttp => new() { Relay = _relayUrl, KeyConfigs = OhttpKeyConfig.EncodeList([_operator.GatewayKey.Config]) };

    [Fact]
    public async Task A_front_that_gives_each_challenge_its_own_token_key_gets_no_token_fetched_and_the_device_says_why()
    {
        // Positive control: the client's old rule, the challenge's key taken as is, through the same sealed route.
        using (var sealedHttp = new HttpClient(new ObliviousHttpHandler(Ohttp, new SocketsHttpHandler(), disposeInner: true)) { BaseAddress = new Uri("https://collector.invalid/") })
        using (var toIssuer = new HttpClient { BaseAddress = _operator.BaseAddress })
        {
            var tokens = new List<PrivateToken>();
            for (int i = 0; i < Refills; i++)
            {
                using var doc = JsonDocument.Parse(await sealedHttp.GetStringAsync($"v1/apps/{TestRegistries.App}/token-challenge"));
                var challenge = TokenChallenge.Decode(Base64Url.DecodeFromChars(doc.RootElement.GetProperty("challenge").GetString()!));
                var key = RsaPublicKey.FromSpki(Base64Url.DecodeFromChars(doc.RootElement.GetProperty("token_key").GetString()!));
                var (token, response) = await TokenKit.TryFetchAsync(toIssuer, challenge, key);
                Assert.True(token is not null, $"{(int)response.StatusCode}");
                tokens.Add(token!);
            }
            // Every token names its own key, and the operator's issuance log maps each back to one issuance.
            Assert.Equal(Refills, tokens.Select(t => Convert.ToHexString(t.TokenKeyId)).Distinct().Count());
            Assert.All(tokens, t => Assert.Single(_operator.Issuances, i => i.SequenceEqual(t.TokenKeyId)));
        }
        int issuedByControl = _operator.Issuances.Count;

        // The client as it is now: the challenge's key must be the directory's current key, as the relay's
        // shared copy of the directory shows it to every device. It is not, so nothing is fetched.
        var tap = new WireTap();
        var options = _kit.Options(new Uri("https://collector.invalid/"), tap);
        options.Ohttp = Ohttp;
        options.PrivateTokens = true;
        options.TokenIssuer = _operator.BaseAddress;
        options.TokenWalletSize = 3;
        using var client = CandorClient.Create(options);
        client.GrantConsent();
        for (int i = 0; i < Refills; i++)
            Assert.Equal(0, await client.TokenHandler!.RefillAsync());
        Assert.Equal(0, client.TokenHandler!.Wallet.Available);
        Assert.Equal(issuedByControl, _operator.Issuances.Count); // no blinded request reached the issuer
        Assert.DoesNotContain(tap.Uris, u => u.AbsolutePath == IssuerEndpoints.RequestPathDefault);
        Assert.Contains(client.Log(), e => e.Message.Contains("not the issuer directory's current key", StringComparison.Ordinal));
        // The directory came from the relay's copy, never from the operator directly.
        Assert.DoesNotContain(tap.Uris, u => u.Authority == _operator.BaseAddress.Authority && u.AbsolutePath == IssuerEndpoints.DirectoryPath);
    }

    [Fact]
    public async Task An_issuer_directory_listing_more_than_a_current_and_a_previous_key_is_refused()
    {
        _operator.DirectoryKeys = 3; // e.g. one key per group of devices, all "current"
        _operator.ChallengeWithDirectoryKey = true; // the challenge names the newest of them, as an honest one would
        var options = _kit.Options(new Uri("https://collector.invalid/"), new WireTap());
        options.Ohttp = Ohttp;
        options.PrivateTokens = true;
        options.TokenIssuer = _operator.BaseAddress;
        using var client = CandorClient.Create(options);
        client.GrantConsent();
        Assert.Equal(0, await client.TokenHandler!.RefillAsync());
        Assert.Empty(_operator.Issuances);
        Assert.Contains(client.Log(), e => e.Message.Contains("lists 3 token keys", StringComparison.Ordinal));

        // Positive control: the same operator with a directory of one key (the challenge's) is trusted.
        // (The relay keeps its copy of the three-key directory for its whole window, so this client reads the
        // operator's directory directly: the same check, on a directory of one key.)
        _operator.DirectoryKeys = 1;
        using var fresh = new ClientTestKit();
        var again = fresh.Options(new Uri("https://collector.invalid/"), new WireTap());
        again.Ohttp = new OhttpTransportOptions { Relay = _relayUrl, KeyConfigs = Ohttp.KeyConfigs, TokenDirectoryUrl = new Uri(_operator.BaseAddress, IssuerEndpoints.DirectoryPath) };
        again.PrivateTokens = true;
        again.TokenIssuer = _operator.BaseAddress;
        again.TokenWalletSize = 2;
        using var trusting = CandorClient.Create(again);
        trusting.GrantConsent();
        Assert.Equal(2, await trusting.TokenHandler!.RefillAsync());
    }

    /// <summary>
    /// The issuer rotates honestly (key 1, then key 2 with key 1 as previous), the app restarts, and the
    /// issuer goes back to key 1 as its current key; how many tokens the restarted device then fetches.
    /// <paramref name="forget"/> empties the device's key history while the app is down (the client as it was
    /// when the rule lived in memory only). The directory is read from the operator directly, as in the test
    /// above: the relay would keep its copy for its whole window, and the rule under test is the device's own.
    /// </summary>
    private async Task<(int Added, CandorClient Device)> GoBackToAnOldTokenKeyAfterARestartAsync(bool forget)
    {
        _operator.ChallengeWithDirectoryKey = true;
        CandorClientOptions Options()
        {
            var o = _kit.Options(new Uri("https://collector.invalid/"), new WireTap());
            o.Ohttp = new OhttpTransportOptions { Relay = _relayUrl, KeyConfigs = Ohttp.KeyConfigs, TokenDirectoryUrl = new Uri(_operator.BaseAddress, IssuerEndpoints.DirectoryPath) };
            o.PrivateTokens = true;
            o.TokenIssuer = _operator.BaseAddress;
            o.TokenWalletSize = 1;
            return o;
        }
        using (var device = CandorClient.Create(Options()))
        {
            device.GrantConsent();
            _operator.DirectoryKeys = 1;
            Assert.Equal(1, await device.TokenHandler!.RefillAsync());
            device.TokenHandler.Wallet.Clear();
            _operator.DirectoryKeys = 2; // key 2 current, key 1 previous: key 1 is replaced
            Assert.Equal(1, await device.TokenHandler.RefillAsync());
        }
        if (forget)
        {
            using var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_kit.DataDirectory, Candor.Client.LocalStore.ClientStore.FileName)};Pooling=False");
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "DELETE FROM key_history; DELETE FROM private_tokens;";
            Assert.True(cmd.ExecuteNonQuery() > 0);
        }
        var restarted = CandorClient.Create(Options());
        restarted.TokenHandler!.Wallet.Clear();
        _operator.DirectoryKeys = 1; // back to key 1 as the current key
        return (await restarted.TokenHandler.RefillAsync(), restarted);
    }

    [Fact]
    public async Task A_token_key_replaced_before_a_restart_is_refused_when_the_issuer_goes_back_to_it_after_the_restart()
    {
        var (added, device) = await GoBackToAnOldTokenKeyAfterARestartAsync(forget: false);
        using var _ = device;
        Assert.Equal(0, added);
        Assert.Equal(2, _operator.Issuances.Count); // the two fetches before the restart, nothing after
        Assert.Contains(device.Log(), e => e.Message.Contains("saw replaced by a newer key", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Positive_control_a_restarted_device_that_forgot_its_key_history_takes_the_old_token_key_again()
    {
        var (added, device) = await GoBackToAnOldTokenKeyAfterARestartAsync(forget: true);
        using var _ = device;
        Assert.Equal(1, added);
        Assert.Equal(3, _operator.Issuances.Count);
        Assert.Equal(_operator.Issuances[0], _operator.Issuances[2]); // issued under key 1 again
    }

    /// <summary>The operator: an Oblivious HTTP gateway in front of a token-challenge route, and a token issuer.</summary>
    private sealed class HostileOperator : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly RsaPrivateKey[] _challengeKeys;
        private readonly RsaPrivateKey[] _directoryKeys;
        private int _nextChallenge;

        private HostileOperator(WebApplication app, RsaPrivateKey[] challengeKeys, RsaPrivateKey[] directoryKeys)
        {
            _app = app;
            _challengeKeys = challengeKeys;
            _directoryKeys = directoryKeys;
        }

        public OhttpGatewayKey GatewayKey { get; } = OhttpGatewayKey.Generate(1, X25519.IsSupported ? KemId.X25519Sha256 : KemId.P256Sha256);
        public Uri BaseAddress { get; private set; } = null!;
        public List<byte[]> Issuances { get; } = [];
        public int DirectoryKeys { get; set; } = 1;
        public bool ChallengeWithDirectoryKey { get; set; }

        private static readonly TokenChallenge Challenge = new(TokenChallenge.TokenTypeBlindRsa, "candor-issuer", [], "");

        private static RsaPrivateKey[] DistinctlyNamedKeys(int count)
        {
            var keys = new List<RsaPrivateKey>();
            while (keys.Count < count)
            {
                var key = RsaPrivateKey.Generate();
                if (keys.All(k => k.Public.KeyId[^1] != key.Public.KeyId[^1]))
                    keys.Add(key);
            }
            return [.. keys];
        }

        public static async Task<HostileOperator> StartAsync(int freshKeys)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            // Every key with its own truncated key id (the id's last byte, all a token request names), as an
            // issuer must keep them (RFC 9578): with random keys two of the pool shared one about once in
            // three runs, the front then signed with the wrong key, and the refill failed for that reason alone.
            var keys = DistinctlyNamedKeys(freshKeys + 3);
            var op = new HostileOperator(app, keys[..freshKeys], keys[freshKeys..]);
            app.MapGet("/.well-known/ohttp-gateway", () => Results.Bytes(OhttpKeyConfig.EncodeList([op.GatewayKey.Config]), OhttpMediaTypes.Keys));
            app.MapPost("/.well-known/ohttp-gateway", (Func<HttpContext, Task<IResult>>)op.GatewayAsync);
            app.MapGet(IssuerEndpoints.DirectoryPath, op.Directory);
            app.MapPost(IssuerEndpoints.RequestPathDefault, (Func<HttpContext, Task<IResult>>)op.IssueAsync);
            await app.StartAsync();
            op.BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
            return op;
        }

        private async Task<IResult> GatewayAsync(HttpContext http)
        {
            var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            var opened = GatewayKey.Decapsulate(body.ToArray());
            var inner = BinaryHttpRequest.Decode(opened.BinaryHttpRequest);
            BinaryHttpResponse answer;
            if (inner.Path.EndsWith("/token-challenge", StringComparison.Ordinal))
            {
                // A fresh key for every fetch (the pool is as long as one run of fetches): the tag.
                var key = ChallengeWithDirectoryKey ? _directoryKeys[DirectoryKeys - 1] : _challengeKeys[(Interlocked.Increment(ref _nextChallenge) - 1) % _challengeKeys.Length];
                var json = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?>
                {
                    ["mode"] = "required",
                    ["challenge"] = PrivateTokenHeader.Encode(Challenge.Encoded),
                    ["token_key"] = PrivateTokenHeader.Encode(key.Public.Spki),
                    ["issuer_name"] = Challenge.IssuerName,
                });
                answer = new BinaryHttpResponse { Status = 200, Headers = [new("content-type", "application/json")], Content = json };
            }
            else
                answer = new BinaryHttpResponse { Status = 404, Headers = [], Content = Encoding.UTF8.GetBytes("no") };
            return Results.Bytes(opened.SealResponse(answer.Encode()), OhttpMediaTypes.Response);
        }

        private IResult Directory()
        {
            var keys = _directoryKeys.Take(DirectoryKeys).Select((k, i) => new Dictionary<string, object>
            {
                ["token-type"] = (int)TokenChallenge.TokenTypeBlindRsa,
                ["token-key"] = PrivateTokenHeader.Encode(k.Public.Spki),
                ["not-before"] = 1_700_000_000 + i,
            }).Reverse().ToArray();
            return Results.Bytes(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
            {
                ["issuer-request-uri"] = IssuerEndpoints.RequestPathDefault,
                ["token-keys"] = keys,
            }), IssuerEndpoints.DirectoryMediaType);
        }

        private async Task<IResult> IssueAsync(HttpContext http)
        {
            var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            var request = TokenRequest.Decode(body.ToArray());
            var key = _challengeKeys.Concat(_directoryKeys).First(k => k.Public.KeyId[^1] == request.TruncatedTokenKeyId);
            lock (Issuances)
                Issuances.Add(key.Public.KeyId);
            return Results.Bytes(TokenIssuer.Issue(key, request), IssuerEndpoints.ResponseMediaType);
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
