using System.Security.Cryptography;
using Candor.Client;
using Candor.Client.Transparency;
using Candor.Tests.Client;
using Candor.Tests.Infrastructure;
using Candor.Transparency;

namespace Candor.Tests.Transparency;

/// <summary>
/// The client's checks against a log that misbehaves on purpose (<see cref="ScriptedLog"/>): each attack a
/// collector could try on its log (another key, a rollback, a fork, a rewritten history, a bad proof, a
/// dropped report) is caught, with evidence, and the device keeps the last good checkpoint. Reports go
/// to a real collector on loopback; the end-to-end tests against the collector's own log are in
/// <see cref="TransparencyEndToEndTests"/>.
/// </summary>
public sealed class LogVerificationTests : IAsyncLifetime, IDisposable
{
    private static readonly DateTimeOffset NextMonday = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    private readonly ClientTestKit _kit = new();
    private readonly ScriptedLog _log = new();
    private CollectorHost _collector = null!;
    private WireTap _tap = null!;

    public async Task InitializeAsync()
    {
        _collector = await CollectorHost.StartAsync();
        _tap = new WireTap { Intercept = _log.Answer };
    }

    public async Task DisposeAsync() => await _collector.DisposeAsync();

    public void Dispose() => _kit.Dispose();

    private CandorClient Client(Action<CandorClientOptions>? configure = null, bool configuredKey = true)
    {
        var options = _kit.Options(_collector.BaseAddress, _tap);
        if (configuredKey)
            options.LogKey = _log.VerifierKey;
        configure?.Invoke(options);
        return CandorClient.Create(options);
    }

    /// <summary>A client that sent one week of reports, all appended to the scripted log.</summary>
    private async Task<CandorClient> SentAndLoggedAsync(Action<CandorClientOptions>? configure = null, bool configuredKey = true)
    {
        var client = Client(configure, configuredKey);
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        _kit.Clock.Set(NextMonday);
        Assert.Equal(1, (await client.UploadAsync()).Sent);
        // Other devices' leaves around ours, as in a shuffled epoch.
        for (int i = 0; i < 5; i++)
            _log.Append(ReportCommitment.Encode(RandomNumberGenerator.GetBytes(32)));
        foreach (var r in client.Receipts())
            _log.Append(r.Commitment);
        for (int i = 0; i < 4; i++)
            _log.Append(ReportCommitment.Encode(RandomNumberGenerator.GetBytes(32)));
        return client;
    }

    [Fact]
    public async Task Reports_sent_are_proved_included_in_a_checkpoint_signed_by_the_configured_key()
    {
        using var client = await SentAndLoggedAsync();

        var result = await client.VerifyReportsAsync();

        Assert.Null(result.Alarm);
        Assert.False(result.TrustOnFirstUse);
        Assert.Equal((ulong)_log.Tree.Size, result.CheckpointSize);
        Assert.Equal(client.Receipts().Count, result.Receipts.Count);
        Assert.All(result.Receipts, c =>
        {
            Assert.Equal(ReceiptVerdict.Included, c.Verdict);
            Assert.InRange(c.LeafIndex!.Value, 5, _log.Tree.Size - 5);
            Assert.Equal(_log.Tree.Size, c.TreeSize);
        });
        Assert.All(client.Receipts(), r => Assert.Equal(ReceiptStatus.Included, r.Status));
        Assert.Contains($"{result.Receipts.Count} lookup(s) went out together", result.Disclosure);
    }

    [Fact]
    public async Task A_report_not_in_the_log_is_pending_at_first_and_missing_well_after_an_epoch()
    {
        using var client = Client();
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        _kit.Clock.Set(NextMonday);
        await client.UploadAsync();
        _log.Append(ReportCommitment.Encode(RandomNumberGenerator.GetBytes(32)));
        var dropped = client.Receipts().First(r => r.Metric == "system.os");
        foreach (var r in client.Receipts().Where(r => r != dropped))
            _log.Append(r.Commitment);

        var soon = await client.VerifyReportsAsync();
        Assert.Equal(ReceiptVerdict.Pending, soon.Receipts.Single(c => c.Receipt.Commitment == dropped.Commitment).Verdict);

        _kit.Clock.Advance(TimeSpan.FromDays(8)); // LogMissingAfter is a week
        var later = await client.VerifyReportsAsync();
        var missing = later.Receipts.Single(c => c.Receipt.Commitment == dropped.Commitment);
        Assert.Equal(ReceiptVerdict.Missing, missing.Verdict);
        Assert.Contains("the collector dropped it", missing.Detail);
        Assert.All(later.Receipts.Where(c => c != missing), c => Assert.Equal(ReceiptVerdict.Included, c.Verdict));
    }

