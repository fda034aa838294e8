using Candor.Tests.Client;
using Candor.Tests.Infrastructure;
using Candor.Tests.Operations;

namespace Candor.Tests.Transparency;

/// <summary><c>candor client verify</c>, <c>receipts</c> and <c>delete-reports</c> as a user runs them: the real tool in its own process.</summary>
public sealed class VerifyCommandTests : IDisposable
{
    private readonly ClientTestKit _kit = new();
    private readonly string _registry;

    public VerifyCommandTests()
    {
        _registry = Path.Combine(TestRegistries.WriteFiles(Path.Combine(_kit.DataDirectory, "..", Path.GetFileName(_kit.DataDirectory) + "-reg")), "test-v1.yaml");
        // The application has run once: candor client works on an existing store only (it never creates one).
        using var app = _kit.Create();
    }

    public void Dispose()
    {
        _kit.Dispose();
        try { Directory.Delete(Path.GetDirectoryName(_registry)!, true); } catch (IOException) { }
    }

    private Task<(int Exit, string Stdout, string Stderr)> Candor(params string[] args) =>
        CandorProcess.RunAsync(_kit.DataDirectory, ["client", .. args, "--data-dir", _kit.DataDirectory, "--registry", _registry]);

    private static string OneLine(string stderr)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return Assert.Single(lines).TrimEnd('\r');
    }

    [Fact]
    public async Task A_bad_log_key_is_refused_in_one_line_before_anything_is_asked()
    {
        var (exit, stdout, stderr) = await Candor("verify", "--collector", LoopbackClient.ClosedUri().ToString(), "--transport", "direct", "--log-key", "log.example+0000abcd+AgAA");
        Assert.Equal(1, exit);
        Assert.StartsWith("candor client: --log-key is not a log verifier key:", OneLine(stderr));
        Assert.Empty(stdout);

        (exit, _, stderr) = await Candor("verify", "--collector", LoopbackClient.ClosedUri().ToString(), "--transport", "direct", "--log-key", "no-plus-signs");
        Assert.Equal(1, exit);
        Assert.Equal("candor client: --log-key is not a log verifier key: a verifier key is name+keyid+key, with no spaces in the name.", OneLine(stderr));
    }

    [Fact]
    public async Task An_unreachable_collector_is_one_readable_line()
    {
        var closed = LoopbackClient.ClosedUri();
        await Candor("consent", "grant"); // checking the log reaches the network, so it needs consent (NetworkConsentGateTests)
        var (exit, _, stderr) = await Candor("verify", "--collector", closed.ToString(), "--transport", "direct");
        Assert.Equal(1, exit);
        Assert.StartsWith($"candor client: the collector at {closed} cannot be reached:", OneLine(stderr));

        (exit, _, stderr) = await Candor("verify", "--collector", "ftp://example.org", "--transport", "direct");
        Assert.Equal(1, exit);
        Assert.Equal("candor client: --collector must be an http:// or https:// address, got 'ftp://example.org'.", OneLine(stderr));
    }

    [Fact]
    public async Task A_checkpoint_to_compare_that_cannot_be_read_is_one_line()
    {
        var missing = Path.Combine(_kit.DataDirectory, "no-such-checkpoint.txt");
        var (exit, _, stderr) = await Candor("verify", "--collector", LoopbackClient.ClosedUri().ToString(), "--transport", "direct", "--compare", missing);
        Assert.Equal(1, exit);
        Assert.StartsWith($"candor client: the checkpoint to compare ({missing}) cannot be read:", OneLine(stderr));
    }

    [Fact]
    public async Task With_nothing_sent_there_is_nothing_to_delete_and_no_receipt_to_show()
    {
        var (exit, stdout, _) = await Candor("receipts");
        Assert.Equal(0, exit);
        Assert.Contains("No receipts", stdout);

        (exit, stdout, _) = await Candor("delete-reports", "--collector", LoopbackClient.ClosedUri().ToString(), "--transport", "direct");
        Assert.Equal(0, exit);
        Assert.Equal("No sent report matches: nothing was asked of the collector.", stdout.Trim());
    }

    /// <summary>The application sends a week of reports to a real collector, which seals them into its log.</summary>
    private async Task<CollectorHost> SentAndSealedAsync()
    {
        var collector = await CollectorHost.StartAsync();
        using (var app = _kit.Create(collector.BaseAddress))
        {
            app.GrantConsent();
            ClientTestKit.RecordSomething(app);
            app.Flush(); // and the day's candor.active
            _kit.Clock.Set(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));
            Assert.Equal(1, (await app.UploadAsync()).Sent);
        }
        await LogKit.SealAsync(collector);
        return collector;
    }

    [Fact]
    public async Task Verify_proves_each_sent_report_and_says_what_the_lookups_revealed()
    {
        await using var collector = await SentAndSealedAsync();
        var key = (await collector.Client.GetStringAsync("/v1/log/key")).Trim();

        var (exit, stdout, stderr) = await Candor("verify", "--collector", collector.BaseAddress.ToString(), "--transport", "direct", "--log-key", key);

        Assert.True(exit == 0, stderr + stdout);
        Assert.Contains("Log key: the configured key.", stdout);
        Assert.Contains("Checkpoint: 7 leaves, signed by the log key", stdout);
        Assert.Contains("included     system.os 2026-W47 = linux: included at leaf ", stdout);
        Assert.Equal(7, stdout.Split('\n').Count(l => l.StartsWith("included ", StringComparison.Ordinal)));
        Assert.Contains("Privacy: 7 lookup(s) went out together, directly from this device's address.", stdout);

        // A mirror serving the same checkpoint (here the collector's own URL): one history.
        (exit, stdout, _) = await Candor("verify", "--collector", collector.BaseAddress.ToString(), "--transport", "direct", "--log-key", key,
            "--compare", new Uri(collector.BaseAddress, "/v1/log/checkpoint").ToString());
        Assert.Equal(0, exit);
        Assert.Contains("Consistent: this device's checkpoint (size 7) and the other (size 7) show one history.", stdout);

        // Without a key: trusted on first use, and said so.
        (exit, stdout, _) = await Candor("verify", "--collector", collector.BaseAddress.ToString(), "--transport", "direct");
        Assert.Equal(0, exit);
        Assert.Contains("Log key: trusted on first use", stdout);
    }

    [Fact]
    public async Task Verify_compare_with_a_checkpoint_from_a_forked_log_exits_2_with_both_checkpoints()
    {
        await using var collector = await SentAndSealedAsync();
        Assert.Equal(0, (await Candor("verify", "--collector", collector.BaseAddress.ToString(), "--transport", "direct")).Exit);

        // Another device was later shown a rewritten tree of the same size, signed with the collector's key.
        var forked = LogTampering.RewriteLeaf(collector, 3, new global::Candor.Transparency.LogEntry(global::Candor.Transparency.LogEntryKind.Report,
            System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)).ToBytes());
        var file = Path.Combine(_kit.DataDirectory, "other-device-checkpoint.txt");
        await File.WriteAllTextAsync(file, forked);

        // This device asks again: the collector now serves the rewritten tree too, so the check itself fails first.
        var (exit, stdout, _) = await Candor("verify", "--collector", collector.BaseAddress.ToString(), "--transport", "direct", "--compare", file);
        Assert.Equal(2, exit);
        Assert.Contains("ALARM (Fork)", stdout);
        Assert.Contains(forked.Split("\n\n")[0], stdout);
    }

    [Fact]
    public async Task Delete_reports_shows_each_outcome_and_a_second_run_changes_nothing()
    {
        await using var collector = await SentAndSealedAsync();
        var args = new[] { "delete-reports", "--collector", collector.BaseAddress.ToString(), "--transport", "direct", "--metric", "system.os" };

        var (exit, stdout, stderr) = await Candor(args);
        Assert.True(exit == 0, stderr);
        Assert.Contains("deleted          system.os 2026-W47 = linux", stdout);
        Assert.Contains("1 deleted. Deleted reports no longer count in the collector's stored figures; figures it already published are not changed.", stdout);
        Assert.DoesNotContain(await collector.Store.ReadRawAsync(TestRegistries.App), r => r.Metric == "system.os");

        (exit, stdout, _) = await Candor(args);
        Assert.Equal(0, exit);
        Assert.Contains("already-deleted  system.os 2026-W47 = linux", stdout);
        Assert.Contains("1 already-deleted.", stdout);

        (_, stdout, _) = await Candor("receipts");
        Assert.Contains("deleted   system.os 2026-W47 = linux", stdout);
        (_, var status, _) = await Candor("status");
        Assert.Contains("Receipts of sent reports: 7 (0 proved in the log, 1 deleted)", status);
        Assert.Contains("sent      app.launches 2026-W47 = 5", stdout);
    }

    [Fact]
    public async Task Without_consent_verify_sends_nothing_and_says_so_in_one_line()
    {
        var (exit, stdout, stderr) = await Candor("verify", "--collector", LoopbackClient.ClosedUri().ToString(), "--transport", "direct");
        Assert.Equal(1, exit);
        Assert.Empty(stdout);
        Assert.StartsWith("candor client: Nothing was sent: checking reports in the transparency log reaches the collector, and consent is not granted", OneLine(stderr));
    }

    [Fact]
    public async Task A_collector_without_a_transparency_log_is_one_readable_line()
    {
        await using var collector = await CollectorHost.StartAsync(o => o.Transparency.Enabled = false);
        await Candor("consent", "grant");

        var (exit, stdout, stderr) = await Candor("verify", "--collector", collector.BaseAddress.ToString(), "--transport", "direct");

        Assert.Equal(1, exit);
        Assert.Empty(stdout);
        Assert.Equal("candor client: The collector keeps no transparency log (its Transparency:Enabled setting is off): there is nothing to check or delete by receipt.", OneLine(stderr));
    }
}
