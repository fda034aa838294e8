using System.Globalization;
using System.Runtime.InteropServices;

namespace Candor.Agent.Facts;

/// <summary>
/// The facts the agent reads itself, each already coarse: an architecture and vendor names from short
/// allowlists, memory in whole GiB, a display count, the language part of LANG. Nothing that tells one
/// machine from another (no model names, serials, sizes to the byte or regions) is read at all.
/// <see cref="Root"/> is "/" on a machine and a prepared folder in tests.
/// </summary>
public sealed class MachineFacts(string root, Architecture architecture, string? lang)
{
    public string Root { get; } = root;

    public static MachineFacts ThisMachine() => new("/", RuntimeInformation.OSArchitecture, Environment.GetEnvironmentVariable("LANG"));

    public string ArchitectureName => architecture switch
    {
        Architecture.X64 => "x86_64",
        Architecture.Arm64 => "aarch64",
        Architecture.Ppc64le => "ppc64le",
        Architecture.S390x => "s390x",
        Architecture.RiscV64 => "riscv64",
        _ => "other",
    };

    /// <summary>From /proc/cpuinfo: x86 vendor_id, or the Arm "CPU implementer" code.</summary>
    public string CpuVendor()
    {
        foreach (var line in Lines("proc/cpuinfo"))
        {
            var (key, value) = Split(line);
            if (key == "vendor_id")
                return value switch { "GenuineIntel" => "intel", "AuthenticAMD" => "amd", _ => "other" };
            if (key == "CPU implementer")
                return value switch { "0x41" => "arm", "0x61" => "apple", _ => "other" };
        }
        return "other";
    }

    /// <summary>MemTotal from /proc/meminfo in whole GiB (rounded up: 15.6 GiB usable is a 16 GiB machine), or null.</summary>
    public long? MemoryGiB()
    {
        foreach (var line in Lines("proc/meminfo"))
        {
            var (key, value) = Split(line);
            if (key == "MemTotal" && long.TryParse(value.Split(' ')[0], NumberStyles.None, CultureInfo.InvariantCulture, out long kib))
                return (kib + 1024 * 1024 - 1) / (1024 * 1024);
        }
        return null;
    }

    /// <summary>The PCI vendor of the first DRM card (/sys/class/drm/cardN/device/vendor), or "none".</summary>
    public string GpuVendor()
    {
        var cards = Cards().Where(c => !Path.GetFileName(c).Contains('-')).Order(StringComparer.Ordinal).ToArray();
        if (cards.Length == 0)
            return "none";
        string vendor = Read(Path.Combine(cards[0], "device", "vendor"))?.Trim() ?? "";
        return vendor switch { "0x8086" => "intel", "0x1002" => "amd", "0x10de" => "nvidia", "0x1af4" => "virtio", _ => "other" };
    }

    /// <summary>Connected connectors (/sys/class/drm/cardN-*/status is "connected").</summary>
    public long Displays() =>
        Cards().Where(c => Path.GetFileName(c).Contains('-')).Count(c => Read(Path.Combine(c, "status"))?.Trim() == "connected");

    /// <summary>"de" from "de_AT.UTF-8"; C and POSIX (no language chosen) read as "en".</summary>
    public string Language()
    {
        string value = (lang ?? "").Split('.', '@')[0].Split('_')[0].ToLowerInvariant();
        return value is "" or "c" or "posix" ? "en" : value;
    }

    private IEnumerable<string> Cards()
    {
        string drm = Path.Combine(Root, "sys", "class", "drm");
        return Directory.Exists(drm) ? Directory.EnumerateFileSystemEntries(drm, "card*") : [];
    }

    private IEnumerable<string> Lines(string relative) => Read(Path.Combine(Root, relative))?.Split('\n') ?? [];

    private static (string Key, string Value) Split(string line)
    {
        int colon = line.IndexOf(':');
        return colon < 0 ? (line.Trim(), "") : (line[..colon].Trim(), line[(colon + 1)..].Trim());
    }

    private static string? Read(string path)
    {
        try { return File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}
