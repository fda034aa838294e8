using System.Diagnostics;

namespace Candor.Tests.Infrastructure;

/// <summary>
/// A small tmpfs mounted for one test (<c>mount -t tmpfs -o size=...</c>), so that a disk can really
/// fill up; unmounted on dispose. Needs root (CI runs as root); <see cref="SmallFilesystemFactAttribute"/>
/// skips elsewhere, never under CI=true.
/// </summary>
public sealed class SmallFilesystem : IDisposable
{
    private SmallFilesystem(string path) => Path = path;

    public string Path { get; }

    public static SmallFilesystem Mount(int megabytes)
    {
        var path = Directory.CreateTempSubdirectory("candor-small-fs-").FullName;
        var (exit, error) = Run("mount", "-t", "tmpfs", "-o", $"size={megabytes}m,mode=0755", "tmpfs", path);
        if (exit != 0)
        {
            Directory.Delete(path);
            throw new InvalidOperationException($"mount -t tmpfs failed ({exit}): {error.Trim()}. The full-disk tests need root and a kernel that allows tmpfs mounts.");
        }
        return new SmallFilesystem(path);
    }

    /// <summary>Bytes free for an unprivileged writer.</summary>
    public long FreeBytes => new DriveInfo(Path).AvailableFreeSpace;

    /// <summary>
    /// Fills the filesystem with 1 MiB files under filler/ and then with small writes until nothing more
    /// fits; returns the number of whole 1 MiB files, which <see cref="Free"/> deletes to make room.
    /// </summary>
    public int Fill()
    {
        var dir = System.IO.Path.Combine(Path, "filler");
        Directory.CreateDirectory(dir);
        var chunk = new byte[1 << 20];
        Random.Shared.NextBytes(chunk);
        int files = 0;
        while (true)
        {
            try
            {
                File.WriteAllBytes(System.IO.Path.Combine(dir, $"{files:0000}.bin"), chunk);
                files++;
            }
            catch (IOException)
            {
                File.Delete(System.IO.Path.Combine(dir, $"{files:0000}.bin"));
                break;
            }
        }
        // The last partial MiB, page by page.
        using var rest = new FileStream(System.IO.Path.Combine(dir, "rest.bin"), FileMode.Create);
        var page = new byte[4096];
        try
        {
            while (true)
            {
                rest.Write(page);
                rest.Flush();
            }
        }
        catch (IOException)
        {
            // Full.
        }
        return files;
    }

    /// <summary>Deletes <paramref name="megabytes"/> of the filler written by <see cref="Fill"/>.</summary>
    public void Free(int megabytes)
    {
        var files = Directory.GetFiles(System.IO.Path.Combine(Path, "filler"), "0*.bin").Order().Take(megabytes).ToList();
        Assert.Equal(megabytes, files.Count);
        foreach (var f in files)
            File.Delete(f);
    }

    public void Dispose()
    {
        Run("umount", "-l", Path);
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }

    private static (int Exit, string Error) Run(string file, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, error);
    }
}

/// <summary>
/// A test that mounts a <see cref="SmallFilesystem"/>: skipped with a reason when not running as root
/// on a developer machine; in CI (CI=true, where .ci/run runs as root) it always runs, and fails if the
/// mount is refused, so a full-disk test can never pass silently there.
/// </summary>
public sealed class SmallFilesystemFactAttribute : FactAttribute
{
    public SmallFilesystemFactAttribute()
    {
        if (Environment.UserName != "root" && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = "mounting a small tmpfs needs root (CI runs as root and never skips this test)";
    }
}
