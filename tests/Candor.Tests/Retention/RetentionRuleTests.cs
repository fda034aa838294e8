using Candor.Collector.Storage;

namespace Candor.Tests.Retention;

/// <summary>The one rule retention deletes by (<see cref="RetentionRule"/>); both engines run it (ReportStoreContract.Retention).</summary>
public class RetentionRuleTests
{
    [Theory]
    [InlineData("2026-11-22", "2026-11-23", true)]   // a day ends the next day: on the boundary, it goes
    [InlineData("2026-11-23", "2026-11-23", false)]  // the boundary day itself is still inside retention
    [InlineData("2026-W47", "2026-11-23", true)]     // 16-22 November ends on Monday 23rd
    [InlineData("2026-W47", "2026-11-22", false)]    // a week goes whole or not at all
    [InlineData("2026-W48", "2026-11-23", false)]
    public void A_period_expires_when_it_ends_on_or_before_the_boundary(string period, string boundary, bool expired) =>
        Assert.Equal(expired, RetentionRule.IsExpired(period, DateOnly.Parse(boundary)));

    [Theory]
    [InlineData("")]
    [InlineData("2026-13-01")]
    [InlineData("last week")]
    public void Text_that_is_no_period_is_never_taken_on_a_guess(string period) =>
        Assert.False(RetentionRule.IsExpired(period, DateOnly.MaxValue));
}
