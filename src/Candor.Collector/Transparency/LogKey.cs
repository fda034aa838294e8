using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Candor.Transparency;

namespace Candor.Collector.Transparency;

/// <summary>
/// The log's signing key, kept in one PEM file. Created on first start when the file is missing, with
/// mode 0600 from the first byte (created with that mode, never chmod-ed after), so no other user can
/// read it even briefly. Losing it means a new log identity: every app that trusts the old key must be
/// updated (docs/operations.md).
/// </summary>
/// <remarks>
/// Several collectors may start at the same moment on one fresh key path (scaled containers sharing a
/// volume). Creating the file and writing it afterwards let a second collector read it empty ("No
/// supported key formats were found") and fail to start. So the key is written whole to a temporary file
/// in the same folder, flushed to disk, and then linked into place without replacing anything: link(2) on
/// Unix, which fails when the name exists, and MoveFileEx without REPLACE_EXISTING on Windows.
/// (<see cref="File.Move(string, string, bool)"/> with overwrite false is not enough on Unix: .NET checks
/// that the target is missing and then renames, and a rename replaces a key placed in between; the
/// concurrency test caught two collectors serving two keys that way.) Exactly one collector's key wins;
/// the others find the path taken, drop their own and read the winner's, which is complete because it
/// was complete before it had that name.
/// </remarks>
internal static class LogKey
{
    /// <exception cref="CollectorConfigurationException">The file cannot be read, written or is not a P-256 key.</exception>
    public static EcdsaNoteKey LoadOrCreate(string path, string origin)
    {
        try
        {
            if (!File.Exists(path))
                CreateUnlessPresent(path);
            var key = ECDsa.Create();
            key.ImportFromPem(File.ReadAllText(path));
            if (key.KeySize != 256)
                throw new CryptographicException($"the key is {key.KeySize} bits; the log signs with ECDSA P-256");
            return EcdsaNoteKey.ForSigning(origin, key);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new Hosting.CollectorConfigurationException($"Invalid collector settings:\n  Transparency:KeyFile: {path}: {e.Message}");
        }
    }

    private static void CreateUnlessPresent(string path)
    {
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        // Same folder, so the final step is a link within one filesystem, never a copy.
        var temporary = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():n}.tmp");
        try
        {
            using (var fresh = ECDsa.Create(ECCurve.NamedCurves.nistP256))
            {
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows())
                    options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                using var stream = new FileStream(temporary, options);
                using (var w = new StreamWriter(stream, leaveOpen: true))
                {
                    w.Write(fresh.ExportPkcs8PrivateKeyPem());
                    w.Write('\n');
                }
                // On disk before it gets its name: a power cut must not leave an empty key at the path.
                stream.Flush(flushToDisk: true);
            }
            PlaceUnlessTaken(temporary, full);
        }
        finally
        {
            // After the link the key has two names and the temporary one goes; when another key won, or
            // writing failed, this one goes entirely.
            File.Delete(temporary);
        }
    }

    /// <summary>Gives <paramref name="temporary"/> the name <paramref name="target"/> unless that name exists; if it does, another key won and is kept.</summary>
    private static void PlaceUnlessTaken(string temporary, string target)
    {
        if (OperatingSystem.IsWindows())
        {
            try
            {
                File.Move(temporary, target, overwrite: false); // MoveFileEx without REPLACE_EXISTING: atomic
            }
            catch (IOException) when (File.Exists(target))
            {
                // Another collector sharing the folder placed its key first: use theirs.
            }
            return;
        }
        if (Link(temporary, target) == 0)
            return;
        if (File.Exists(target))
            return; // EEXIST: another collector sharing the folder placed its key first: use theirs.
        // A filesystem without hard links (EPERM, ENOTSUP): no atomic no-replace step is available; a
        // move after the existence check is the best left, and a race there needs two first starts at
        // once on such a filesystem.
        try
        {
            File.Move(temporary, target, overwrite: false);
        }
        catch (IOException) when (File.Exists(target))
        {
        }
    }

    [DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int Link([MarshalAs(UnmanagedType.LPUTF8Str)] string existing, [MarshalAs(UnmanagedType.LPUTF8Str)] string created);
}
