using Candor.Collector;
using Candor.Collector.Publishing;
using Candor.Registry;
using Candor.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Candor.Tests.Publishing;

/// <summary>
/// The presence figures docs/privacy.md states ("Publishing", rule 8), checked the way an attack found
/// the old ones wrong: by drawing releases from the publisher's own mechanism (<see cref="Publisher.Release"/>,
/// discrete Laplace noise from the CSPRNG, the thresholds at ε = 1 for the metric-period, δ = 10⁻⁶) and counting. A week
/// with nine reports on one value of a four-value enum: how often the value is named, and how often an
/// "other (withheld)" row appears. The first is also P[Z ≥ T − 9] = q^(T−9)/(1+q), q = e^−ε, exactly.
/// Tolerance: five standard deviations of a binomial count, so a wrong figure (the old "3 in 100,000" for the
/// named value was 60 times too small) fails and a right one passes all but once in millions of runs.
/// </summary>
public sealed class PresenceTableTests(ITestOutputHelper output)
{
    /// <summary>The figures as docs/privacy.md states them.</summary>
    internal const double NamedWithNine = 1.8e-3, WithheldWithNine = 3e-5;

    /// <summary>Drawing is exact (rational arithmetic, CSPRNG): 400,000 releases took five minutes, hence 40,000;
    /// the withheld-row figure (11 in 400,000 in that run) is then checked as an upper bound only.</summary>
    private const int Releases = 40_000;

    [Fact]
    public void Nine_reports_on_one_value_show_it_and_a_withheld_row_as_often_as_the_privacy_document_says()
    {
        var registry = RegistryParser.Parse(TestRegistries.V2, "test.yaml");
        var def = registry.Metrics.Single(m => m.Name == "system.os");
        var options = new CollectorOptions();
        var eps = new Rational(1, 1); // the table's epsilon for one metric-period (docs/privacy.md)
        var statement = new PrivacyStatement(eps, eps, options.PublishDelta, Publisher.ThresholdFor(eps, options.PublishDelta), 1, 14, eps, options.PublishDelta);
        var counts = new Dictionary<string, long> { ["linux"] = 9 };
        int named = 0, withheld = 0;
        for (int i = 0; i < Releases; i++)
        {
            var doc = Publisher.Release(def, statement, counts);
            if (doc.Values.Any(v => v.Value == "linux"))
                named++;
            if (doc.Withheld is not null)
                withheld++;
        }
        double q = Math.Exp(-eps.ToDouble());
        double exact = Math.Pow(q, statement.Threshold - 9) / (1 + q);
        output.WriteLine($"threshold {statement.Threshold}; named in {named} of {Releases} ({(double)named / Releases:E2}; exactly {exact:E2}); withheld row in {withheld} ({(double)withheld / Releases:E2})");
        Assert.Equal(NamedWithNine, exact, exact * 0.05); // the document's rounding of the exact figure
        AssertNear(NamedWithNine, named, "named");
        double bound = WithheldWithNine * Releases;
        Assert.True(withheld <= bound + 5 * Math.Sqrt(bound) + 3, $"withheld row: {withheld} of {Releases} releases, the document says about {WithheldWithNine:E0}");
    }

    private static void AssertNear(double stated, int hits, string what)
    {
        double expected = stated * Releases, sd = Math.Sqrt(Releases * stated * (1 - stated));
        Assert.True(Math.Abs(hits - expected) <= 5 * sd + 0.1 * expected,
            $"{what}: {hits} of {Releases} releases, the document says {stated:E1} ({expected:0} expected, sd {sd:0.0})");
    }
}
