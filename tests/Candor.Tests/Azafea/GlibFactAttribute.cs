using System.Diagnostics;

namespace Candor.Tests.Azafea;

/// <summary>
/// A test that runs GLib's own GVariant code through PyGObject (Debian's <c>python3-gi</c>), the library
/// eos-event-recorder-daemon serializes with and Azafea deserializes with. Without it the test is skipped
/// with a reason on a developer machine; under CI=true it runs, and fails, so it can never pass by skipping.
/// </summary>
public sealed class GlibFactAttribute : FactAttribute
{
    public const string Python = "/usr/bin/python3";

    private static readonly Lazy<bool> Available = new(() =>
    {
        if (!File.Exists(Python))
            return false;
        using var p = Process.Start(new ProcessStartInfo(Python, ["-c", "from gi.repository import GLib"]) { RedirectStandardError = true, UseShellExecute = false })!;
        p.WaitForExit(30_000);
        return p.HasExited && p.ExitCode == 0;
    });

    public GlibFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("CI") != "true" && !Available.Value)
            Skip = $"{Python} with GLib's introspection bindings not found: apt-get install python3-gi (CI installs it and never skips this test)";
    }

    /// <summary>Runs <paramref name="script"/> under GLib's Python bindings with <paramref name="input"/> on standard input; returns standard output.</summary>
    public static async Task<byte[]> RunAsync(string script, byte[] input)
    {
        var info = new ProcessStartInfo(Python, ["-c", script]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var p = Process.Start(info)!;
        var error = p.StandardError.ReadToEndAsync();
        using var output = new MemoryStream();
        var copy = p.StandardOutput.BaseStream.CopyToAsync(output);
        await p.StandardInput.BaseStream.WriteAsync(input);
        p.StandardInput.Close();
        await copy;
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, $"python3-gi failed: {await error}");
        return output.ToArray();
    }
}
