using Candor.Client;
using Candor.Registry;

namespace Candor.Agent.Facts;

/// <summary>
/// Records the agent's own facts into the metrics of the same name, for the registries that list them
/// (hardware.architecture, hardware.cpu_vendor, hardware.memory_gib, hardware.gpu_vendor,
/// hardware.displays, system.language). A fact whose metric the registry does not list is never read
/// into the store; an enum value outside the metric's allowlist becomes "other" if listed, else is dropped.
/// Nothing is recorded without the machine's "yes" (the caller checks, and the client's gate again).
/// </summary>
public sealed class FactRecorder(CandorClient client, MachineFacts facts)
{
    public void Record()
    {
        if (!client.Consent.IsGranted)
            return;
        Enum("hardware.architecture", () => facts.ArchitectureName);
        Enum("hardware.cpu_vendor", facts.CpuVendor);
        Quantity("hardware.memory_gib", facts.MemoryGiB);
        Enum("hardware.gpu_vendor", facts.GpuVendor);
        Quantity("hardware.displays", () => facts.Displays());
        Enum("system.language", facts.Language);
    }

    private void Enum(string metric, Func<string> read)
    {
        if (client.Registry.FindMetric(metric) is not { Type: MetricType.Enum } definition)
            return;
        string value = read();
        string? allowed = definition.Values.Contains(value) ? value : definition.Values.Contains("other") ? "other" : null;
        if (allowed is not null)
            client.Enum(metric).Set(allowed);
    }

    private void Quantity(string metric, Func<long?> read)
    {
        if (client.Registry.FindMetric(metric) is not { Type: MetricType.Quantity } || read() is not { } value)
            return;
        client.Quantity(metric).Record(value);
    }
}
