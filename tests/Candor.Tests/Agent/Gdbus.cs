using System.Diagnostics;

namespace Candor.Tests.Agent;

/// <summary>
/// GLib's <c>gdbus</c>: an independent D-Bus implementation (libgio), the one eos-metrics itself is
/// built on. It types its arguments from the agent's introspection, so a wrong introspection shows up
/// here as a failed call.
/// </summary>
public static class Gdbus
{
    public const string Server = "com.endlessm.Metrics.EventRecorderServer";

    public static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        var info = new ProcessStartInfo(DbusFactAttribute.GdbusPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(timeout.Token);
        return (p.ExitCode, (await stdout).Trim(), (await stderr).Trim());
    }

    /// <summary><c>gdbus call</c> on the agent's main object; returns the reply text, or throws with gdbus's error.</summary>
    public static async Task<string> CallAsync(string bus, string method, params string[] args)
    {
        var (exit, stdout, stderr) = await TryCallAsync(bus, "/com/endlessm/Metrics", method, args);
        return exit == 0 ? stdout : throw new InvalidOperationException($"gdbus call {method} failed: {stderr}");
    }

    public static Task<(int Exit, string Stdout, string Stderr)> TryCallAsync(string bus, string path, string method, params string[] args) =>
        RunAsync(["call", "--address", bus, "--dest", "com.endlessm.Metrics", "--object-path", path, "--method", method, "--", .. args]); // "--": a negative count is an argument, not an option

    /// <summary>A UUID as gdbus's text form of <c>ay</c> (the 16 bytes in RFC 4122 order, as eos-metrics sends them).</summary>
    public static string Bytes(Guid id) => "[" + string.Join(", ", id.ToByteArray(bigEndian: true).Select(b => $"byte 0x{b:x2}")) + "]";
}
