using System.Diagnostics;

namespace Candor.Tests.Agent;

/// <summary>
/// A private message bus: a real session-type <c>dbus-daemon --print-address --nofork</c> with its own
/// configuration file in a temporary folder, so tests never touch the machine's system or session bus.
/// </summary>
public sealed class PrivateBus : IDisposable
{
    private readonly Process _daemon;

    private PrivateBus(Process daemon, string directory, string address)
    {
        _daemon = daemon;
        Directory = directory;
        Address = address;
    }

    public string Directory { get; }

    public string Address { get; }

    public static async Task<PrivateBus> StartAsync()
    {
        string dir = System.IO.Directory.CreateTempSubdirectory("candor-bus-").FullName;
        string config = Path.Combine(dir, "bus.conf");
        File.WriteAllText(config, $"""
            <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
             "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
            <busconfig>
              <type>session</type>
              <listen>unix:dir={dir}</listen>
              <policy context="default">
                <allow send_destination="*" eavesdrop="true"/>
                <allow eavesdrop="true"/>
                <allow own="*"/>
              </policy>
            </busconfig>
            """);
        var info = new ProcessStartInfo(DbusFactAttribute.DaemonPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // --session would load /usr/share/dbus-1/session.conf, and dbus-daemon refuses a second config
        // file; <type>session</type> in our own file makes it the same kind of bus.
        foreach (var a in new[] { "--print-address", "--nofork", $"--config-file={config}" })
            info.ArgumentList.Add(a);
        var daemon = Process.Start(info)!;
        daemon.ErrorDataReceived += (_, _) => { }; // it warns about fd limits when not root; harmless
        daemon.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string? address = await daemon.StandardOutput.ReadLineAsync(timeout.Token);
        if (string.IsNullOrEmpty(address))
            throw new InvalidOperationException("dbus-daemon printed no address");
        return new PrivateBus(daemon, dir, address.Trim());
    }

    public void Dispose()
    {
        try { _daemon.Kill(); _daemon.WaitForExit(10_000); } catch (InvalidOperationException) { }
        _daemon.Dispose();
        try { System.IO.Directory.Delete(Directory, true); } catch (IOException) { }
    }
}
