using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Candor.AspNetCore;
using Candor.AspNetCore.Api;
using Candor.AspNetCore.Consent;
using Candor.AspNetCore.Experiments;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Candor.Tests.AccountConsent;

/// <summary>
/// A real account service for the tests: Kestrel on 127.0.0.1 (a free port), the consent library on a
/// SQLite file (or the PostgreSQL database given), the test bearer scheme, and three probe endpoints that
/// show what the app's own code sees: <c>/probe/gate</c>, <c>/probe/signin</c>, <c>/probe/experiment</c>.
/// </summary>
public sealed class ConsentHost : IAsyncDisposable
{
    private readonly string _directory;
    private readonly bool _ownsDirectory;

    private ConsentHost(WebApplication app, string directory, bool ownsDirectory)
    {
        App = app;
        _directory = directory;
        _ownsDirectory = ownsDirectory;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Client = new HttpClient { BaseAddress = new Uri(address) };
    }

    public WebApplication App { get; }
    public HttpClient Client { get; }
    public string DatabasePath => Path.Combine(_directory, "consent.db");

    public static async Task<ConsentHost> StartAsync(string? database = null, string? directory = null, Action<CandorConsentOptions>? configure = null)
    {
        bool owns = directory is null;
        directory ??= Path.Combine(Path.GetTempPath(), "candor-tests", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(directory);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddAuthentication(TestBearerHandler.Scheme)
            .AddScheme<AuthenticationSchemeOptions, TestBearerHandler>(TestBearerHandler.Scheme, null);
        builder.Services.AddCandorConsent(o =>
        {
            o.Database = database ?? Path.Combine(directory, "consent.db");
            configure?.Invoke(o);
        });
        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapCandorConsent();
        app.MapGet("/probe/gate", async (HttpContext http, IMetricsGate gate) => Results.Json(await gate.DecideAsync(http)));
        app.MapPost("/probe/signin", async (HttpContext http, IMetricsGate gate, string user) =>
            Results.Json(new MetricsOptoutBody(await gate.OnSignedInAsync(http, user))));
        app.MapGet("/probe/experiment", async (HttpContext http, ConsentExperiments experiments, bool? canExclude) =>
            Results.Json(await experiments.AssignAsync(http, "new-editor", ["control", "treatment"], unitId: null, exclusionPossible: canExclude ?? true)));
        await app.StartAsync();
        return new ConsentHost(app, directory, owns);
    }

    public static HttpRequestMessage Request(HttpMethod method, string path, string? sub = null, string? scope = null,
        string? body = null, bool gpc = false, bool dnt = false, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(method, path);
        if (sub is not null || scope is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestBearerHandler.Token(sub, scope));
        if (gpc) request.Headers.Add("Sec-GPC", "1");
        if (dnt) request.Headers.Add("DNT", "1");
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, contentType);
        return request;
    }

    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request) => await Client.SendAsync(request);

    /// <summary>GET /v1/metrics_optout as <paramref name="sub"/>; the value (asserting 200).</summary>
    public async Task<bool?> GetOwnAsync(string sub, bool gpc = false, bool dnt = false)
    {
        using var response = await Client.SendAsync(Request(HttpMethod.Get, "/v1/metrics_optout", sub, gpc: gpc, dnt: dnt));
        return await ValueAsync(response);
    }

    /// <summary>POST /v1/metrics_optout as <paramref name="sub"/>; the value answered (asserting 200).</summary>
    public async Task<bool?> SetOwnAsync(string sub, bool? value, bool gpc = false, bool dnt = false)
    {
        var json = value is null ? "null" : value.Value ? "true" : "false";
        using var response = await Client.SendAsync(Request(HttpMethod.Post, "/v1/metrics_optout", sub, body: $$"""{ "metrics_optout": {{json}} }""", gpc: gpc, dnt: dnt));
        return await ValueAsync(response);
    }

    public async Task<JsonElement> GateAsync(string? sub, bool gpc = false, bool dnt = false)
    {
        using var response = await Client.SendAsync(Request(HttpMethod.Get, "/probe/gate", sub, gpc: gpc, dnt: dnt));
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    public static async Task<bool?> ValueAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        var e = JsonDocument.Parse(body).RootElement.GetProperty("metrics_optout");
        return e.ValueKind == JsonValueKind.Null ? null : e.GetBoolean();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        if (_ownsDirectory)
        {
            try { Directory.Delete(_directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
