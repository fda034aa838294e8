using System.Text;
using BenchmarkDotNet.Attributes;
using Candor.Protocol;
using Candor.Registry;

namespace Candor.Benchmarks;

/// <summary>
/// The collector's per-request validation cost: reading and checking one batch of 16 reports (the
/// same batch shape as bench/wrk/ingest.lua) against the example registry.
/// </summary>
[MemoryDiagnoser]
public class BatchReaderBenchmarks
{
    private CompiledRegistry _registry = null!;
    private byte[] _batch = null!;
    private BatchRules _rules = null!;

    [GlobalSetup]
    public void Setup()
    {
        _registry = new CompiledRegistry(RegistryParser.ParseFile(Path.Combine(AppContext.BaseDirectory, "registries", "desktop-editor.yaml")));
        var today = new DateOnly(2026, 11, 22);
        _rules = new BatchRules(today);
        _batch = Encoding.UTF8.GetBytes(SixteenReports.Body("2026-W47", "2026-11-22"));
    }

    [Benchmark]
    public int ReadBatchOf16() => ReportBatchReader.Read(_batch, v => v == 3 ? _registry : null, _rules).Reports.Count;
}

public static class SixteenReports
{
    public static string Body(string week, string day) => $$$"""
        {"schema":3,"period":"{{{week}}}","reports":[{"metric":"system.os","value":"linux"},{"metric":"system.desktop","value":"gnome"},
        {"metric":"system.arch","value":"x86_64"},{"metric":"system.ram_gb","value":16},{"metric":"system.displays","value":2},
        {"metric":"install.age_days","value":2},{"metric":"app.launches","value":10},{"metric":"files.opened","period":"{{{day}}}","value":5},
        {"metric":"files.type_opened","value":"markdown"},{"metric":"feature.spellcheck","value":true},{"metric":"feature.split_view","value":false},
        {"metric":"feature.dark_theme","value":true},{"metric":"startup.ms","period":"{{{day}}}","value":{"100":3,"250":1}},
        {"metric":"search.ms","value":{"10":5,"50":2}},{"metric":"app.crashes","value":0},{"metric":"candor.active","period":"{{{day}}}","value":true}]}
        """;
}
