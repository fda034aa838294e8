using System.Net;
using Candor.Client;
using Candor.Registry;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Client;

/// <summary>A data directory, a manual clock and an empty environment for one client under test.</summary>
public sealed class ClientTestKit : IDisposable
{
    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("candor-client-").FullName;

    /// <summary>Wednesday of 2026-W47, so the week closes a few days later.</summary>
    public static readonly DateTimeOffset Wednesday = new(2026, 11, 18, 10, 0, 0, TimeSpan.Zero);

    public ManualClock Clock { get; } = new(Wednesday);

    /// <summary>The process environment is never read: CI=true or DO_NOT_TRACK on the test machine must not change results.</summary>
    public Dictionary<string, string> Environment { get; } = new();

    public string PolicyFile => Path.Combine(DataDirectory, "no-policy", "policy.json");

    public static MetricRegistry V1 => RegistryParser.Parse(TestRegistries.V1, "test-v1.yaml");
    public static MetricRegistry V2 => RegistryParser.Parse(TestRegistries.V2, "test-v2.yaml");

    public CandorClientOptions Options(Uri? collector = null, HttpMessageHandler? handler = null, MetricRegistry? registry = null) => new()
    {
        Registry = registry ?? V1,
        DataDirectory = DataDirectory,
        CollectorUrl = collector,
        HttpMessageHandler = handler,
        TimeProvider = Clock,
        BackgroundWork = false,
        ThrowOnMisuse = true,
        FirstUploadDelayMin = TimeSpan.Zero,
        FirstUploadDelayMax = TimeSpan.Zero,
        Environment = name => Environment.GetValueOrDefault(name),
        PolicyFile = PolicyFile,
        Random = new Random(7),
    };

    public CandorClient Create(Uri? collector = null, HttpMessageHandler? handler = null, MetricRegistry? registry = null) =>
        CandorClient.Create(Options(collector, handler, registry));

    /// <summary>Records one value of every type into the current week.</summary>
    public static void RecordSomething(CandorClient client)
    {
        for (int i = 0; i < 7; i++) client.Counter("app.launches").Increment();
        client.Enum("system.os").Set("linux");
        client.Flag("feature.spellcheck").Set();
        client.Quantity("install.age_days").Record(120);
        client.Histogram("startup.ms").Record(130);
        client.Histogram("startup.ms").Record(300);
        client.Histogram("startup.ms").Record(120);
    }

    public void Dispose()
    {
        try { Directory.Delete(DataDirectory, true); } catch (IOException) { }
    }
}

/// <summary>Records the exact requests a client puts on the wire, then passes them on to the real collector.</summary>
public sealed class WireTap(HttpMessageHandler? inner = null) : DelegatingHandler(inner ?? new SocketsHttpHandler())
{
    public List<(byte[] Body, Dictionary<string, string> Headers)> Requests { get; } = new();

    /// <summary>The exact address of every request, query included.</summary>
    public List<Uri> Uris { get; } = new();

    /// <summary>Set to answer without forwarding (a fake answer from "the network").</summary>
    public Func<HttpRequestMessage, HttpResponseMessage?>? Intercept { get; set; }

    /// <summary>Set to simulate a crash after the collector stored the batch but before the client saw the answer.</summary>
    public bool LoseAnswer { get; set; }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        var headers = request.Headers.Concat(request.Content?.Headers ?? Enumerable.Empty<KeyValuePair<string, IEnumerable<string>>>())
            .ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
        lock (Requests)
        {
            Requests.Add((body, headers));
            Uris.Add(request.RequestUri!);
        }
        if (Intercept?.Invoke(request) is { } fake)
            return fake;
        var response = await base.SendAsync(request, cancellationToken);
        if (LoseAnswer)
        {
            response.Dispose();
            throw new HttpRequestException("The connection was reset (simulated crash before the answer arrived).");
        }
        return response;
    }
}
