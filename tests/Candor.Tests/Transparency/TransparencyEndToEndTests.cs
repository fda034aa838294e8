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
        var seenByB = await deviceB.VerifyReportsAsync();
        Assert.Null(seenByB.Alarm);
        Assert.Equal(seenByA.CheckpointSize, seenByB.CheckpointSize);

        var comparison = await deviceA.CompareCheckpointAsync(seenByB.SignedCheckpoint!);
        Assert.False(comparison.Consistent);
        Assert.Equal(LogAlarmKind.Fork, comparison.Alarm!.Kind);
        Assert.Contains(seenByB.SignedCheckpoint!.TrimEnd('\n'), comparison.Alarm.Evidence);
    }
}
