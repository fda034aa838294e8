using System.Text;
using System.Text.Json;
using Candor.Client;
using Candor.Client.Consent;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Client;

/// <summary>DESIGN.md privacy invariants 1, 2, 3, 4 and 7 as the client keeps them, checked against a real collector.</summary>
public sealed class PrivacyInvariantTests : IDisposable
{
    private readonly ClientTestKit _kit = new();

    public void Dispose() => _kit.Dispose();

    private static readonly DateTimeOffset NextMonday = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Nothing_is_recorded_or_sent_before_the_user_says_yes()
    {
        await using var collector = await CollectorHost.StartAsync();
        var tap = new WireTap();
        using (var client = _kit.Create(collector.BaseAddress, tap))
        {
            Assert.Equal(ConsentState.Unset, client.Consent.State);
            ClientTestKit.RecordSomething(client);
            client.Flush();
            Assert.Empty(client.Show());
            _kit.Clock.Set(NextMonday);
            var cycle = await client.UploadAsync();
            Assert.Equal(0, cycle.Sent);
            Assert.Null(client.Preview());
        }
        Assert.Empty(tap.Requests);
        Assert.Empty(await collector.Store.ReadRawAsync(TestRegistries.App));
        Assert.Equal(0, CountRows(_kit.DataDirectory));
    }

    [Fact]
    public void Revoking_consent_stops_collection_and_erases_unsent_data()
    {
        using var client = _kit.Create();
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        client.Flush();
        Assert.NotEmpty(client.Show());

        client.DenyConsent();
        Assert.Empty(client.Show());
        Assert.Equal(0, CountRows(_kit.DataDirectory));
        ClientTestKit.RecordSomething(client); // after the no: dropped at once
        client.Flush();
        Assert.Empty(client.Show());
        Assert.Equal(ConsentState.Denied, ConsentRecord.Load(_kit.DataDirectory).State);
    }

    [Fact]
    public async Task Revoking_consent_erases_pending_batches_too()
    {
        var tap = new WireTap { Intercept = _ => new HttpResponseMessage(System.Net.HttpStatusCode.ServiceUnavailable) };
        using var client = _kit.Create(new Uri("http://127.0.0.1:9/"), tap);
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        _kit.Clock.Set(NextMonday);
        await client.UploadAsync();
        Assert.NotEmpty(client.Pending());

        client.DenyConsent();
        Assert.Empty(client.Pending());
        Assert.Null(client.Preview());
    }

    [Fact]
    public async Task Only_allowlisted_coarse_values_and_no_identifier_reach_the_collector()
    {
        await using var collector = await CollectorHost.StartAsync();
        var tap = new WireTap();
        using var client = _kit.Create(collector.BaseAddress, tap);
        client.GrantConsent();
        client.DisableCategory("performance");
        ClientTestKit.RecordSomething(client);
        _kit.Clock.Set(NextMonday);
        var cycle = await client.UploadAsync();
        Assert.Equal(1, cycle.Sent);

        var (body, headers) = Assert.Single(tap.Requests);
        var sentJson = Encoding.UTF8.GetString(body);
        // Each report carries a commitment and nothing else besides: a random-looking hash, one per report,
        // matching a receipt kept on this device (the nonce stays here).
        var commitments = System.Text.RegularExpressions.Regex.Matches(sentJson, ",\"commitment\":\"([A-Za-z0-9_-]{43})\"").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(6, commitments.Distinct().Count());
        Assert.Equal(commitments.Order(), client.Receipts().Select(r => r.Commitment).Order());
        var json = System.Text.RegularExpressions.Regex.Replace(sentJson, ",\"commitment\":\"[A-Za-z0-9_-]{43}\"", "");
        // Exactly the allowlisted, bucketed values: 7 launches -> 5, 120 days -> 10^2, no performance data.
        Assert.Equal("""{"schema":1,"reports":[{"metric":"app.launches","period":"2026-W47","value":5},{"metric":"system.os","period":"2026-W47","value":"linux"},{"metric":"feature.spellcheck","period":"2026-W47","value":true},{"metric":"install.age_days","period":"2026-W47","value":2},{"metric":"candor.active_week","period":"2026-W47","value":true},{"metric":"candor.active","period":"2026-11-18","value":true}]}""", json);
        // No header that could identify the device: only the content type, length and the batch's random key.
        Assert.Equal(["Content-Length", "Content-Type", "Idempotency-Key"], headers.Keys.Order(StringComparer.Ordinal).ToArray());
        Assert.DoesNotContain(Environment.MachineName, json);
        Assert.DoesNotContain(Environment.UserName, json);
        using var doc = JsonDocument.Parse(body);
        Assert.Equal(["reports", "schema"], doc.RootElement.EnumerateObject().Select(p => p.Name).Order().ToArray());
        foreach (var r in doc.RootElement.GetProperty("reports").EnumerateArray())
            Assert.All(r.EnumerateObject(), p => Assert.Contains(p.Name, new[] { "metric", "period", "value", "commitment" }));

        var raw = await collector.Store.ReadRawAsync(TestRegistries.App);
        Assert.Equal(6, raw.Count); // four metrics and the two built-in activity flags
        Assert.DoesNotContain(raw, r => r.Metric == "startup.ms");
    }

