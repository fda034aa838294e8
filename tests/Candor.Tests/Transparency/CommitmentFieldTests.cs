using System.Net;
using Candor.Tests.Infrastructure;
using Candor.Transparency;

namespace Candor.Tests.Transparency;

/// <summary>
/// The batch format's optional <c>commitment</c> member: one canonical spelling of 32 bytes per report,
/// never the same twice in a batch; anything else refuses the whole batch as invalid reports.
/// </summary>
public sealed class CommitmentFieldTests : IAsyncLifetime
{
    private CollectorHost _host = null!;

    public async Task InitializeAsync() => _host = await CollectorHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    internal static string Fresh() => ReportCommitment.Encode(ReportCommitment.NewNonce());

    private static string Batch(string reports) => $$"""{"schema":1,"period":"2026-W47","reports":[{{reports}}]}""";

    [Fact]
    public async Task Reports_with_and_without_commitments_are_accepted_in_one_batch()
    {
        var body = Batch($$"""{"metric":"system.os","value":"linux","commitment":"{{Fresh()}}"},{"metric":"app.launches","value":10}""");
        var answer = await _host.PostAsync(body);
        Assert.Equal(HttpStatusCode.Accepted, answer.StatusCode);
        Assert.Contains("\"accepted\":2", await answer.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("too short", "AAAA")]
    [InlineData("padded", "=")]
    [InlineData("standard base64 characters", "+")]
    [InlineData("stray low bits in the last character", "B")]
    [InlineData("44 characters", "AA")]
    public async Task A_commitment_that_is_not_canonical_base64url_of_32_bytes_refuses_the_batch(string why, string mangle)
    {
        var good = ReportCommitment.Encode(new byte[32]); // "AAA...A" (43 characters)
        var bad = why switch
        {
            "too short" => mangle,
            "padded" => good + mangle,
            "standard base64 characters" => mangle + good[1..],
            "stray low bits in the last character" => good[..^1] + mangle,
            _ => good + mangle[..1],
        };
        var answer = await _host.PostAsync(Batch($$"""{"metric":"system.os","value":"linux","commitment":"{{bad}}"}"""));
        var problem = await Problem.AssertAsync(answer, HttpStatusCode.BadRequest, "invalid-reports");
        var error = Assert.Single(Problem.Errors(problem));
        Assert.Equal(0, error.Index);
        Assert.Contains("unpadded base64url", error.Reason);
    }

    [Fact]
    public async Task A_commitment_that_is_not_a_string_refuses_the_batch()
    {
        var answer = await _host.PostAsync(Batch("""{"metric":"system.os","value":"linux","commitment":42}"""));
        var problem = await Problem.AssertAsync(answer, HttpStatusCode.BadRequest, "invalid-reports");
        Assert.Equal("commitment", Assert.Single(problem.GetProperty("errors").EnumerateArray()).GetProperty("field").GetString());
    }

    [Fact]
    public async Task The_same_commitment_twice_in_one_batch_refuses_the_batch()
    {
        var c = Fresh();
        var answer = await _host.PostAsync(Batch($$"""{"metric":"system.os","value":"linux","commitment":"{{c}}"},{"metric":"app.launches","value":10,"commitment":"{{c}}"}"""));
        var problem = await Problem.AssertAsync(answer, HttpStatusCode.BadRequest, "invalid-reports");
        var error = Assert.Single(Problem.Errors(problem));
        Assert.Equal((1, "app.launches"), (error.Index, error.Metric));
        Assert.Contains("same commitment", error.Reason);
    }

    [Fact]
    public async Task A_commitment_given_twice_on_one_report_refuses_the_batch()
    {
        var answer = await _host.PostAsync(Batch($$"""{"metric":"system.os","value":"linux","commitment":"{{Fresh()}}","commitment":"{{Fresh()}}"}"""));
        var problem = await Problem.AssertAsync(answer, HttpStatusCode.BadRequest, "invalid-reports");
        Assert.Contains("more than once", Assert.Single(Problem.Errors(problem)).Reason);
    }
}