    [Fact]
    public async Task A_checkpoint_signed_by_another_key_is_refused_with_the_note_as_evidence()
    {
        using var client = await SentAndLoggedAsync();
        using var impostor = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var forged = SignedNote.Sign(new Checkpoint(ScriptedLog.Origin, (ulong)_log.Tree.Size, _log.Tree.RootHash(_log.Tree.Size)).ToNoteText(),
            EcdsaNoteKey.ForSigning(ScriptedLog.Origin, impostor));
        _log.ServedNote = forged;

        var result = await client.VerifyReportsAsync();

        Assert.Equal(LogAlarmKind.BadSignature, result.Alarm!.Kind);
        Assert.Contains(forged.TrimEnd('\n'), result.Alarm.Evidence);
        Assert.Empty(result.Receipts);
        Assert.Equal(0, _log.LookUps); // nothing is checked against a checkpoint nobody vouches for
        Assert.Equal("No receipt was looked up: only the public checkpoint was fetched.", result.Disclosure);
        Assert.Contains(client.Log(), l => l.Message.Contains("BadSignature"));
    }

    [Fact]
    public async Task A_smaller_tree_than_one_seen_before_is_a_rollback()
    {
        using var client = await SentAndLoggedAsync();
        Assert.Null((await client.VerifyReportsAsync()).Alarm);
        long seen = _log.Tree.Size;

        _log.ServedSize = seen - 1;
        var result = await client.VerifyReportsAsync();

        Assert.Equal(LogAlarmKind.SmallerTree, result.Alarm!.Kind);
        // Both signed checkpoints are in the evidence: the one seen before and the smaller one served now.
        Assert.Contains(Body(seen), result.Alarm.Evidence);
        Assert.Contains(Body(seen - 1), result.Alarm.Evidence);
    }

    private string Body(long size) => new Checkpoint(ScriptedLog.Origin, (ulong)size, _log.Tree.RootHash(size)).ToNoteText();

    [Fact]
    public async Task A_rewritten_history_is_caught_by_the_consistency_proof_and_the_last_good_checkpoint_is_kept()
    {
        using var client = await SentAndLoggedAsync();
        Assert.Null((await client.VerifyReportsAsync()).Alarm);
        var seenSize = _log.Tree.Size;

        // The collector changes an old leaf (one of this device's reports) and grows the log past it.
        var mine = client.Receipts()[0];
        Assert.True(ReportCommitment.TryDecode(ReportCommitment.Encode(RandomNumberGenerator.GetBytes(32)), out var other));
        _log.Rewrite((int)mine.LeafIndex!.Value, new LogEntry(LogEntryKind.Report, other).ToBytes());
        _log.Append(ReportCommitment.Encode(RandomNumberGenerator.GetBytes(32)));

        var result = await client.VerifyReportsAsync();

        Assert.Equal(LogAlarmKind.Fork, result.Alarm!.Kind);
        Assert.Contains($"does not extend the one of size {seenSize}", result.Alarm.Reason);
        Assert.Contains($"consistency proof {seenSize} -> {_log.Tree.Size}", result.Alarm.Evidence);

        // The honest-looking newer checkpoint was not kept: asking again still fails.
        Assert.Equal(LogAlarmKind.Fork, (await client.VerifyReportsAsync()).Alarm!.Kind);
    }

    [Fact]
    public async Task Another_root_for_a_size_seen_before_is_a_fork()
    {
        using var client = await SentAndLoggedAsync();
        Assert.Null((await client.VerifyReportsAsync()).Alarm);
        _log.Rewrite(0, new LogEntry(LogEntryKind.Report, RandomNumberGenerator.GetBytes(32)).ToBytes());

        var result = await client.VerifyReportsAsync();

        Assert.Equal(LogAlarmKind.Fork, result.Alarm!.Kind);
        Assert.Contains("another root hash", result.Alarm.Reason);
    }

