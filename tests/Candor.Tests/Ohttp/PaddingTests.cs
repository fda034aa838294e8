using System.Net;
using Candor.Client;
using Candor.Client.Transport;
using Candor.Ohttp;
using Candor.Registry;
using Candor.Tests.Client;

namespace Candor.Tests.Ohttp;

/// <summary>
/// The relay knows each device's address and sees the length of every sealed request and answer. The
/// attack: plant a population whose devices, between them, send every value of every metric of the
/// example registry as split parts, and record the lengths on the relay's side of the wire (a recording
/// hop between the clients and the real <c>candor relay</c>). With padding, every part has one length
/// and every answer one length; the positive control, the same population unpadded, shows the lengths
/// telling metrics and values apart.
/// </summary>
public sealed class PaddingTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly DateTimeOffset WeekEnd = new(2026, 11, 23, 0, 0, 0, TimeSpan.Zero);
    private static string ExampleRegistry => Path.Combine(AppContext.BaseDirectory, "registries", "desktop-editor.yaml");

    /// <summary>What sealing adds to the padded Binary HTTP with the X25519 suite: key id and suite (7), the encapsulated key (32), the AEAD tag (16).</summary>
    private const int SealOverhead = 7 + 32 + 16;

    private OhttpChain _chain = null!;
    private readonly List<ClientTestKit> _kits = [];

    public async Task InitializeAsync() => _chain = await OhttpChain.StartAsync(o => o.RegistryFiles = [ExampleRegistry]);

    public async Task DisposeAsync()
    {
        await _chain.DisposeAsync();
        foreach (var kit in _kits)
            kit.Dispose();
    }

    [Fact]
    public async Task Every_split_part_of_the_example_registry_has_one_size_at_the_relay_for_every_value_and_so_does_every_answer()
    {
        var (requests, answers, parts, largest) = await PlantAsync(pad: true);

        Assert.True(parts >= 40, $"only {parts} parts were sent"); // every value of every metric, not a handful
        Assert.Equal(parts, requests.Count);
        var size = Assert.Single(requests.Distinct());
        Assert.Equal(BinaryHttpPadding.SmallestClass + SealOverhead, size);
        Assert.Single(answers.Distinct());
        Assert.Equal(parts, _chain.SealedRequestsForwarded);
        Assert.Equal(parts, (await _chain.Collector.Store.ReadRawAsync("org.example.editor")).Sum(r => r.Reports)); // padded parts are read and counted

        // The largest part any device sent still fits the smallest class with a Privacy Pass token beside it
        // (2 + 32 + 32 + 32 + 256 bytes, base64url), a longer host name and the real headers.
        var withToken = new BinaryHttpRequest
        {
            Method = "POST", Scheme = "https", Authority = "metrics.collector-of-a-long-name.example.org",
            Path = "/v1/apps/org.example.editor/reports",
            Headers = [new("content-type", "application/json; charset=utf-8"), new("idempotency-key", new string('a', 32)),
                new("authorization", "PrivateToken token=\"" + new string('A', 472) + "\"")],
            Content = largest,
        };
        output.WriteLine($"largest part: {largest.Length} bytes of JSON, {withToken.Encode().Length} bytes of Binary HTTP with a token");
        Assert.Equal(BinaryHttpPadding.SmallestClass, withToken.EncodePadded().Length);
    }

    [Fact]
    public async Task Positive_control_without_padding_the_relay_tells_values_and_metrics_apart_by_size()
    {
        var (requests, answers, _, _) = await PlantAsync(pad: false);
        output.WriteLine($"unpadded sealed requests: {string.Join(", ", requests.Distinct().Order())}; answers: {string.Join(", ", answers.Distinct().Order())}");

        Assert.True(requests.Distinct().Count() >= 5, $"sizes: {string.Join(", ", requests.Distinct().Order())}");
        Assert.True(answers.Distinct().Count() >= 1);
    }

    [Fact]
    public async Task A_whole_batch_is_padded_to_a_size_class()
    {
        var kit = Kit();
        var tap = new SizeTap();
        var options = Options(kit, tap, pad: true);
        options.SplitUploads = false;
        using var client = CandorClient.Create(options);
        client.GrantConsent();
        RecordValue(client, 3);
        kit.Clock.Set(WeekEnd.AddHours(1));
        await DrainAsync(client, kit);

        var sealedSize = Assert.Single(tap.RequestSizes);
        output.WriteLine($"whole batch: {sealedSize} bytes sealed");
        var binaryHttp = sealedSize - SealOverhead;
        Assert.True(binaryHttp > BinaryHttpPadding.SmallestClass, $"{binaryHttp} bytes: the whole batch should be larger than a part");
        Assert.Equal(BinaryHttpPadding.ClassOf(binaryHttp), binaryHttp);
        Assert.Contains(binaryHttp, new[] { 2048, 4096 });
    }

    [Fact]
    public void Padding_classes_are_powers_of_two_from_1_KiB_to_64_KiB_then_multiples_of_64_KiB()
    {
        Assert.Equal(1024, BinaryHttpPadding.ClassOf(0));
        Assert.Equal(1024, BinaryHttpPadding.ClassOf(1024));
        Assert.Equal(2048, BinaryHttpPadding.ClassOf(1025));
        Assert.Equal(65536, BinaryHttpPadding.ClassOf(40000));
        Assert.Equal(131072, BinaryHttpPadding.ClassOf(65537));
        Assert.Equal(196608, BinaryHttpPadding.ClassOf(131073));
    }

    [Fact]
    public void Padded_messages_decode_to_the_same_request_and_response_and_two_answers_of_different_length_pad_alike()
    {
        var request = new BinaryHttpRequest { Method = "POST", Path = "/v1/apps/a/reports", Headers = [new("content-type", "application/json")], Content = [1, 2, 3] };
        var padded = request.EncodePadded();
        Assert.Equal(1024, padded.Length);
        var back = BinaryHttpRequest.Decode(padded);
        Assert.Equal(request.Content, back.Content);
        Assert.Equal(request.Path, back.Path);

        var accepted = new BinaryHttpResponse { Status = 202, Content = "{\"accepted\":1,\"next_report_after_seconds\":86400}"u8.ToArray() };
        var refused = new BinaryHttpResponse { Status = 400, Headers = [new("content-type", "application/problem+json")], Content = new byte[300] };
        Assert.NotEqual(accepted.Encode().Length, refused.Encode().Length); // positive control: unpadded, the answer's kind shows
        Assert.Equal(accepted.EncodePadded().Length, refused.EncodePadded().Length);
        Assert.Equal(202, BinaryHttpResponse.Decode(accepted.EncodePadded()).Status);
        Assert.Equal(300, BinaryHttpResponse.Decode(refused.EncodePadded()).Content.Length);

        // Padding is zeros only: anything else after the message is refused (RFC 9292, section 3.8).
        padded[^1] = 1;
        Assert.Equal("trailing-bytes", Assert.Throws<OhttpFormatException>(() => BinaryHttpRequest.Decode(padded)).Reason);
    }

    /// <summary>
    /// Devices 0..n-1: device i records the i-th value of every metric (wrapping round), so between them
    /// they send every allowed value of every metric; the last device records the largest values (all
    /// histogram buckets, counts in the thousands). Returns the sealed sizes seen on the relay's side.
    /// </summary>
    private async Task<(List<int> Requests, List<int> Answers, int Parts, byte[] LargestPart)> PlantAsync(bool pad)
    {
        var registry = RegistryParser.ParseFile(ExampleRegistry);
        int devices = registry.Metrics.Max(m => Math.Max(m.Values.Length, m.Buckets.Length)) + 1;
        var tap = new SizeTap();
        int parts = 0;
        byte[] largest = [];
        for (int i = 0; i < devices; i++)
        {
            var kit = Kit();
            using var client = CandorClient.Create(Options(kit, tap, pad));
            client.GrantConsent();
            if (i == devices - 1)
                RecordLargest(client);
            else
                RecordValue(client, i);
            kit.Clock.Set(WeekEnd.AddHours(1));
            parts += await DrainAsync(client, kit);
            foreach (var sent in client.Sent())
                if (System.Text.Encoding.UTF8.GetByteCount(sent.Body) > largest.Length)
                    largest = System.Text.Encoding.UTF8.GetBytes(sent.Body);
        }
        return (tap.RequestSizes, tap.AnswerSizes, parts, largest);
    }

    private ClientTestKit Kit()
    {
        var kit = new ClientTestKit();
        _kits.Add(kit);
        return kit;
    }

    private CandorClientOptions Options(ClientTestKit kit, HttpMessageHandler toRelay, bool pad)
    {
        var options = kit.Options(OhttpChain.CollectorUrl, toRelay, RegistryParser.ParseFile(ExampleRegistry));
        options.Ohttp = new OhttpTransportOptions { Relay = _chain.RelayUrl, KeyConfigs = _chain.ShippedKeys, Pad = pad };
        return options;
    }

    /// <summary>Runs upload cycles hour by hour until every part has left; returns the parts sent.</summary>
    private static async Task<int> DrainAsync(CandorClient client, ClientTestKit kit)
    {
        int sent = 0;
        for (int hour = 0; hour < 24 * 14; hour++)
        {
            var cycle = await client.UploadAsync();
            sent += cycle.Sent;
            if (client.Pending().Count == 0 && hour > 0)
                break;
            kit.Clock.Advance(TimeSpan.FromHours(1));
        }
        Assert.Empty(client.Pending());
        return sent;
    }

    private static void RecordValue(CandorClient client, int i)
    {
        foreach (var m in client.Registry.Metrics.Where(m => !m.BuiltIn))
        {
            switch (m.Type)
            {
                case MetricType.Enum:
                    client.Enum(m.Name).Set(m.Values[i % m.Values.Length]);
                    break;
                case MetricType.Flag:
                    if (i % 2 == 0)
                        client.Flag(m.Name).Set();
                    break;
                case MetricType.Counter:
                    for (long n = Math.Max(1, m.Buckets[i % m.Buckets.Length]); n > 0; n--)
                        client.Counter(m.Name).Increment();
                    break;
                case MetricType.Quantity:
                    client.Quantity(m.Name).Record(m.Transform == NumberTransform.Log10 ? Math.Pow(10, i % 8) : m.Buckets[i % m.Buckets.Length]);
                    break;
                case MetricType.Histogram:
                    client.Histogram(m.Name).Record(m.Buckets[i % m.Buckets.Length]);
                    break;
            }
        }
    }

    private static void RecordLargest(CandorClient client)
    {
        foreach (var m in client.Registry.Metrics.Where(m => !m.BuiltIn))
        {
            switch (m.Type)
            {
                case MetricType.Enum:
                    client.Enum(m.Name).Set(m.Values.MaxBy(v => v.Length)!);
                    break;
                case MetricType.Flag:
                    client.Flag(m.Name).Set();
                    break;
                case MetricType.Counter:
                    for (int n = 0; n < 5000; n++)
                        client.Counter(m.Name).Increment();
                    break;
                case MetricType.Quantity:
                    client.Quantity(m.Name).Record(m.Transform == NumberTransform.Log10 ? 1e15 : 1e9);
                    break;
                case MetricType.Histogram:
                    foreach (var b in m.Buckets)
                        for (int n = 0; n < 1234; n++)
                            client.Histogram(m.Name).Record(b);
                    break;
            }
        }
    }

    /// <summary>A hop between the clients and the relay that records the length of each sealed request and answer.</summary>
    private sealed class SizeTap() : DelegatingHandler(new SocketsHttpHandler { ActivityHeadersPropagator = null })
    {
        public List<int> RequestSizes { get; } = [];
        public List<int> AnswerSizes { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            bool sealedRequest = request.Method == HttpMethod.Post;
            if (sealedRequest)
            {
                int length = (await request.Content!.ReadAsByteArrayAsync(cancellationToken)).Length;
                lock (RequestSizes) RequestSizes.Add(length);
            }
            var response = await base.SendAsync(request, cancellationToken);
            if (sealedRequest && response.StatusCode == HttpStatusCode.OK)
            {
                int length = (await response.Content.ReadAsByteArrayAsync(cancellationToken)).Length;
                lock (AnswerSizes) AnswerSizes.Add(length);
            }
            return response;
        }
    }
}
