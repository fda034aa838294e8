using System.Net;
using Candor.Collector.Hosting;
using Candor.Collector.PrivacyPass;
using Candor.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Candor.Tests.PrivacyPass;

/// <summary>The issuer as its own process (what <c>candor issuer</c> runs) and a collector that only reads its public keys.</summary>
public sealed class SeparateIssuerTests
{
    [Fact]
    public async Task Tokens_from_a_separate_issuer_are_accepted_by_a_collector_that_holds_only_its_public_keys()
    {
        var keys = Path.Combine(Path.GetTempPath(), "candor-tests", "issuer-" + Guid.NewGuid().ToString("n"));
        await using var issuer = IssuerApp.Build(new PrivacyPassOptions { KeyDirectory = keys, IssuanceBudget = 2 }, ["http://127.0.0.1:0"]);
        await issuer.StartAsync();
        var issuerUri = new Uri(issuer.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
        Assert.Single(Directory.GetFiles(keys, "*.key")); // the first key was made at start-up

        // The collector gets only the public half.
        var publicOnly = Path.Combine(Path.GetTempPath(), "candor-tests", "public-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(publicOnly);
        foreach (var pub in Directory.GetFiles(keys, "*.pub"))
            File.Copy(pub, Path.Combine(publicOnly, Path.GetFileName(pub)));
        await using var collector = await CollectorHost.StartAsync(o =>
        {
            o.PrivacyPass.KeyDirectory = publicOnly;
            o.PrivacyPass.DefaultMode = TokenMode.Required;
        }, clockStart: DateTimeOffset.UtcNow.AddMinutes(1));

        // The collector has no issuance endpoint; the issuer has no report endpoint.
        Assert.Equal(HttpStatusCode.NotFound, (await collector.Client.PostAsync(IssuerEndpoints.RequestPathDefault, new ByteArrayContent([]))).StatusCode);

        var wallet = new Candor.Client.Tokens.TokenWallet(Path.Combine(collector.Directory, "client.db"));
        using var http = new HttpClient();
        Assert.Equal(2, await wallet.FillAsync(http, collector.BaseAddress, TestRegistries.App, 5, issuerUri));
        var token = wallet.TokenFor("batch-1")!;
        var response = await TokenKit.PostAsync(collector.Client, $"PrivateToken token=\"{Candor.PrivacyPass.PrivateTokenHeader.Encode(token)}\"");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }
}
