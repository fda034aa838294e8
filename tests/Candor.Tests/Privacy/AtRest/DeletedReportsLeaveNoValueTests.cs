using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Candor.Tests.Infrastructure;
using Candor.Tests.Transparency;
using Candor.Transparency;

namespace Candor.Tests.Privacy.AtRest;

/// <summary>
/// Attacked: a database copy taken after a report was deleted by receipt holds no value of it.
/// Before schema 7 the collector kept each report's commitment with its metric and value, and kept a
/// deleted one, marked, with its value: the copy listed every deleted report. Three reports with a
/// histogram value nobody else sent (a raw row keeps a histogram whole; rollups hold only its buckets, so
/// these bytes are the report and nothing else): A logged in an epoch, C still pending, B kept. A and C are
/// deleted. The attacker reads the copy two ways: the raw files (SQLite: the file, WAL and shm; PostgreSQL:
/// every file of the database after a CHECKPOINT) and every row of every table (a dump). Controls: all three
/// values are found in both views while live, and B, not deleted, is still found after the deletions, so a
/// view that could not see values would fail rather than pass.
/// </summary>
public sealed class DeletedReportsLeaveNoValueTests
{
    private static readonly (string Json, string Canonical)[] Values =
    [
        ("""{"2500":3,"0":7,"1000":5}""", """{"0":7,"1000":5,"2500":3}"""),   // A: logged, then deleted
        ("""{"0":9,"1000":4,"2500":2}""", """{"0":9,"1000":4,"2500":2}"""),   // B: kept
        ("""{"250":6,"0":11}""", """{"0":11,"250":6}"""),                     // C: deleted while pending
    ];

    [Fact]
    public Task A_sqlite_copy_after_deletion_holds_no_value_of_a_deleted_report() => RunAsync(null);

    [PostgresFact]
    public async Task A_postgres_copy_after_deletion_holds_no_value_of_a_deleted_report()
    {
        await using var database = await TestDatabase.CreateAsync();
        await RunAsync(database.ConnectionString);
    }

    private static async Task RunAsync(string? postgres)
    {
        await using var host = await CollectorHost.StartAsync(o => { if (postgres is not null) o.Database = postgres; });
        var sent = new List<LogKit.Sent>();
        for (int i = 0; i < Values.Length; i++)
        {
            if (i == 2)
                Assert.NotNull(await LogKit.SealAsync(host)); // A and B are in the log; C waits
            var (body, s) = LogKit.Batch(TestRegistries.App, ("startup.ms", Values[i].Json, Values[i].Canonical));
            Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(body)).StatusCode);
            sent.AddRange(s);
        }
        var needles = Values.Select(v => Encoding.UTF8.GetBytes(v.Canonical)).ToArray();
        var (files, dump) = await CopyAsync(host, postgres);
        for (int i = 0; i < needles.Length; i++)
        {
            Assert.True(RawFiles.Contains(files, needles[i]), $"value {i} must be found in the files while live");
            Assert.Contains(Values[i].Canonical, dump);
        }

        var response = await host.Client.PostAsJsonAsync("/v1/log/deletions", new
        {
            app = TestRegistries.App,
            receipts = new[] { sent[0], sent[2] }.Select(s => new { nonce = ReportCommitment.Encode(s.Nonce), metric = s.Metric, period = s.Period, value = s.Value }),
        });
        var answer = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, answer);
        Assert.Equal(["deleted", "deleted"], JsonDocument.Parse(answer).RootElement.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("status").GetString()));

        // Right after the deletion, and again after the deletions (and C's report entry) are sealed into the log.
        foreach (var stage in new[] { "after the deletion", "after the next epoch" })
        {
            if (stage == "after the next epoch")
                Assert.NotNull(await LogKit.SealAsync(host));
            (files, dump) = await CopyAsync(host, postgres);
            Assert.False(RawFiles.Contains(files, needles[0]), $"{stage}: the logged deleted report's value is in the database files");
            Assert.False(RawFiles.Contains(files, needles[2]), $"{stage}: the pending deleted report's value is in the database files");
            Assert.DoesNotContain(Values[0].Canonical, dump);
            Assert.DoesNotContain(Values[2].Canonical, dump);
            Assert.True(RawFiles.Contains(files, needles[1]), $"{stage}: the kept report's value must still be found (control)");
            Assert.Contains(Values[1].Canonical, dump);
        }
        // What a commitment row is: nothing of its report.
        if (postgres is null)
            Assert.Equal(["commitment", "app", "retire", "state"], DatabaseContent.Columns(host.DatabasePath, "commitments"));
    }

    /// <summary>The files and a dump of every row of every table.</summary>
    private static async Task<(byte[] Files, string Dump)> CopyAsync(CollectorHost host, string? postgres) => postgres is null
        ? (RawFiles.Sqlite(host.DatabasePath), DatabaseContent.Dump(host.DatabasePath))
        : (await RawFiles.PostgresDatabaseAsync(postgres), await PlantedInstallationsTests.PgDumpAsync(postgres));
}