    [Fact]
    public async Task An_inclusion_proof_that_does_not_lead_to_the_checkpoint_is_reported_with_the_proof()
    {
        using var client = await SentAndLoggedAsync();
        _log.BreakInclusionProofs = true;

        var result = await client.VerifyReportsAsync();

        Assert.Equal(LogAlarmKind.InclusionProofFailed, result.Alarm!.Kind);
        Assert.All(result.Receipts, c => Assert.Equal(ReceiptVerdict.ProofFailed, c.Verdict));
        Assert.Contains("inclusion proof:", result.Alarm.Evidence);
        Assert.All(client.Receipts(), r => Assert.Equal(ReceiptStatus.Sent, r.Status));
    }

    [Fact]
    public async Task Without_a_configured_key_the_first_key_is_trusted_and_kept_and_a_later_key_change_is_caught()
    {
        using var client = await SentAndLoggedAsync(configuredKey: false);

        var first = await client.VerifyReportsAsync();
        Assert.True(first.TrustOnFirstUse);
        Assert.Null(first.Alarm);
        Assert.Contains(client.Log(), l => l.Message.Contains("on first use"));

        // The collector swaps keys (and serves the new one at /v1/log/key): the kept key refuses it.
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        _log.ServedNote = SignedNote.Sign(new Checkpoint(ScriptedLog.Origin, (ulong)_log.Tree.Size, _log.Tree.RootHash(_log.Tree.Size)).ToNoteText(),
            EcdsaNoteKey.ForSigning(ScriptedLog.Origin, other));
        var second = await client.VerifyReportsAsync();
        Assert.Equal(LogAlarmKind.BadSignature, second.Alarm!.Kind);
        Assert.Single(_log.Paths, p => p == "/v1/log/key");
    }

    [Fact]
    public async Task Checkpoints_seen_on_two_devices_are_compared_and_a_split_view_is_a_fork()
    {
        using var client = await SentAndLoggedAsync();
        Assert.Null((await client.VerifyReportsAsync()).Alarm);
        var size = _log.Tree.Size;

        // Another device (or a mirror) saw the log later: consistent.
        _log.Append(ReportCommitment.Encode(RandomNumberGenerator.GetBytes(32)));
        var later = await client.CompareCheckpointAsync(_log.Checkpoint(_log.Tree.Size));
        Assert.True(later.Consistent, later.Detail);

        // A device served a different tree of the same size: the log shows two histories.
        var split = new ScriptedLog();
        var sameKey = EcdsaNoteKey.ForSigning(ScriptedLog.Origin, _log.Key);
        var otherTree = new MerkleTree();
        for (int i = 0; i < size + 1; i++)
            otherTree.AppendEntry(new LogEntry(LogEntryKind.Report, RandomNumberGenerator.GetBytes(32)).ToBytes());
        var forked = SignedNote.Sign(new Checkpoint(ScriptedLog.Origin, (ulong)size + 1, otherTree.RootHash(size + 1)).ToNoteText(), sameKey);
        var comparison = await client.CompareCheckpointAsync(forked);
        Assert.False(comparison.Consistent);
        Assert.Equal(LogAlarmKind.Fork, comparison.Alarm!.Kind);
        Assert.Contains(forked.TrimEnd('\n'), comparison.Alarm.Evidence);

        // A fork larger than the log the collector serves: it cannot prove the way there, and that is the alarm
        // with both notes as evidence, not an error (it used to end the comparison with an error).
        var largerTree = new MerkleTree();
        for (int i = 0; i < _log.Tree.Size + 5; i++)
            largerTree.AppendEntry(new LogEntry(LogEntryKind.Report, RandomNumberGenerator.GetBytes(32)).ToBytes());
        var larger = SignedNote.Sign(new Checkpoint(ScriptedLog.Origin, (ulong)_log.Tree.Size + 5, largerTree.RootHash(_log.Tree.Size + 5)).ToNoteText(), sameKey);
        var largerFork = await client.CompareCheckpointAsync(larger);
        Assert.False(largerFork.Consistent);
        Assert.Equal(LogAlarmKind.Fork, largerFork.Alarm!.Kind);
        Assert.Contains(larger.TrimEnd('\n'), largerFork.Alarm.Evidence);
        Assert.Contains("no consistency proof", largerFork.Detail);

        // A note the log key did not sign proves nothing and is not called a fork.
        var unsigned = SignedNote.Sign(new Checkpoint(ScriptedLog.Origin, (ulong)size, otherTree.RootHash(size)).ToNoteText(), split.Signer);
        var refused = await client.CompareCheckpointAsync(unsigned);
        Assert.False(refused.Consistent);
        Assert.Null(refused.Alarm);
        Assert.Contains("cannot be used", refused.Detail);
    }

