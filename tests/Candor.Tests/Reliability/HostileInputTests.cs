using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Reliability;

/// <summary>
/// Ten thousand malformed and hostile requests (issue 8, part 1): every one gets a precise 4xx and
/// never a 5xx, nothing of any of them is stored, and the collector is healthy afterwards.
/// </summary>
public sealed class HostileInputTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task Ten_thousand_hostile_requests_get_precise_4xx_store_nothing_and_leave_the_collector_healthy()
    {
        await using var host = await CollectorHost.StartAsync();
        Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(TestRegistries.FullBatch)).StatusCode);
        var before = DatabaseContent.Dump(host.DatabasePath);

        var cases = HostileRequests.Generate(10_000, seed: 8).ToList();
        var wrong = new ConcurrentBag<string>();
        var byFamily = new ConcurrentDictionary<string, int>();
        int next = -1;
        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < cases.Count)
            {
                var c = cases[i];
                var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/apps/{c.App}/reports") { Content = new ByteArrayContent(c.Body) };
                if (c.ContentType is not null)
                    request.Content.Headers.TryAddWithoutValidation("Content-Type", c.ContentType);
                if (c.ContentEncoding is not null)
                    request.Content.Headers.ContentEncoding.Add(c.ContentEncoding);
                using var response = await host.Client.SendAsync(request);
                int status = (int)response.StatusCode;
                byFamily.AddOrUpdate(c.Family, 1, (_, n) => n + 1);
                bool problemJson = response.Content.Headers.ContentType?.MediaType == "application/problem+json";
                if (!c.Expected.Contains(status) || !problemJson)
                    wrong.Add($"#{i} {c.Family}: expected {string.Join("/", c.Expected)}, got {status} ({response.Content.Headers.ContentType?.MediaType})");
            }
        })));

        output.WriteLine($"requests: {cases.Count}; families: {string.Join(", ", byFamily.OrderBy(f => f.Key).Select(f => $"{f.Key} {f.Value}"))}; imprecise or 5xx answers: {wrong.Count}");
        Assert.True(wrong.IsEmpty, $"{wrong.Count} imprecise answers, e.g.:\n" + string.Join("\n", wrong.Take(15)));
        Assert.True(byFamily.Count >= 17, "every family was exercised: " + string.Join(", ", byFamily.Keys));
        Assert.Equal(before, DatabaseContent.Dump(host.DatabasePath));
        Assert.Equal("ok\n", await host.Client.GetStringAsync("/healthz"));
        Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(TestRegistries.FullBatch)).StatusCode);
        Assert.DoesNotContain(host.Logs.Lines, l => l.StartsWith("Error") || l.StartsWith("Critical"));
    }

    [Fact]
    public async Task A_slow_partial_body_that_stops_midway_is_answered_400_and_stores_nothing()
    {
        await using var host = await CollectorHost.StartAsync();
        var before = DatabaseContent.Dump(host.DatabasePath);
        var body = System.Text.Encoding.UTF8.GetBytes(TestRegistries.FullBatch);
        // Declares the full length, sends half slowly, then closes: the body can never be complete.
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(host.BaseAddress.Host, host.BaseAddress.Port);
        var stream = tcp.GetStream();
        var head = $"POST /v1/apps/{TestRegistries.App}/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n";
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(head));
        for (int i = 0; i < body.Length / 2; i += 20)
        {
            await stream.WriteAsync(body.AsMemory(i, Math.Min(20, body.Length / 2 - i)));
            await Task.Delay(10);
        }
        tcp.Client.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        // The client left mid-body: a 400 or a closed connection are both right answers; a 5xx or a hang are not.
        var answer = new byte[4096];
        string text = "";
        try
        {
            int n = await stream.ReadAsync(answer).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            text = System.Text.Encoding.ASCII.GetString(answer, 0, n);
        }
        catch (IOException) { }
        Assert.True(text.Length == 0 || text.StartsWith("HTTP/1.1 400"), text);
        Assert.Equal(before, DatabaseContent.Dump(host.DatabasePath));
        Assert.Equal("ok\n", await host.Client.GetStringAsync("/healthz"));
    }
}
