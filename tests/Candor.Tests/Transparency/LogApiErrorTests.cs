using System.Net;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Transparency;

/// <summary>Every refusal of the read API, each an RFC 9457 problem naming what was wrong, against a log of 6 leaves.</summary>
public sealed class LogApiErrorTests : IAsyncLifetime
{
    private CollectorHost _host = null!;
    private List<LogKit.Sent> _sent = null!;

    public async Task InitializeAsync()
    {
        _host = await CollectorHost.StartAsync();
        _sent = [];
        for (int i = 0; i < 3; i++)
        {
            var (body, sent) = LogKit.Batch(TestRegistries.App, LogEndToEndTests.Linux);
            Assert.Equal(HttpStatusCode.Accepted, (await _host.PostAsync(body)).StatusCode);
            _sent.AddRange(sent);
        }
        await LogKit.SealAsync(_host);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData("/v1/log/inclusion", "commitment")]
    [InlineData("/v1/log/inclusion?commitment=AAAA", "commitment")]
    [InlineData("/v1/log/inclusion?commitment=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB", "commitment")]
    [InlineData("/v1/log/inclusion?commitment={c}&kind=other", "kind")]
    [InlineData("/v1/log/inclusion?commitment={c}&tree_size=0", "tree_size")]
    [InlineData("/v1/log/inclusion?commitment={c}&tree_size=-1", "tree_size")]
    [InlineData("/v1/log/inclusion?commitment={c}&tree_size=7", "beyond the latest checkpoint")]
    [InlineData("/v1/log/consistency?from=1", "from and to")]
    [InlineData("/v1/log/consistency?from=x&to=6", "from and to")]
    [InlineData("/v1/log/consistency?from=0&to=6", "empty tree")]
    [InlineData("/v1/log/consistency?from=5&to=4", "must not exceed")]
    [InlineData("/v1/log/consistency?from=2&to=7", "beyond the latest checkpoint")]
    [InlineData("/v1/log/entries?count=1", "start")]
    [InlineData("/v1/log/entries?start=0", "count")]
    [InlineData("/v1/log/entries?start=0&count=0", "count")]
    [InlineData("/v1/log/entries?start=0&count=1001", "count")]
    [InlineData("/v1/log/entries?start=7&count=1", "beyond the log")]
    public async Task A_bad_query_is_a_400_problem_naming_the_parameter(string path, string named)
    {
        var problem = await Problem.AssertAsync(await _host.Client.GetAsync(path.Replace("{c}", _sent[0].Commitment)), HttpStatusCode.BadRequest, "invalid-log-query");
        Assert.Contains(named, problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_commitment_the_log_never_held_is_not_in_log()
    {
        await Problem.AssertAsync(await _host.Client.GetAsync($"/v1/log/inclusion?commitment={CommitmentFieldTests.Fresh()}"), HttpStatusCode.NotFound, "not-in-log");
        // A report that was never deleted has no deletion leaf.
        await Problem.AssertAsync(await _host.Client.GetAsync($"/v1/log/inclusion?commitment={_sent[0].Commitment}&kind=deletion"), HttpStatusCode.NotFound, "not-in-log");
    }

    [Fact]
    public async Task A_leaf_beyond_the_asked_tree_size_is_not_in_that_tree()
    {
        var key = await LogKit.KeyAsync(_host.Client);
        var checkpoint = await LogKit.CheckpointAsync(_host.Client, key);
        var last = new List<(string Commitment, ulong Index)>();
        foreach (var s in _sent)
            last.Add((s.Commitment, await LogKit.ProveIncludedAsync(_host.Client, checkpoint, s.Commitment)));
        var (commitment, index) = last.MaxBy(l => l.Index);
        var problem = await Problem.AssertAsync(await _host.Client.GetAsync($"/v1/log/inclusion?commitment={commitment}&tree_size={index}"),
            HttpStatusCode.NotFound, "not-in-log");
        Assert.Contains("later tree_size", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Proofs_and_full_pages_are_immutable_and_the_end_of_the_log_is_not()
    {
        Assert.Contains("immutable", (await _host.Client.GetAsync("/v1/log/entries?start=0&count=6")).Headers.CacheControl!.ToString());
        Assert.Equal("no-cache", (await _host.Client.GetAsync("/v1/log/entries?start=0&count=7")).Headers.CacheControl!.ToString());
        var empty = await LogKit.JsonAsync(_host.Client, "/v1/log/entries?start=6&count=5");
        Assert.Equal(0, empty.GetProperty("entries").GetArrayLength());
        var same = await LogKit.JsonAsync(_host.Client, "/v1/log/consistency?from=6&to=6");
        Assert.Equal(0, same.GetProperty("hashes").GetArrayLength());
    }
}