    [Fact]
    public async Task Background_checks_look_up_one_receipt_per_request_at_independent_random_times_and_only_with_consent()
    {
        using var client = await SentAndLoggedAsync(o => o.Random = new Random(11));
        var receipts = client.Receipts().Count;
        Assert.Null(await client.VerifyNextReceiptIfDueAsync()); // within LogMissingAfter nothing is due

        var times = new List<DateTimeOffset>();
        for (int hour = 0; hour < 24 * 15 && times.Count < receipts; hour++)
        {
            _kit.Clock.Advance(TimeSpan.FromHours(1));
            int before = _log.LookUps;
            var check = await client.VerifyNextReceiptIfDueAsync();
            Assert.InRange(_log.LookUps - before, 0, 1);
            if (check is not null)
            {
                Assert.Equal(ReceiptVerdict.Included, check.Verdict);
                times.Add(_kit.Clock.GetUtcNow());
            }
        }
        Assert.Equal(receipts, times.Count);
        Assert.True(times.Distinct().Count() >= receipts - 1, "the lookups of one batch are spread over the window");

        // No background lookups without consent (the user's own 'verify' still works).
        client.DenyConsent();
        _kit.Clock.Advance(TimeSpan.FromDays(30));
        Assert.Null(await client.VerifyNextReceiptIfDueAsync());
    }

    [Fact]
    public async Task Deleting_by_receipt_marks_receipts_deleted_once_and_a_second_request_changes_nothing()
    {
        using var client = await SentAndLoggedAsync();
        var os = client.Receipts().Single(r => r.Metric == "system.os");

        var first = await client.DeleteReportsAsync([os]);
        Assert.Equal("deleted", Assert.Single(first).Status);
        Assert.Equal([os.Commitment], _log.Deleted);
        var deleted = client.Receipts().Single(r => r.Commitment == os.Commitment);
        Assert.Equal(ReceiptStatus.Deleted, deleted.Status);
        Assert.All(client.Receipts().Where(r => r != deleted), r => Assert.NotEqual(ReceiptStatus.Deleted, r.Status));

        var again = await client.DeleteReportsAsync([os]);
        Assert.Equal("already-deleted", Assert.Single(again).Status);
        Assert.Single(_log.Deleted);
        Assert.Equal(deleted.DeletedAt, client.Receipts().Single(r => r.Commitment == os.Commitment).DeletedAt);

        // The deletion's own leaf is proved like a report's.
        var check = (await client.VerifyReportsAsync()).Receipts.Single(c => c.Receipt.Commitment == os.Commitment);
        Assert.Equal(ReceiptVerdict.Deleted, check.Verdict);
        Assert.Equal(_log.Tree.Size - 1, check.LeafIndex);
    }

    [Fact]
    public async Task Consent_revoked_the_user_can_still_delete_what_was_sent()
    {
        using var client = await SentAndLoggedAsync();
        client.DenyConsent();

        var outcomes = await client.DeleteReportsAsync();

        Assert.Equal(client.Receipts().Count, outcomes.Count);
        Assert.All(outcomes, o => Assert.Equal("deleted", o.Status));
        Assert.All(client.Receipts(), r => Assert.Equal(ReceiptStatus.Deleted, r.Status));
    }

    [Fact]
    public async Task A_background_check_that_cannot_reach_the_collector_is_rescheduled_and_the_other_checks_go_on()
    {
        using var client = await SentAndLoggedAsync();
        _log.Unreachable = true;
        _kit.Clock.Advance(TimeSpan.FromDays(15)); // every receipt is due

        Assert.Null(await client.VerifyNextReceiptIfDueAsync());
        Assert.Contains(client.Log(), l => l.Message.Contains("tried again later"));
        int asked = _log.Paths.Count;

        // The next tick goes on with the next due receipt; the failed one waits for its new random time.
        _kit.Clock.Advance(TimeSpan.FromHours(1));
        _log.Unreachable = false;
        var next = await client.VerifyNextReceiptIfDueAsync();
        Assert.Equal(ReceiptVerdict.Included, next!.Verdict);
        Assert.True(_log.Paths.Count > asked);
        Assert.Equal(1, _log.LookUps);
    }
}
