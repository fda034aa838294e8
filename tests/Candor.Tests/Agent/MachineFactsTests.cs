using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Candor.Agent.Facts;
using Candor.Client;
using Candor.Registry;
using Candor.Tests.Client;

namespace Candor.Tests.Agent;

/// <summary>The facts the agent reads itself, from a prepared /proc and /sys, into the example Fedora registry.</summary>
public sealed class MachineFactsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("candor-facts-").FullName;
    private readonly ClientTestKit _kit = new();

    private static MetricRegistry Fedora([CallerFilePath] string here = "") => RegistryParser.Parse(
        File.ReadAllText(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", "..", "examples", "agent", "fedora-workstation.yaml")), "fedora-workstation.yaml");

    private void Write(string relative, string text)
    {
        string path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private MachineFacts AmdLaptopWithTwoDisplays(string lang = "de_AT.UTF-8")
    {
        Write("proc/cpuinfo", "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD Ryzen 7 PRO 7840U w/ Radeon 780M Graphics\n");
        Write("proc/meminfo", "MemTotal:       15728640 kB\nMemFree:         1000000 kB\n");
        Write("sys/class/drm/card1/device/vendor", "0x1002\n");
        Write("sys/class/drm/card1-eDP-1/status", "connected\n");
        Write("sys/class/drm/card1-DP-1/status", "connected\n");
        Write("sys/class/drm/card1-HDMI-A-1/status", "disconnected\n");
        return new MachineFacts(_root, Architecture.X64, lang);
    }

    [Fact]
    public void Facts_are_read_coarse_from_proc_and_sys()
    {
        var facts = AmdLaptopWithTwoDisplays();

        Assert.Equal("x86_64", facts.ArchitectureName);
        Assert.Equal("amd", facts.CpuVendor());
        Assert.Equal(15, facts.MemoryGiB());   // 15 GiB exactly: rounded up only past a whole GiB
        Assert.Equal("amd", facts.GpuVendor());
        Assert.Equal(2, facts.Displays());
        Assert.Equal("de", facts.Language());
        Assert.Equal("none", new MachineFacts(Path.Combine(_root, "empty"), Architecture.Arm64, "C").GpuVendor());
        Assert.Equal("en", new MachineFacts(_root, Architecture.Arm64, "C").Language());
    }

    [Fact]
    public void Facts_are_recorded_only_after_yes_and_only_as_allowlisted_values()
    {
        using var client = CandorClient.Create(_kit.Options(registry: Fedora()));
        var recorder = new FactRecorder(client, AmdLaptopWithTwoDisplays(lang: "tlh_XX.UTF-8")); // Klingon: not on the list

        recorder.Record();
        client.Flush();
        Assert.Empty(client.Show());

        client.GrantConsent();
        recorder.Record();
        client.Flush();
        var kept = client.Show().Where(i => !i.Metric.StartsWith("candor.", StringComparison.Ordinal)).ToDictionary(i => i.Metric, i => i.Summary);

        Assert.Equal(["hardware.architecture", "hardware.cpu_vendor", "hardware.displays", "hardware.gpu_vendor", "hardware.memory_gib", "system.language"], kept.Keys.Order().ToArray());
        Assert.Contains("x86_64", kept["hardware.architecture"]);
        Assert.Contains("other", kept["system.language"]);
        Assert.DoesNotContain("Ryzen", string.Join(" ", kept.Values));
    }

    public void Dispose()
    {
        _kit.Dispose();
        try { Directory.Delete(_root, true); } catch (IOException) { }
    }
}
