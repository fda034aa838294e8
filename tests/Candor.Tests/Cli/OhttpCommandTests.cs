using Candor.Hpke;
using Candor.Ohttp;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Cli;

/// <summary><c>candor ohttp keys|rotate</c> and <c>candor relay</c> as a user runs them: the real process, its exit code and output.</summary>
public sealed class OhttpCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("candor-ohttp-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Keys_creates_a_private_key_file_and_prints_the_configurations_an_app_ships()
    {
        var file = Path.Combine(_dir, "keys.json");
        var (exit, stdout, _) = await CandorProcess.RunAsync(_dir, "ohttp", "keys", "--file", file);
        Assert.Equal(0, exit);
        var configs = OhttpKeyConfig.ParseList(Convert.FromBase64String(stdout.Trim()));
        Assert.Equal([KemId.X25519Sha256, KemId.P256Sha256], configs.Select(c => c.Kem));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));

        // The same file gives the same configuration (every collector of a deployment publishes one), until a rotation.
        Assert.Equal(stdout, (await CandorProcess.RunAsync(_dir, "ohttp", "keys", "--file", file)).Stdout);
        var (rotated, rotatedOut, _) = await CandorProcess.RunAsync(_dir, "ohttp", "rotate", "--file", file);
        Assert.Equal(0, rotated);
        Assert.NotEqual(stdout, rotatedOut);
        Assert.Equal(rotatedOut, (await CandorProcess.RunAsync(_dir, "ohttp", "keys", "--file", file)).Stdout);
    }

    [Fact]
    public async Task A_damaged_key_file_is_a_one_line_error()
    {
        var file = Path.Combine(_dir, "keys.json");
        File.WriteAllText(file, "{ \"keys\": [ { \"id\": 1, \"kem\": \"x448\" } ] }");
        var (exit, _, stderr) = await CandorProcess.RunAsync(_dir, "ohttp", "keys", "--file", file);
        Assert.Equal(1, exit);
        Assert.StartsWith("candor ohttp keys: ", stderr);
        Assert.Contains("unknown kem 'x448'", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task Stage_then_announce_then_rotate_publishes_exactly_the_keys_the_announcement_vouched_for()
    {
        var file = Path.Combine(_dir, "keys.json");
        var shipped = (await CandorProcess.RunAsync(_dir, "ohttp", "keys", "--file", file)).Stdout.Trim();
        var (stageExit, staged, stageErr) = await CandorProcess.RunAsync(_dir, "ohttp", "stage", "--file", file);
        Assert.True(stageExit == 0, stageErr);
        Assert.Equal(shipped, (await CandorProcess.RunAsync(_dir, "ohttp", "keys", "--file", file)).Stdout.Trim()); // staged keys are not published

        var keys = Path.Combine(_dir, "signing");
        var generated = await CandorProcess.RunAsync(_dir, "keys", "generate", "--out", keys);
        var id = generated.Stdout.Split(' ')[1].TrimEnd(':');
        var served = Path.Combine(_dir, "announcements");
        var publish = await CandorProcess.RunAsync(_dir, "announce", "publish", "--dir", served, "--app", TestRegistries.App,
            "--key", Path.Combine(keys, id + ".key.pem"), "--ohttp-keys", file);
        Assert.True(publish.Exit == 0, publish.Stderr);
        var trust = new Dictionary<string, byte[]> { [id] = Candor.Announcements.AnnouncementKeys.ParsePublicKey(File.ReadAllText(Path.Combine(keys, id + ".pub.pem"))) };
        var doc = Candor.Announcements.AnnouncementVerifier.Verify(File.ReadAllBytes(Candor.Announcements.AnnouncementSource.PublishedPath(served, TestRegistries.App)),
            TestRegistries.App, trust, DateTimeOffset.UtcNow, 0).Document;
        var vouched = OhttpKeyConfig.ParseList(System.Buffers.Text.Base64Url.DecodeFromChars(doc.OhttpKeys!)).Select(c => Convert.ToHexString(c.Encode())).ToList();
        var expected = OhttpKeyConfig.ParseList(Convert.FromBase64String(shipped)).Concat(OhttpKeyConfig.ParseList(Convert.FromBase64String(staged.Trim())))
            .Select(c => Convert.ToHexString(c.Encode())).ToList();
        Assert.Equal(expected, vouched);

        var (rotateExit, rotated, _) = await CandorProcess.RunAsync(_dir, "ohttp", "rotate", "--file", file);
        Assert.Equal(0, rotateExit);
        Assert.Equal(staged, rotated); // the rotation publishes the staged keys, not fresh ones
        Assert.Equal(staged.Trim(), (await CandorProcess.RunAsync(_dir, "ohttp", "keys", "--file", file)).Stdout.Trim());

        var missing = await CandorProcess.RunAsync(_dir, "announce", "publish", "--dir", served, "--app", TestRegistries.App,
            "--key", Path.Combine(keys, id + ".key.pem"), "--ohttp-keys", Path.Combine(_dir, "no-such-keys.json"));
        Assert.Equal(1, missing.Exit);
        Assert.Contains("no-such-keys.json", missing.Stderr);
        Assert.Single(missing.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task The_relay_refuses_to_start_without_a_gateway()
    {
        var (exit, _, stderr) = await CandorProcess.RunAsync(_dir, "relay");
        Assert.Equal(1, exit);
        Assert.Contains("--gateway: give the gateway's URL", stderr);

        var (badExit, _, badErr) = await CandorProcess.RunAsync(_dir, "relay", "--gateway", "ftp://example.org/x");
        Assert.Equal(1, badExit);
        Assert.Contains("is not an http(s) URL", badErr);
    }
}
