using Candor.Client;
using Candor.Client.Consent;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Client;

/// <summary>
/// Privacy invariant 10 for every public call that reaches the network: with consent unset, denied, or
/// decided by <c>DO_NOT_TRACK</c> or a machine policy, not one request reaches a real Kestrel listener
/// (every connection would tell the operator the device's address and that the app runs). The positive
/// control: with consent granted, every one of those calls does reach it.
/// </summary>
public sealed class NetworkConsentGateTests : IAsyncLifetime
{
    private readonly ClientTestKit _kit = new();
    private RecordingFront _listener = null!;

    public async Task InitializeAsync() => _listener = await RecordingFront.StartAsync();

    public async Task DisposeAsync()
    {
        await _listener.DisposeAsync();
        _kit.Dispose();
    }

    /// <summary>Every public call of the client that can reach the network, by name.</summary>
    private static readonly (string Name, Func<CandorClient, Task> Call)[] NetworkCalls =
    [
        ("VerifyReportsAsync", c => c.VerifyReportsAsync()),
        ("CompareCheckpointAsync", c => c.CompareCheckpointAsync("a checkpoint")),
        ("DeleteReportsAsync", c => c.DeleteReportsAsync()),
        ("CompareAsync", c => c.CompareAsync("system.os")),
        ("RefillTokensAsync", c => c.RefillTokensAsync()),
        ("FetchAnnouncementsAsync", c => c.FetchAnnouncementsAsync()),
        ("FetchAnnouncementsIfDueAsync", c => c.FetchAnnouncementsIfDueAsync()),
        ("UploadAsync", c => c.UploadAsync()),
        ("VerifyNextReceiptIfDueAsync", c => c.VerifyNextReceiptIfDueAsync()),
    ];

    private CandorClient Create()
    {
        var options = _kit.Options(_listener.Url);
        options.PrivateTokens = true;
        options.AnnouncementKeys = [System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256).ExportSubjectPublicKeyInfoPem()];
        return CandorClient.Create(options);
    }

    public static TheoryData<string> States => new() { "unset", "denied", "do-not-track", "machine-policy" };

    [Theory]
    [MemberData(nameof(States))]
    public async Task Without_consent_no_public_call_reaches_the_network(string state)
    {
        if (state == "do-not-track")
            _kit.Environment["DO_NOT_TRACK"] = "1";
        if (state == "machine-policy")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_kit.PolicyFile)!);
            File.WriteAllText(_kit.PolicyFile, "{\"enabled\": false}");
        }
        using var client = Create();
        if (state is "denied" or "machine-policy")
        {
            client.GrantConsent();
            ClientTestKit.RecordSomething(client);
            if (state == "denied")
                client.DenyConsent();
        }
        _kit.Clock.Advance(TimeSpan.FromDays(30));
        Assert.False(client.Consent.IsGranted);

        foreach (var (name, call) in NetworkCalls)
        {
            if (state == "denied" && name == "DeleteReportsAsync")
                continue; // the user's own "no" lets a deletion by receipt out (LogVerificationTests.Consent_revoked_the_user_can_still_delete_what_was_sent)
            try
            {
                await call(client);
            }
            catch (ConsentRequiredException e)
            {
                Assert.StartsWith("Nothing was sent", e.Message);
            }
            Assert.True(_listener.Snapshot().Count == 0, $"{name} reached the network with consent {state}");
        }
    }

    [Fact]
    public async Task The_calls_an_app_makes_say_why_nothing_was_sent()
    {
        using var client = Create();
        var e = await Assert.ThrowsAsync<ConsentRequiredException>(() => client.VerifyReportsAsync());
        Assert.Contains("the user has not been asked yet", e.Message);
        Assert.IsAssignableFrom<InvalidOperationException>(e); // the CLI and apps that catch InvalidOperationException keep working
        await Assert.ThrowsAsync<ConsentRequiredException>(() => client.RefillTokensAsync());
        await Assert.ThrowsAsync<ConsentRequiredException>(() => client.CompareAsync("system.os"));
        await Assert.ThrowsAsync<ConsentRequiredException>(() => client.DeleteReportsAsync());
        Assert.Empty(_listener.Snapshot());
    }

    [Fact]
    public async Task Positive_control_with_consent_every_network_call_reaches_the_listener()
    {
        using var client = Create();
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        _kit.Clock.Set(new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero));
        // A receipt that counts as sent, so a deletion has something to reveal.
        await client.UploadAsync();

        foreach (var (name, call) in NetworkCalls.Where(c => c.Name is not ("UploadAsync" or "VerifyNextReceiptIfDueAsync" or "FetchAnnouncementsIfDueAsync" or "DeleteReportsAsync")))
        {
            int before = _listener.Snapshot().Count;
            try { await call(client); }
            catch (Exception e) when (e is HttpRequestException or InvalidOperationException or InvalidDataException) { }
            Assert.True(_listener.Snapshot().Count > before, $"{name} did not reach the listener even with consent");
        }
        Assert.Contains(_listener.Snapshot(), r => r.PathAndQuery.EndsWith("/reports"));
    }
}
