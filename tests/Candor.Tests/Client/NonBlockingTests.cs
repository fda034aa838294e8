using System.Reflection;
using Candor.Client;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Client;

/// <summary>
/// The client never freezes the app: on a single-threaded UI context, with a real collector that holds
/// every request, the user's calls return while an upload is stuck, a "no" and disposal cancel it.
/// </summary>
public sealed class NonBlockingTests : IAsyncLifetime
{
    private static readonly DateTimeOffset NextMonday = new(2026, 11, 23, 6, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Watchdog = TimeSpan.FromSeconds(30);

    private readonly ClientTestKit _kit = new();
    private CollectorHost _collector = null!;
    private SlowFront _front = null!;

    public async Task InitializeAsync()
    {
        _collector = await CollectorHost.StartAsync(clockStart: NextMonday);
        _front = await SlowFront.StartAsync(_collector.BaseAddress);
    }

    public async Task DisposeAsync()
    {
        await _front.DisposeAsync();
        await _collector.DisposeAsync();
        _kit.Dispose();
    }

    private CandorClient ClientWithAClosedWeek()
    {
        var client = _kit.Create(_front.BaseAddress);
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        _kit.Clock.Set(NextMonday);
        return client;
    }

    [Fact]
    public async Task Show_and_consent_calls_return_on_a_UI_thread_while_an_upload_is_stuck_on_a_slow_collector()
    {
        using var client = ClientWithAClosedWeek();

        await UiThread.RunAsync(async () =>
        {
            var upload = client.UploadAsync();
            await _front.WaitForRequestAsync();

            // Each of these used to wait for the upload's lock; on a UI thread, for ever.
            Assert.NotEmpty(client.Show());
            Assert.NotNull(client.Preview());
            Assert.Equal(1, client.Status().PendingBatches);
            Assert.Single(client.Pending());
            Assert.Contains("app.launches", client.Export(ExportFormat.Json));
            client.Counter("app.launches").Increment();
            client.Flush();
            client.DisableMetric("feature.spellcheck");
            client.EnableMetric("feature.spellcheck");
            client.GrantConsent();
            await client.ShowAsync();
            await client.StatusAsync();
            Assert.False(upload.IsCompleted); // all of the above happened while the request was held

            _front.Release();
            var cycle = await upload;
            Assert.Equal("sent", cycle.Status);
        }, Watchdog);

        Assert.NotEmpty(await _collector.Store.ReadRawAsync(TestRegistries.App));
    }

    [Fact]
    public async Task A_no_while_an_upload_is_stuck_returns_at_once_cancels_the_request_and_erases_the_batch()
    {
        using var client = ClientWithAClosedWeek();

        await UiThread.RunAsync(async () =>
        {
            var upload = client.UploadAsync();
            await _front.WaitForRequestAsync();

            client.DenyConsent();

            var cycle = await upload; // not released: only the cancellation can end it
            Assert.Contains(cycle.Status, new[] { "cancelled", "consent not granted" });
            await _front.Abandoned;
            Assert.Empty(client.Pending());
        }, Watchdog);

        Assert.Empty(await _collector.Store.ReadRawAsync(TestRegistries.App));
    }

    [Fact]
    public async Task Disposing_cancels_an_upload_in_flight_and_keeps_its_batch_for_the_next_run()
    {
        var client = ClientWithAClosedWeek();
        Task<UploadCycle> upload = null!;

        await UiThread.RunAsync(async () =>
        {
            upload = client.UploadAsync();
            await _front.WaitForRequestAsync();
            await client.DisposeAsync(); // bounded: it does not wait for the collector's answer
        }, Watchdog);

        Assert.Equal("cancelled", (await upload).Status);
        await _front.Abandoned;
        using var reopened = _kit.Create(_collector.BaseAddress);
        Assert.Single(reopened.Pending()); // the same bytes and key go out next time: counted once
    }

    [Fact]
    public async Task Synchronous_dispose_on_a_UI_thread_does_not_deadlock_with_a_stuck_upload()
    {
        var client = ClientWithAClosedWeek();

        await UiThread.RunAsync(async () =>
        {
            var upload = client.UploadAsync();
            await _front.WaitForRequestAsync();
            client.Dispose();
            Assert.True(upload.IsCompleted);
        }, Watchdog);
    }

    [Fact]
    public void Every_call_that_touches_the_disk_or_the_network_has_an_async_form_with_a_cancellation_token()
    {
        string[] local = ["GrantConsent", "DenyConsent", "ResetConsent", "DisableCategory", "EnableCategory", "DisableMetric", "EnableMetric",
            "Flush", "Status", "Show", "Preview", "Pending", "Sent", "Log", "Export", "Erase"];
        var methods = typeof(CandorClient).GetMethods(BindingFlags.Public | BindingFlags.Instance);
        foreach (var name in local.Concat(["Upload", "FetchAnnouncements", "FetchAnnouncementsIfDue"]))
        {
            var async = methods.SingleOrDefault(m => m.Name == (name + "Async"));
            Assert.True(async is not null, $"{name} has no {name}Async");
            Assert.True(typeof(Task).IsAssignableFrom(async!.ReturnType), $"{name}Async returns {async.ReturnType.Name}");
            Assert.Equal(typeof(CancellationToken), async.GetParameters().Last().ParameterType);
        }
    }

    [Fact]
    public void Every_await_in_the_client_library_leaves_the_callers_context()
    {
        // A single await without ConfigureAwait(false) posts back to a UI thread that a synchronous Dispose() is blocking.
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Candor.slnx")))
            dir = dir.Parent;
        Assert.NotNull(dir);
        var offenders = Directory.EnumerateFiles(Path.Combine(dir!.FullName, "src", "Candor.Client"), "*.cs", SearchOption.AllDirectories)
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line)))
            .Where(l => System.Text.RegularExpressions.Regex.IsMatch(l.line, @"\bawait\s") && !l.line.Contains("ConfigureAwait(false)") && !l.line.TrimStart().StartsWith("//"))
            .Select(l => $"{Path.GetFileName(l.f)}:{l.i + 1}: {l.line.Trim()}")
            .ToList();
        Assert.Empty(offenders);
    }
}
