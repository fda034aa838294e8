using System.Security.Cryptography;
using Candor.Transparency;

namespace Candor.Collector.Transparency;

/// <summary>
/// The log's signing key, kept in one PEM file. Created on first start when the file is missing, with
/// mode 0600 from the first byte (created with that mode, never chmod-ed after), so no other user can
/// read it even briefly. Losing it means a new log identity: every app that trusts the old key must be
/// updated (docs/operations.md).
/// </summary>
public static class LogKey
{
    /// <exception cref="CollectorConfigurationException">The file cannot be read, written or is not a P-256 key.</exception>
    public static EcdsaNoteKey LoadOrCreate(string path, string origin)
    {
        try
        {
            if (!File.Exists(path))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
                using var fresh = ECDsa.Create(ECCurve.NamedCurves.nistP256);
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows())
                    options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                try
                {
                    using var w = new StreamWriter(path, options);
                    w.Write(fresh.ExportPkcs8PrivateKeyPem());
                    w.Write('\n');
                }
                catch (IOException) when (File.Exists(path))
                {
                    // Another collector sharing the folder created it first: use theirs.
                }
            }
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
}
