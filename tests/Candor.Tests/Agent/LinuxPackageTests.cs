using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Candor.Tests.Agent;

/// <summary>
/// A test that installs into this machine with a package manager's tools: it needs root and the tool.
/// Skipped with a reason on a developer machine without them; under CI=true (where .ci/run runs as root
/// and installs the tools) it runs, and fails, so the package test never passes by skipping there.
/// </summary>
public sealed class PackagingFactAttribute : FactAttribute
{
    public PackagingFactAttribute(string tool)
    {
        if (Environment.GetEnvironmentVariable("CI") == "true")
            return;
        if (Environment.UserName != "root")
            Skip = "installs a package into this machine: run as root (CI does)";
        else if (!File.Exists(tool))
            Skip = $"{tool} not found (CI installs it and never skips this test)";
    }
}

/// <summary>One self-contained publish of the candor command, shared by the .deb and the RPM test (a publish takes minutes).</summary>
public sealed class PublishedCandor : IAsyncLifetime
{
    private readonly SemaphoreSlim _once = new(1, 1);
    private string? _directory;

    public static string Repository([CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", ".."));

    public async Task<string> DirectoryAsync()
    {
        await _once.WaitAsync();
        try
        {
            if (_directory is null)
            {
                var dir = System.IO.Directory.CreateTempSubdirectory("candor-published-").FullName;
                var rid = System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? "linux-arm64" : "linux-x64";
                // From a copy of the sources: a publish for a runtime identifier restores the projects'
                // obj/ anew, which other tests building or packing in the checkout must not see change.
                var sources = System.IO.Directory.CreateTempSubdirectory("candor-sources-").FullName;
                foreach (var part in new[] { "src", "examples/registries", "Directory.Build.props", "Directory.Build.targets", "README.md", "LICENSE" })
                    Copy(Path.Combine(Repository(), part), Path.Combine(sources, part));
                var (exit, output) = await Task.Run(() => Candor.Tests.Packaging.PackedFeed.Run(sources, TimeSpan.FromMinutes(25), null,
                    "publish", Path.Combine(sources, "src", "Candor.Cli"), "-c", "Release", "-r", rid, "--self-contained", "-p:DebugType=none",
                    "-o", dir, "--disable-build-servers", "-nologo"));
                Assert.True(exit == 0, "dotnet publish failed:\n" + output);
                System.IO.Directory.Delete(sources, true);
                _directory = dir;
            }
            return _directory;
        }
        finally
        {
            _once.Release();
        }
    }

    private static void Copy(string from, string to)
    {
        if (File.Exists(from))
        {
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(from, to);
            return;
        }
        System.IO.Directory.CreateDirectory(to);
        foreach (var file in System.IO.Directory.GetFiles(from))
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var dir in System.IO.Directory.GetDirectories(from))
            if (Path.GetFileName(dir) is not ("bin" or "obj"))
                Copy(dir, Path.Combine(to, Path.GetFileName(dir)));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        if (_directory is not null)
            try { System.IO.Directory.Delete(_directory, true); } catch (IOException) { }
        return Task.CompletedTask;
    }
}

/// <summary>
/// packaging/linux: the .deb built by build-deb.sh installed with dpkg into this machine (as CI does),
/// checked, removed and purged until nothing is left; the RPM spec built with rpmbuild, inspected, installed with
/// rpm (its scriptlets run) and erased until nothing is left.
/// </summary>
public sealed class LinuxPackageTests(PublishedCandor published) : IClassFixture<PublishedCandor>
{
    private const string Package = "candor-agent";

    /// <summary>Files and folders only this package owns: after a purge none may exist.</summary>
    private static readonly string[] OwnPaths =
        ["/usr/lib/candor", "/usr/bin/candor", "/etc/candor-agent", "/var/lib/candor-agent", "/usr/share/doc/candor-agent",
         "/usr/lib/systemd/system/candor-agent.service", "/usr/share/dbus-1/system.d/com.endlessm.Metrics.conf",
         "/usr/share/dbus-1/system-services/com.endlessm.Metrics.service", "/usr/share/polkit-1/actions/org.candor.agent.policy"];

