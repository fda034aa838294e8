using System.CommandLine;
using Candor.Announcements;

namespace Candor.Cli.Commands;

/// <summary><c>candor keys generate</c>: an ECDSA P-256 key pair for signing announcements.</summary>
public static class KeyCommands
{
    public static Command Create()
    {
        var command = new Command("keys", "Manage announcement signing keys.");
        command.Subcommands.Add(Generate());
        return command;
    }

    private static Command Generate()
    {
        var output = new Option<string>("--out") { Description = "Folder for <key id>.key.pem (private, keep offline) and <key id>.pub.pem (ship it in the app).", Required = true };
        var command = new Command("generate", "Create an ECDSA P-256 signing key pair.") { output };
        command.SetAction(parse =>
        {
            var dir = parse.GetValue(output)!;
            using var key = AnnouncementKeys.Generate();
            var id = AnnouncementKeys.KeyId(key);
            var privatePath = Path.Combine(dir, id + ".key.pem");
            var publicPath = Path.Combine(dir, id + ".pub.pem");
            try
            {
                Directory.CreateDirectory(dir);
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows())
                    options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                using (var w = new StreamWriter(privatePath, options))
                    w.Write(key.ExportPkcs8PrivateKeyPem());
                File.WriteAllText(publicPath, key.ExportSubjectPublicKeyInfoPem() + "\n");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"candor keys generate: cannot write to {dir}: {e.Message}");
                return 1;
            }
            Console.WriteLine($"key {id}: private {privatePath}, public {publicPath}");
            return 0;
        });
        return command;
    }
}
