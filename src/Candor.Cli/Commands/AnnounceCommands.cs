using System.CommandLine;
using System.Security.Cryptography;
using System.Text.Json;
using Candor.Announcements;

namespace Candor.Cli.Commands;

/// <summary>
/// <c>candor announce add|remove|list|publish</c>: edit an app's announcements (<c>&lt;dir&gt;/&lt;app&gt;.source.json</c>)
/// and sign them into the file the collector serves (<c>&lt;dir&gt;/&lt;app&gt;.json</c>). docs/announcements.md.
/// </summary>
public static class AnnounceCommands
{
    private static readonly Option<string> Dir = new("--dir") { Description = "The announcements folder the collector serves (serve --announcements).", Required = true };
    private static readonly Option<string> App = new("--app") { Description = "The app id.", Required = true };

    public static Command Create()
    {
        var command = new Command("announce", "Edit and publish signed announcements (message of the day).");
        command.Subcommands.Add(Add());
        command.Subcommands.Add(Remove());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Publish());
        return command;
    }

    private static Command Add()
    {
        var id = new Option<string>("--id") { Description = "A unique id for the item.", Required = true };
        var title = new Option<string>("--title") { Required = true };
        var body = new Option<string>("--body") { DefaultValueFactory = _ => "" };
        var severity = new Option<string>("--severity") { Description = "info or security.", DefaultValueFactory = _ => "info" };
        var platforms = new Option<string[]>("--platform") { Description = "Show only on these platforms (repeatable).", AllowMultipleArgumentsPerToken = true };
        var min = new Option<string?>("--min-version") { Description = "Show only to this version and newer." };
        var max = new Option<string?>("--max-version") { Description = "Show only to this version and older." };
        var command = new Command("add", "Add a news item (publish to make it visible).") { Dir, App, id, title, body, severity, platforms, min, max };
        command.SetAction(parse => Edit(parse, "add", source =>
        {
            var item = new NewsItem
            {
                Id = parse.GetValue(id)!, Title = parse.GetValue(title)!, Body = parse.GetValue(body)!,
                Severity = parse.GetValue(severity)!,
                Platforms = parse.GetValue(platforms) is { Length: > 0 } p ? p : null,
                MinVersion = parse.GetValue(min), MaxVersion = parse.GetValue(max),
            };
            if (!NewsItem.Severities.Contains(item.Severity))
                return $"--severity must be one of {string.Join(", ", NewsItem.Severities)}, not '{item.Severity}'";
            foreach (var v in new[] { item.MinVersion, item.MaxVersion })
                if (v is not null && !Version.TryParse(v, out _))
                    return $"'{v}' is not a version like 1.2 or 1.2.3";
            if (source.News.Any(n => n.Id == item.Id))
                return $"an item with id '{item.Id}' exists; remove it first";
            source.News.Add(item);
            return null;
        }));
        return command;
    }

    private static Command Remove()
    {
        var id = new Option<string>("--id") { Required = true };
        var command = new Command("remove", "Remove a news item (publish to take it down).") { Dir, App, id };
        command.SetAction(parse => Edit(parse, "remove", source =>
            source.News.RemoveAll(n => n.Id == parse.GetValue(id)) == 0 ? $"no item with id '{parse.GetValue(id)}'" : null));
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "List the news items and the last published serial.") { Dir, App };
        command.SetAction(parse => Edit(parse, "list", source =>
        {
            Console.WriteLine($"{source.App}: serial {source.Serial} published, newest version {source.NewestVersion ?? "-"}, reportback_next {source.ReportbackNext}s");
            foreach (var n in source.News)
                Console.WriteLine($"  {n.Id} [{n.Severity}] {n.Title}" + (n.Platforms is { } p ? $" platforms={string.Join(",", p)}" : "")
                    + (n.MinVersion is { } lo ? $" >={lo}" : "") + (n.MaxVersion is { } hi ? $" <={hi}" : ""));
            return null;
        }, save: false));
        return command;
    }

    private static Command Publish()
    {
        var keyFile = new Option<string>("--key") { Description = "The private signing key (PEM) from 'candor keys generate'.", Required = true };
        var endorse = new Option<string?>("--introduce-with") { Description = "An older, trusted private key that signs a statement introducing --key (key rotation)." };
        var newest = new Option<string?>("--newest-version");
        var reportback = new Option<long?>("--reportback-next") { Description = "Seconds until clients next report." };
        var server = new Option<string?>("--reportback-server");
        var lifetime = new Option<int?>("--lifetime-days") { Description = "Days until the document expires (default 30)." };
        var ohttpKeys = new Option<string?>("--ohttp-keys") { Description = "The gateway key file: vouch for its published and staged key configurations (docs/ohttp.md)." };
        var command = new Command("publish", "Sign the announcements with the next serial and write the file the collector serves.")
            { Dir, App, keyFile, endorse, newest, reportback, server, lifetime, ohttpKeys };
        command.SetAction(parse => Edit(parse, "publish", source =>
        {
            if (parse.GetValue(newest) is { } n) source.NewestVersion = n;
            if (parse.GetValue(reportback) is { } r) source.ReportbackNext = r;
            if (parse.GetValue(server) is { } s) source.ReportbackServer = s;
            if (parse.GetValue(lifetime) is { } l) source.LifetimeDays = l;
            if (parse.GetValue(ohttpKeys) is { } gatewayKeys)
                source.OhttpKeys = System.Buffers.Text.Base64Url.EncodeToString(Candor.Collector.Ohttp.OhttpKeyRing.AnnounceableConfigs(gatewayKeys));
            if (source.ReportbackNext < 0 || source.LifetimeDays < 1)
                return "--reportback-next must be >= 0 and --lifetime-days >= 1";
            using var key = LoadKey(parse.GetValue(keyFile)!);
            if (parse.GetValue(endorse) is { } old)
            {
                using var oldKey = LoadKey(old);
                source.Endorse(oldKey, key, DateTimeOffset.UtcNow);
            }
            var doc = source.Publish(parse.GetValue(Dir)!, key, DateTimeOffset.UtcNow);
            Console.WriteLine($"published {AnnouncementSource.PublishedPath(parse.GetValue(Dir)!, source.App)}: serial {doc.Serial}, key {doc.KeyId}, {doc.News.Count} items, expires {doc.ExpiresAt:u}");
            return null;
        }, save: false));
        return command;
    }

    private static ECDsa LoadKey(string path)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(File.ReadAllText(path));
        }
        catch (ArgumentException e)
        {
            key.Dispose();
            throw new FormatException($"{path} is not a PEM private key: {e.Message}");
        }
        if (key.KeySize != 256)
        {
            key.Dispose();
            throw new FormatException($"{path} is not a P-256 key");
        }
        return key;
    }

    /// <summary>Loads, applies <paramref name="change"/> (which returns an error or null), saves; one line on stderr for any failure.</summary>
    private static int Edit(ParseResult parse, string verb, Func<AnnouncementSource, string?> change, bool save = true)
    {
        var dir = parse.GetValue(Dir)!;
        var app = parse.GetValue(App)!;
        try
        {
            // The app id becomes a file name: no separators, no "..".
            if (!System.Text.RegularExpressions.Regex.IsMatch(app, "^[A-Za-z0-9][A-Za-z0-9_-]*(\\.[A-Za-z0-9_-]+)*$"))
                return Fail(verb, $"'{app}' is not a valid app id");
            var source = AnnouncementSource.Load(dir, app);
            if (change(source) is { } error)
                return Fail(verb, error);
            if (save)
                source.Save(dir);
            return 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or FormatException or CryptographicException)
        {
            return Fail(verb, e.Message);
        }
    }

    private static int Fail(string verb, string message)
    {
        Console.Error.WriteLine($"candor announce {verb}: {message}");
        return 1;
    }
}