    [PackagingFact("/usr/bin/dpkg-deb")]
    public async Task The_deb_installs_starting_nothing_removes_and_purges_leaving_nothing()
    {
        var before = await RunAsync("dpkg-query", ["-W", "-f=${Status}", Package], allowFailure: true);
        Assert.False(before.Output.Contains("ok installed", StringComparison.Ordinal), $"{Package} is already installed on this machine; the test would remove it");
        Assert.False((await RunAsync("getent", ["passwd", Package], allowFailure: true)).ExitCode == 0,
            $"a user {Package} already exists on this machine; the test's purge would delete it");

        var output = System.IO.Directory.CreateTempSubdirectory("candor-deb-").FullName;
        var deb = (await RunAsync("bash", [Path.Combine(PublishedCandor.Repository(), "packaging", "linux", "build-deb.sh"),
            "--out", output, "--published", await published.DirectoryAsync()])).Output.Trim();
        Assert.True(File.Exists(deb), deb);

        var info = (await RunAsync("dpkg-deb", ["--field", deb, "Package", "Architecture", "Depends"])).Output;
        Assert.Contains($"Package: {Package}", info);
        var contents = (await RunAsync("dpkg-deb", ["--contents", deb])).Output;
        foreach (var path in OwnPaths.Where(p => !p.StartsWith("/var/", StringComparison.Ordinal)))
            Assert.Contains("." + path, contents);
        Assert.Equal(["/etc/candor-agent/events.yaml", "/etc/candor-agent/registry.yaml"], await ConffilesAsync(deb));

        try
        {
            await RunAsync("dpkg", ["-i", deb]);

            await AssertInstalledStartingNothingAsync();
            // A unit that cannot be enabled (no [Install] section), only D-Bus activated.
            var unit = File.ReadAllText("/usr/lib/systemd/system/candor-agent.service");
            Assert.DoesNotContain("[Install]", unit);
            Assert.Contains("SystemdService=candor-agent.service", File.ReadAllText("/usr/share/dbus-1/system-services/com.endlessm.Metrics.service"));

            // dbus-daemon accepts the installed policy folder as a system bus's configuration.
            Assert.Equal(0, await StartSystemBusIncludingAsync("/usr/share/dbus-1/system.d"));

            await WriteAgentStateAsync(); // so purge has something to delete

            await RunAsync("dpkg", ["-r", Package]);
            Assert.False(File.Exists("/usr/bin/candor") || System.IO.Directory.Exists("/usr/lib/candor"), "remove left the program");
            Assert.True(File.Exists("/etc/candor-agent/registry.yaml"), "remove keeps configuration until purge, as Debian does");
            Assert.Contains("config-files", (await RunAsync("dpkg-query", ["-W", "-f=${Status}", Package])).Output);

            await RunAsync("dpkg", ["-P", Package]);
            await AssertNothingLeftAsync("purge");
            Assert.Equal("", (await RunAsync("dpkg-query", ["-W", "-f=${Status}", Package], allowFailure: true)).Output.Replace("unknown ok not-installed", ""));
        }
        finally
        {
            await RunAsync("dpkg", ["-P", Package], allowFailure: true);
            System.IO.Directory.Delete(output, true);
        }
    }