    [Fact]
    public async Task The_preview_is_byte_for_byte_what_is_then_uploaded()
    {
        await using var collector = await CollectorHost.StartAsync();
        var tap = new WireTap();
        using var client = _kit.Create(collector.BaseAddress, tap);
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        Assert.Null(client.Preview()); // the week is still open: nothing would leave yet
        _kit.Clock.Set(NextMonday);
        var preview = client.Preview();
        Assert.NotNull(preview);
        await client.UploadAsync();
        Assert.Equal(preview, Encoding.UTF8.GetString(Assert.Single(tap.Requests).Body));
        Assert.Equal(preview, Assert.Single(client.Sent()).Body);
    }

    [Fact]
    public void The_user_can_see_export_and_erase_what_was_collected()
    {
        using var client = _kit.Create();
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        var shown = client.Show();
        var launches = Assert.Single(shown, i => i.Metric == "app.launches");
        Assert.Equal("Times the application was started during the week.", launches.Description);
        Assert.Equal("7 time(s)", launches.Summary);

        using var json = JsonDocument.Parse(client.Export(ExportFormat.Json));
        Assert.Contains(json.RootElement.GetProperty("collected").EnumerateArray(), e => e.GetProperty("metric").GetString() == "system.os" && e.GetProperty("item").GetString() == "linux");
        var csv = client.Export(ExportFormat.Csv).Split('\n');
        Assert.Equal("section,metric,period,item,value", csv[0]);
        Assert.Contains("collected,app.launches,2026-W47,,7", csv);

        client.Erase();
        Assert.Empty(client.Show());
        Assert.Equal(ConsentState.Granted, client.Consent.State); // erasing is not an answer
    }

    [Fact]
    public async Task Expired_metrics_and_values_below_the_first_bucket_never_leave()
    {
        await using var collector = await CollectorHost.StartAsync();
        var tap = new WireTap();
        using var client = _kit.Create(collector.BaseAddress, tap);
        client.GrantConsent();
        client.Counter("legacy.counter").Add(50);   // expired 2026-10-01
        client.Quantity("install.age_days").Record(0); // log10 clamps to 0
        client.Histogram("startup.ms").Record(-5);  // below the first bucket
        _kit.Clock.Set(NextMonday);
        await client.UploadAsync();
        var json = Encoding.UTF8.GetString(Assert.Single(tap.Requests).Body);
        Assert.DoesNotContain("legacy.counter", json);
        Assert.DoesNotContain("startup.ms", json);
        Assert.Contains("""{"metric":"install.age_days","period":"2026-W47","value":0,"commitment":""", json);
    }

    private static long CountRows(string dataDirectory)
    {
        using var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(dataDirectory, "candor-client.db")};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT (SELECT count(*) FROM observations) + (SELECT count(*) FROM outbox) + (SELECT count(*) FROM sent);";
        return (long)cmd.ExecuteScalar()!;
    }
}
