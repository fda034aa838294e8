using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Xml.Linq;
using Candor.Agent.Consent;

namespace Candor.Tests.Agent;

/// <summary>The files a package installs for the agent (packaging/linux): the bus policy dbus-daemon reads, and the polkit action the agent asks for.</summary>
public sealed class PackagingFilesTests
{
    private static string Packaging([CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", "..", "packaging", "linux"));

    [Fact]
    public void The_polkit_policy_declares_the_action_the_agent_checks_and_requires_an_administrator()
    {
        var policy = XDocument.Load(Path.Combine(Packaging(), "org.candor.agent.policy"));
        var action = Assert.Single(policy.Root!.Elements("action"));
        Assert.Equal(PolkitAuthority.ActionId, action.Attribute("id")!.Value);
        var defaults = action.Element("defaults")!;
        Assert.Equal("no", defaults.Element("allow_any")!.Value);
        Assert.StartsWith("auth_admin", defaults.Element("allow_active")!.Value);
    }

    [DbusFact]
    public async Task Dbus_daemon_accepts_the_system_bus_policy()
    {
        Assert.Equal(0, await StartSystemBusWith(File.ReadAllText(Path.Combine(Packaging(), "com.endlessm.Metrics.conf"))));
        // Positive control: the same check refuses a policy dbus-daemon cannot read.
        Assert.NotEqual(0, await StartSystemBusWith("<busconfig><policy context=\"default\"><allow bogus=\"x\"/></policy></busconfig>"));
    }

    /// <returns>0 when dbus-daemon started with the policy included (it is then stopped), else its exit code.</returns>
    private static async Task<int> StartSystemBusWith(string policy)
    {
        string dir = Directory.CreateTempSubdirectory("candor-policy-").FullName;
        File.WriteAllText(Path.Combine(dir, "policy.conf"), policy);
        File.WriteAllText(Path.Combine(dir, "bus.conf"), $"""
            <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
             "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
            <busconfig><type>system</type><listen>unix:dir={dir}</listen><include>{dir}/policy.conf</include></busconfig>
            """);
        var info = new ProcessStartInfo(DbusFactAttribute.DaemonPath) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--print-address", "--nofork", $"--config-file={Path.Combine(dir, "bus.conf")}" }) info.ArgumentList.Add(a);
        using var daemon = Process.Start(info)!;
        daemon.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string? address = await daemon.StandardOutput.ReadLineAsync(timeout.Token);
        int result;
        if (!string.IsNullOrEmpty(address))
        {
            daemon.Kill();
            result = 0;
        }
        else
        {
            await daemon.WaitForExitAsync(timeout.Token);
            result = daemon.ExitCode == 0 ? -1 : daemon.ExitCode;
        }
        await daemon.WaitForExitAsync(timeout.Token);
        Directory.Delete(dir, true);
        return result;
    }
}
