using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using Candor.Client;
using Candor.Client.Recording;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Candor.Benchmarks;

/// <summary>
/// The client's hot path: one counter increment and one histogram value, with consent granted (so the
/// value is really aggregated), side by side with <see cref="Counter{T}.Add(T)"/> and
/// <see cref="Histogram{T}.Record(T)"/> while an OpenTelemetry <see cref="MeterProvider"/> listens and aggregates,
/// and the same through the typed handles generated from the registry (<c>Metrics.App.Launches.Increment()</c>).
/// </summary>
[MemoryDiagnoser]
public class RecordingBenchmarks
{
    private string _dataDir = null!;
    private CandorClient _candor = null!;
    private CounterHandle _counter = null!;
    private HistogramHandle _histogram = null!;
    private EnumHandle _enum = null!;
    private Meter _meter = null!;
    private MeterProvider _otel = null!;
    private Counter<long> _otelCounter = null!;
    private Histogram<long> _otelHistogram = null!;

    [GlobalSetup]
    public void Setup()
    {
        _dataDir = Directory.CreateTempSubdirectory("candor-bench-").FullName;
        _candor = CandorClient.Create(new CandorClientOptions
        {
            RegistryFile = Path.Combine(AppContext.BaseDirectory, "registries", "desktop-editor.yaml"),
            DataDirectory = _dataDir,
            BackgroundWork = false,
            Environment = _ => null,
            PolicyFile = Path.Combine(_dataDir, "no-policy.json"),
        });
        _candor.GrantConsent();
        _counter = _candor.Counter("app.launches");
        _histogram = _candor.Histogram("startup.ms");
        _enum = _candor.Enum("system.os");
        Metrics.Bind(_candor);

        // A separate meter name, so Candor's own bridge (which listens only to registry names) is not involved.
        _meter = new Meter("Candor.Benchmarks.Otel");
        _otelCounter = _meter.CreateCounter<long>("bench.launches");
        _otelHistogram = _meter.CreateHistogram<long>("bench.startup_ms");
        _otel = Sdk.CreateMeterProviderBuilder()
            .AddMeter(_meter.Name)
            .AddView("bench.startup_ms", new ExplicitBucketHistogramConfiguration { Boundaries = [0, 100, 250, 500, 1000, 2500] })
            .AddReader(new PeriodicExportingMetricReader(new NullExporter(), exportIntervalMilliseconds: 3_600_000))
            .Build()!;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _otel.Dispose();
        _meter.Dispose();
        _candor.Dispose();
        try { Directory.Delete(_dataDir, true); } catch (IOException) { }
    }

    [Benchmark(Baseline = true)]
    public void OpenTelemetryCounterAdd() => _otelCounter.Add(1);

    [Benchmark]
    public void CandorCounterIncrement() => _counter.Increment();

    [Benchmark]
    public void OpenTelemetryHistogramRecord() => _otelHistogram.Record(130);

    [Benchmark]
    public void CandorHistogramRecord() => _histogram.Record(130);

    [Benchmark]
    public void CandorGeneratedCounterIncrement() => Metrics.App.Launches.Increment();

    [Benchmark]
    public void CandorGeneratedHistogramRecord() => Metrics.Startup.Ms.Record(130);

    [Benchmark]
    public void CandorEnumSet() => _enum.Set("linux");

    [Benchmark]
    public void CandorGeneratedEnumSet() => Metrics.System.Os.Set(Metrics.System.Os.Value.Linux);

    private sealed class NullExporter : BaseExporter<Metric>
    {
        public override ExportResult Export(in Batch<Metric> batch) => ExportResult.Success;
    }
}