    [PackagingFact("/usr/bin/rpmbuild")]
    public async Task The_RPM_spec_builds_a_package_with_the_same_files_and_promises()
    {
        var top = System.IO.Directory.CreateTempSubdirectory("candor-rpm-").FullName;
        try
        {
            await RunAsync("rpmbuild", ["-bb", Path.Combine(PublishedCandor.Repository(), "packaging", "linux", "candor-agent.spec"),
                "--define", $"candor_root {PublishedCandor.Repository()}", "--define", $"candor_published {await published.DirectoryAsync()}",
                "--define", $"_topdir {top}", "--define", "_binary_payload w1.gzdio"], TimeSpan.FromMinutes(10)); // fast compression: the payload is inspected, not shipped
            var rpm = Assert.Single(System.IO.Directory.GetFiles(Path.Combine(top, "RPMS"), "*.rpm", SearchOption.AllDirectories));

            var files = (await RunAsync("rpm", ["-qlp", rpm])).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            foreach (var path in OwnPaths.Where(p => !p.StartsWith("/var/", StringComparison.Ordinal)))
                Assert.Contains(path, files);
            Assert.Equal(["/etc/candor-agent/events.yaml", "/etc/candor-agent/registry.yaml"],
                (await RunAsync("rpm", ["-qcp", rpm])).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
            var scripts = (await RunAsync("rpm", ["-qp", "--scripts", rpm])).Output;
            Assert.Contains("systemctl stop candor-agent.service", scripts);        // every removal stops the service
            Assert.Contains("rm -rf /var/lib/candor-agent", scripts);              // the last one deletes what it kept
            Assert.Contains("userdel candor-agent", scripts);
            Assert.DoesNotContain("systemctl start", scripts);                     // install starts nothing
            Assert.DoesNotContain("systemctl enable", scripts);

            await InstallAndEraseAsync(rpm, top);
        }
        finally
        {
            System.IO.Directory.Delete(top, true);
        }
    }

    /// <summary>
    /// The RPM installed on this (Debian) machine with Debian's rpm, its scriptlets run for real: into the system's
    /// folders, with a package database of its own (<c>--dbpath</c>) so the machine's is untouched, and without
    /// dependency checks (dbus, openssl-libs and shadow-utils are Fedora's names for what Debian has under others).
    /// Then erased, which for RPM is also the purge: nothing may be left, not even a configuration file the
    /// administrator edited (rpm would keep it as .rpmsave).
    /// </summary>
    private async Task InstallAndEraseAsync(string rpm, string top)
    {
        Assert.False(File.Exists("/usr/bin/candor") || System.IO.Directory.Exists("/usr/lib/candor"), "a candor is already installed on this machine; the test would remove it");
        Assert.False((await RunAsync("getent", ["passwd", Package], allowFailure: true)).ExitCode == 0,
            $"a user {Package} already exists on this machine; the test's erase would delete it");
        string[] db = ["--dbpath", Path.Combine(top, "rpmdb")];
        System.IO.Directory.CreateDirectory(db[1]);
        try
        {
            await RunAsync("rpm", [.. db, "--initdb"]);
            await RunAsync("rpm", [.. db, "-i", "--nodeps", rpm], TimeSpan.FromMinutes(5));

            await AssertInstalledStartingNothingAsync();
            Assert.Contains(Package, (await RunAsync("rpm", [.. db, "-q", Package])).Output);

            await WriteAgentStateAsync();
            File.AppendAllText("/etc/candor-agent/registry.yaml", "\n# edited by the administrator\n");

            await RunAsync("rpm", [.. db, "-e", Package], TimeSpan.FromMinutes(5));
            await AssertNothingLeftAsync("erase");
            Assert.False(File.Exists("/etc/candor-agent/registry.yaml.rpmsave"), "erase left the edited configuration behind");
            Assert.NotEqual(0, (await RunAsync("rpm", [.. db, "-q", Package], allowFailure: true)).ExitCode);
        }
        finally
        {
            await RunAsync("rpm", [.. db, "-e", "--nodeps", Package], allowFailure: true);
            foreach (var path in OwnPaths.Append("/etc/candor-agent"))
            {
                if (System.IO.Directory.Exists(path)) System.IO.Directory.Delete(path, true);
                else if (File.Exists(path) || new FileInfo(path).LinkTarget is not null) File.Delete(path);
            }
            await RunAsync("userdel", [Package], allowFailure: true);
            await RunAsync("groupdel", [Package], allowFailure: true);
        }
    }

    /// <summary>Installed: the command runs (a self-contained .NET inside), the files are there, the system user exists; and install started nothing and wrote no state.</summary>
    private static async Task AssertInstalledStartingNothingAsync()
    {
        Assert.Contains(": ok (org.fedoraproject.workstation", (await RunAsync("/usr/bin/candor", ["registry", "validate", "/etc/candor-agent/registry.yaml"])).Output);
        foreach (var path in OwnPaths.Where(p => !p.StartsWith("/var/", StringComparison.Ordinal)))
            Assert.True(File.Exists(path) || System.IO.Directory.Exists(path), $"{path} is not installed");
        var user = (await RunAsync("getent", ["passwd", Package])).Output.Split(':');
        Assert.True(int.Parse(user[2], System.Globalization.CultureInfo.InvariantCulture) < 1000, "the agent's user is a system user");
        Assert.EndsWith("nologin", user[6].Trim());
        Assert.Empty(AgentProcesses());
        Assert.False(System.IO.Directory.Exists("/var/lib/candor-agent"), "install wrote agent state before anyone consented");
    }

    /// <summary>What a running agent would have kept, owned by its user.</summary>
    private static async Task WriteAgentStateAsync()
    {
        System.IO.Directory.CreateDirectory("/var/lib/candor-agent");
        File.WriteAllText("/var/lib/candor-agent/consent.json", "{\"state\":\"granted\"}");
        await RunAsync("chown", ["-R", $"{Package}:{Package}", "/var/lib/candor-agent"]);
    }

    /// <summary>After the last removal: none of the package's paths, no user, no group.</summary>
    private static async Task AssertNothingLeftAsync(string removal)
    {
        foreach (var path in OwnPaths)
            Assert.False(File.Exists(path) || System.IO.Directory.Exists(path), $"{removal} left {path}");
        Assert.NotEqual(0, (await RunAsync("getent", ["passwd", Package], allowFailure: true)).ExitCode);
        Assert.NotEqual(0, (await RunAsync("getent", ["group", Package], allowFailure: true)).ExitCode);
    }

    private static async Task<List<string>> ConffilesAsync(string deb)
    {
        var dir = System.IO.Directory.CreateTempSubdirectory("candor-ctrl-").FullName;
        try
        {
            await RunAsync("dpkg-deb", ["--control", deb, dir]);
            return [.. File.ReadAllLines(Path.Combine(dir, "conffiles")).Where(l => l.Length > 0).Order()];
        }
        finally
        {
            System.IO.Directory.Delete(dir, true);
        }
    }

    /// <summary>Processes running the installed candor binary.</summary>
    private static List<int> AgentProcesses()
    {
        var found = new List<int>();
        foreach (var dir in System.IO.Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid))
                continue;
            try
            {
                if (new FileInfo(Path.Combine(dir, "exe")).LinkTarget is { } target && target.StartsWith("/usr/lib/candor/", StringComparison.Ordinal))
                    found.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return found;
    }

    /// <returns>0 when dbus-daemon started as a system bus with every policy in <paramref name="policyDir"/> (it is then stopped), else its exit code.</returns>
    private static async Task<int> StartSystemBusIncludingAsync(string policyDir)
    {
        string dir = System.IO.Directory.CreateTempSubdirectory("candor-sysbus-").FullName;
        File.WriteAllText(Path.Combine(dir, "bus.conf"), $"""
            <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
             "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
            <busconfig><type>system</type><listen>unix:dir={dir}</listen><includedir>{policyDir}</includedir></busconfig>
            """);
        var info = new ProcessStartInfo(DbusFactAttribute.DaemonPath) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--print-address", "--nofork", $"--config-file={Path.Combine(dir, "bus.conf")}" }) info.ArgumentList.Add(a);
        using var daemon = Process.Start(info)!;
        daemon.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string? address = await daemon.StandardOutput.ReadLineAsync(timeout.Token);
        int result = 0;
        if (string.IsNullOrEmpty(address))
        {
            await daemon.WaitForExitAsync(timeout.Token);
            result = daemon.ExitCode == 0 ? -1 : daemon.ExitCode;
        }
        else
        {
            daemon.Kill();
        }
        await daemon.WaitForExitAsync(timeout.Token);
        System.IO.Directory.Delete(dir, true);
        return result;
    }

    public sealed record Ran(int ExitCode, string Output);

    internal static async Task<Ran> RunAsync(string file, string[] args, TimeSpan? timeout = null, bool allowFailure = false)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(3));
        await p.WaitForExitAsync(cts.Token);
        var ran = new Ran(p.ExitCode, await stdout);
        if (!allowFailure && ran.ExitCode != 0)
            Assert.Fail($"{file} {string.Join(' ', args)} exited {ran.ExitCode}: {await stderr}\n{ran.Output}");
        return ran;
    }
}
