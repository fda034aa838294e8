using System.Security.Cryptography;
using Candor.Client.Transparency;
using Candor.Tests.Infrastructure;
using Candor.Transparency;

namespace Candor.Tests.Transparency;

/// <summary>
/// The client's log checks on SQLite, plus what only a test with the database file in hand can do: a log
/// rewritten in the collector's database (and re-signed with its own key) and a checkpoint that differs
/// between two devices are caught.
/// </summary>
public sealed class TransparencyEndToEndTests : ClientLogSpecifications
{
    protected override Task<CollectorHost> StartCollectorAsync() => CollectorHost.StartAsync();

    [Fact]
    public async Task A_log_rewritten_in_the_collectors_database_and_re_signed_with_its_key_is_caught()
    {
        using var device = Device(_kit);
        await SendWeekAsync(device, _kit);
        await OthersAsync(2);
        await LogKit.SealAsync(_collector);
        var first = await device.VerifyReportsAsync();
        Assert.Null(first.Alarm);

        // The operator replaces this device's system.os report in the log, re-signs, and carries on.
        var os = first.Receipts.Single(c => c.Receipt.Metric == "system.os");
        LogTampering.RewriteLeaf(_collector, os.LeafIndex!.Value, new LogEntry(LogEntryKind.Report, RandomNumberGenerator.GetBytes(32)).ToBytes());
        var sameSize = await device.VerifyReportsAsync();
        Assert.Equal(LogAlarmKind.Fork, sameSize.Alarm!.Kind);
        Assert.Contains("another root hash", sameSize.Alarm.Reason);

        await OthersAsync(1);
        await LogKit.SealAsync(_collector);
        var grown = await device.VerifyReportsAsync();
        Assert.Equal(LogAlarmKind.Fork, grown.Alarm!.Kind);
        Assert.Contains($"does not extend the one of size {first.CheckpointSize}", grown.Alarm.Reason);
        Assert.Contains("consistency proof", grown.Alarm.Evidence);
        Assert.Contains(device.Log(), l => l.Message.Contains("Fork"));
    }

    [Fact]
    public async Task Two_devices_served_different_trees_of_the_same_size_find_out_by_comparing_checkpoints()
    {
        using var deviceA = Device(_kit);
        await SendWeekAsync(deviceA, _kit);
        await OthersAsync(2);
        await LogKit.SealAsync(_collector);
        var seenByA = await deviceA.VerifyReportsAsync();
        Assert.Null(seenByA.Alarm);

        // Later the collector shows device B a rewritten tree of the same size; B alone cannot tell.
        LogTampering.RewriteLeaf(_collector, 0, new LogEntry(LogEntryKind.Report, RandomNumberGenerator.GetBytes(32)).ToBytes());
        using var deviceB = Device(_otherDevice);
        deviceB.GrantConsent(); // checking the log reaches the network, so it needs consent
        var seenByB = await deviceB.VerifyReportsAsync();
        Assert.Null(seenByB.Alarm);
        Assert.Equal(seenByA.CheckpointSize, seenByB.CheckpointSize);

        var comparison = await deviceA.CompareCheckpointAsync(seenByB.SignedCheckpoint!);
        Assert.False(comparison.Consistent);
        Assert.Equal(LogAlarmKind.Fork, comparison.Alarm!.Kind);
        Assert.Contains(seenByB.SignedCheckpoint!.TrimEnd('\n'), comparison.Alarm.Evidence);
    }

    [Fact]
    public async Task No_nonce_reaches_the_collectors_files_or_logs_whether_reports_are_sent_checked_or_deleted()
    {
        using var device = Device(_kit);
        await SendWeekAsync(device, _kit);
        await OthersAsync(2);
        await LogKit.SealAsync(_collector);
        Assert.Null((await device.VerifyReportsAsync()).Alarm);
        var deleted = device.Receipts()[0];
        Assert.Equal("deleted", Assert.Single(await device.DeleteReportsAsync([deleted])).Status);
        await LogKit.SealAsync(_collector);

        // The collector needs a nonce only for the moment of a deletion: it keeps none, in any form.
        var dump = DatabaseContent.Dump(_collector.DatabasePath);
        var files = Directory.GetFiles(_collector.Directory, "candor.db*").Select(f =>
        {
            using var stream = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        }).ToList();
        foreach (var r in device.Receipts())
        {
            Assert.True(ReportCommitment.TryDecode(r.Nonce, out var nonce));
            foreach (var form in new[] { r.Nonce, Convert.ToBase64String(nonce), Convert.ToHexString(nonce), Convert.ToHexString(nonce).ToLowerInvariant() })
            {
                Assert.DoesNotContain(form, dump, StringComparison.Ordinal);
                Assert.DoesNotContain(_collector.Logs.Lines, l => l.Contains(form, StringComparison.Ordinal));
            }
            Assert.All(files, bytes => Assert.Equal(-1, bytes.AsSpan().IndexOf(nonce)));
            // The search can find what is there: the commitment itself is stored (as a log entry at least).
            Assert.True(ReportCommitment.TryDecode(r.Commitment, out var commitment));
            Assert.Contains(files, bytes => bytes.AsSpan().IndexOf(commitment) >= 0);
        }
    }
}
