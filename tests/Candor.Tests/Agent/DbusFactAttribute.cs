namespace Candor.Tests.Agent;

/// <summary>
/// A test that needs a real <c>dbus-daemon</c> (apt package <c>dbus</c>) and GLib's <c>gdbus</c>
/// (<c>libglib2.0-bin</c>). Without them it is skipped with a reason on a developer machine; under
/// CI=true it runs, and fails, so a missing bus can never pass silently there.
/// </summary>
public sealed class DbusFactAttribute : FactAttribute
{
    public const string DaemonPath = "/usr/bin/dbus-daemon";
    public const string GdbusPath = "/usr/bin/gdbus";

    public DbusFactAttribute()
    {
        if ((!File.Exists(DaemonPath) || !File.Exists(GdbusPath)) && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = $"{DaemonPath} or {GdbusPath} not found: apt-get install dbus libglib2.0-bin (CI installs them and never skips this test)";
    }
}
