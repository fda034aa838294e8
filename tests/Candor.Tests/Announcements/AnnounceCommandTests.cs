using Candor.Announcements;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Announcements;

public sealed class AnnounceCommandTests : IDisposable
{
    private const string App = TestRegistries.App;
    private readonly string _dir = Directory.CreateTempSubdirectory("candor-announce-").FullName;
    private string Keys => Path.Combine(_dir, "keys");
    private string Served => Path.Combine(_dir, "served");

    public void Dispose() => Directory.Delete(_dir, true);

    private async Task<string> GenerateKeyAsync()
    {
        var (exit, stdout, stderr) = await CandorProcess.RunAsync(_dir, "keys", "generate", "--out", Keys);
        Assert.True(exit == 0, stderr);
        var id = stdout.Split(' ')[1].TrimEnd(':');
        Assert.True(File.Exists(Path.Combine(Keys, id + ".key.pem")));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(Keys, id + ".key.pem")));
        return id;
    }

    private static Dictionary<string, byte[]> Trust(string keysDir, string id) =>
        new() { [id] = AnnouncementKeys.ParsePublicKey(File.ReadAllText(Path.Combine(keysDir, id + ".pub.pem"))) };

    [Fact]
    public async Task Add_list_remove_and_publish_produce_a_document_clients_accept()
    {
        var id = await GenerateKeyAsync();
        Assert.Equal(0, (await CandorProcess.RunAsync(_dir, "announce", "add", "--dir", Served, "--app", App, "--id", "sec-1",
            "--title", "Update to 2.1", "--severity", "security", "--platform", "windows", "--max-version", "2.0.9")).Exit);
        Assert.Equal(0, (await CandorProcess.RunAsync(_dir, "announce", "add", "--dir", Served, "--app", App, "--id", "old", "--title", "Old")).Exit);
        Assert.Equal(0, (await CandorProcess.RunAsync(_dir, "announce", "remove", "--dir", Served, "--app", App, "--id", "old")).Exit);
        var list = await CandorProcess.RunAsync(_dir, "announce", "list", "--dir", Served, "--app", App);
        Assert.Contains("sec-1 [security] Update to 2.1 platforms=windows <=2.0.9", list.Stdout);
        Assert.DoesNotContain("old", list.Stdout.Split('\n').Skip(1).FirstOrDefault(l => l.Contains(" old ")) ?? "");

        var publish = await CandorProcess.RunAsync(_dir, "announce", "publish", "--dir", Served, "--app", App,
            "--key", Path.Combine(Keys, id + ".key.pem"), "--newest-version", "2.1.0", "--reportback-next", "86400");
        Assert.True(publish.Exit == 0, publish.Stderr);

        var doc = AnnouncementVerifier.Verify(File.ReadAllBytes(AnnouncementSource.PublishedPath(Served, App)), App, Trust(Keys, id), DateTimeOffset.UtcNow, 0).Document;
        Assert.Equal("2.1.0", doc.NewestVersion);
        Assert.Equal(86400, doc.ReportbackNext);
        Assert.Equal("sec-1", Assert.Single(doc.News).Id);
    }

    [Fact]
    public async Task Publishing_with_a_new_key_introduced_by_the_old_one_rotates()
    {
        var oldId = await GenerateKeyAsync();
        var newId = await GenerateKeyAsync();
        var publish = await CandorProcess.RunAsync(_dir, "announce", "publish", "--dir", Served, "--app", App,
            "--key", Path.Combine(Keys, newId + ".key.pem"), "--introduce-with", Path.Combine(Keys, oldId + ".key.pem"));
        Assert.True(publish.Exit == 0, publish.Stderr);

        var verified = AnnouncementVerifier.Verify(File.ReadAllBytes(AnnouncementSource.PublishedPath(Served, App)), App, Trust(Keys, oldId), DateTimeOffset.UtcNow, 0);
        Assert.Equal(newId, verified.Document.KeyId);
        Assert.Contains(newId, verified.NewKeys.Keys);
    }

    [Fact]
    public async Task Serve_with_announcements_serves_what_publish_wrote()
    {
        var id = await GenerateKeyAsync();
        const string editor = "org.example.editor"; // an app of the registries serve loads by default
        Assert.Equal(0, (await CandorProcess.RunAsync(_dir, "announce", "add", "--dir", Served, "--app", editor, "--id", "a", "--title", "Hi")).Exit);
        Assert.Equal(0, (await CandorProcess.RunAsync(_dir, "announce", "publish", "--dir", Served, "--app", editor, "--key", Path.Combine(Keys, id + ".key.pem"))).Exit);
        int port;
        using (var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0)) { l.Start(); port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port; }
        using var serve = CandorProcess.Start(_dir, "serve", "--urls", $"http://127.0.0.1:{port}", "--announcements", Served);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await serve.WaitUntilHealthyAsync(http);

        var body = await http.GetByteArrayAsync($"/v1/apps/{editor}/announcements");

        Assert.Equal(File.ReadAllBytes(AnnouncementSource.PublishedPath(Served, editor)), body);
    }

    [Theory]
    [InlineData("add", "--id", "x", "--title", "t", "--severity", "urgent")]
    [InlineData("add", "--id", "x", "--title", "t", "--min-version", "one")]
    [InlineData("remove", "--id", "missing")]
    [InlineData("publish", "--key", "no-such-key.pem")]
    public async Task Bad_input_is_a_one_line_error(params string[] args)
    {
        var (exit, _, stderr) = await CandorProcess.RunAsync(_dir, ["announce", args[0], "--dir", Served, "--app", App, .. args[1..]]);
        Assert.Equal(1, exit);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"candor announce {args[0]}: ", stderr);
    }

    [Fact]
    public async Task An_app_id_that_is_a_path_is_refused()
    {
        var (exit, _, stderr) = await CandorProcess.RunAsync(_dir, "announce", "list", "--dir", Served, "--app", "../etc");
        Assert.Equal(1, exit);
        Assert.Contains("not a valid app id", stderr);
    }
}
