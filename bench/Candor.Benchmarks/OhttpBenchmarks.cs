using System.Text;
using BenchmarkDotNet.Attributes;
using Candor.Hpke;
using Candor.Ohttp;

namespace Candor.Benchmarks;

/// <summary>
/// The CPU cost of Oblivious HTTP per request, without HTTP: what a client pays to seal one batch of
/// 16 reports, and what the gateway pays to open it and seal the answer (X25519, HKDF-SHA256, AES-128-GCM).
/// </summary>
[MemoryDiagnoser]
public class OhttpBenchmarks
{
    private OhttpGatewayKey _key = null!;
    private byte[] _request = null!;
    private byte[] _encapsulated = null!;
    private readonly byte[] _answer = new BinaryHttpResponse { Status = 202, Content = "{\"accepted\":16,\"next_report_after_seconds\":400000}"u8.ToArray() }.EncodePadded();

    [GlobalSetup]
    public void Setup()
    {
        _key = OhttpGatewayKey.Generate(1, KemId.X25519Sha256);
        _request = new BinaryHttpRequest
        {
            Method = "POST",
            Path = "/v1/apps/org.example.editor/reports",
            Headers = [new("content-type", "application/json"), new("idempotency-key", "0123456789abcdef0123456789abcdef")],
            Content = Encoding.UTF8.GetBytes(SixteenReports.Body("2026-W47", "2026-11-22")),
        }.EncodePadded(); // as the client sends it (docs/ohttp.md, "Padding")
        _encapsulated = ObliviousRequest.Encapsulate(_key.Config, _request).Encapsulated;
    }

    [Benchmark]
    public int ClientEncapsulate() => ObliviousRequest.Encapsulate(_key.Config, _request).Encapsulated.Length;

    [Benchmark]
    public int GatewayOpenAndSealAnswer()
    {
        var opened = _key.Decapsulate(_encapsulated);
        return BinaryHttpRequest.Decode(opened.BinaryHttpRequest).Content.Length + opened.SealResponse(_answer).Length;
    }
}
