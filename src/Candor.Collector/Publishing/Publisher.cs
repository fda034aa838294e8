using System.Globalization;
using Candor.Collector.Registry;
using Candor.Collector.Storage;
using Candor.Protocol;
using Candor.Registry;

namespace Candor.Collector.Publishing;

/// <summary>
/// The one place that decides what the public may see (privacy invariant 6; docs/privacy.md, "What is
/// published"). A hostile submitter can post reports at will, so nothing published may move when
/// reports arrive:
///
/// 1. A period is published only when final: <c>PublishAfterDays</c> after it ends, once clients have
///    sent what their 3-10 day schedule and jitter hold back. Open periods show nothing at all.
/// 2. When it becomes final, the <see cref="ReleaseJob"/> computes its release once from the rollups
///    and stores it; every read serves the stored release, so reports that arrive late (or are injected)
///    never move it, and asking again draws no fresh noise to average away. Reads never release: a
///    final period without a stored release is served as <see cref="PeriodState.Releasing"/>.
/// 3. The release adds exact discrete Laplace noise to the count of every value the registry allows
///    (not only the values someone reported: a value's absence would otherwise be published), then
///    shows the values whose noisy count reaches the threshold; the rest are merged into one
///    "other (withheld)" row, shown if the sum of their noisy counts reaches its own threshold (higher,
///    as the sum of several noises has a heavier tail: <see cref="WithheldThresholdFor"/>).
///    Merging and totals are post-processing of noisy counts, so they cost no extra privacy, and a
///    large group is never hidden to protect a small one.
/// 4. Every final period in a query gets a release, with reports or without, decided by noise and
///    threshold alike, so a period with a few reports looks like one with none.
/// </summary>
/// <remarks>
/// A split-trust metric's true counts come from the DAP Collector (<see cref="SplitTrustCounts"/>) instead
/// of the rollups; every rule above applies to them unchanged.
/// </remarks>
internal sealed class Publisher(IReleaseStore store, RegistryCatalog catalog, CollectorOptions options, TimeProvider time, ReleaseSignal signal,
    SplitTrustCounts? splitTrust = null)
{
    /// <summary>The terms of one metric's releases under the current settings: its share of the app's weekly budget.</summary>
    public PrivacyStatement Statement(AppRegistries app, MetricDefinition def)
    {
        var budget = BudgetOf(app);
        var cell = CellEpsilon(budget.PerMetricPeriod, def);
        return new PrivacyStatement(budget.PerMetricPeriod, cell, options.PublishDelta, ThresholdFor(cell, options.PublishDelta), options.PublishRounding,
            options.PublishAfterDays, budget.PerWeek, options.PublishDelta * budget.Units);
    }

    /// <summary>
    /// The app's budget (<see cref="PrivacyBudget"/>): the total per installation and ISO week, split over the
    /// metric-periods of the newest registry (every metric once, daily ones seven times).
    /// </summary>
    public PrivacyBudget BudgetOf(AppRegistries app) => PrivacyBudget.For(app.Latest.Registry, options);

    /// <summary>What one installation's reports of one ISO week cost across all the app's metrics (basic composition).</summary>
    public (Rational Epsilon, double Delta) Budget(AppRegistries app)
    {
        var budget = BudgetOf(app);
        return (budget.PerWeek, options.PublishDelta * budget.Units);
    }

    /// <summary>A histogram report may have every bucket, so its buckets share the metric's epsilon equally.</summary>
    public static Rational CellEpsilon(Rational metricEpsilon, MetricDefinition def) =>
        def.Type == MetricType.Histogram ? metricEpsilon.DividedBy(Math.Max(1, def.Buckets.Length)) : metricEpsilon;

    /// <summary>
    /// Smallest threshold at which a value held by one installation (count 1 plus noise Z) is shown with
    /// probability at most delta: P[Z >= threshold - 1] = q^(threshold-1) / (1 + q) &lt;= delta, q = exp(-epsilon).
    /// </summary>
    public static long ThresholdFor(Rational cellEpsilon, double delta)
    {
        double eps = cellEpsilon.ToDouble();
        double q = Math.Exp(-eps);
        long steps = (long)Math.Ceiling(Math.Log(1 / (delta * (1 + q))) / eps);
        // Guard the floating-point edge: move up until the exact tail bound holds.
        while (DiscreteLaplace.UpperTail(eps, steps) > delta)
            steps++;
        return Math.Max(2, steps + 1);
    }

    /// <summary>
    /// Threshold of the "other (withheld)" row when it merges <paramref name="merged"/> values: its count
    /// carries the sum of their noises, whose tail is heavier than one noise's, so the row gets its own
    /// threshold, the smallest T with P[1 + Z1 + ... + Zk >= T] &lt;= delta (a Chernoff bound on the
    /// sum, so the guarantee holds with room to spare). Without it, one installation among values that are
    /// each withheld would make the merged row appear far more often than delta.
    /// </summary>
    public static long WithheldThresholdFor(Rational cellEpsilon, double delta, int merged) =>
        merged <= 1 ? ThresholdFor(cellEpsilon, delta) : WithheldThresholds.GetOrAdd((cellEpsilon, delta, merged), k => ComputeWithheldThreshold(k.Epsilon, k.Delta, k.Merged));

    /// <summary>
    /// The thresholds already computed: a release asks for one per metric-period, with a handful of distinct
    /// (epsilon, delta, merged) among thousands of periods, and each costs a search over the Chernoff bound
    /// (with a weekly budget split over many metrics, epsilon is small and the search long: a demo's first
    /// release took minutes before this cache). Bounded by the distinct settings and value counts in use.
    /// </summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(Rational Epsilon, double Delta, int Merged), long> WithheldThresholds = new();

    private static long ComputeWithheldThreshold(Rational cellEpsilon, double delta, int merged)
    {
        long single = ThresholdFor(cellEpsilon, delta);
        double eps = cellEpsilon.ToDouble(), q = Math.Exp(-eps);
        // log E[exp(l Z)] = 2 log(1 - q) - log(1 - q e^l) - log(1 - q e^-l), for 0 < l < eps.
        double LogMgf(double l) => 2 * Math.Log(1 - q) - Math.Log(1 - q * Math.Exp(l)) - Math.Log(1 - q * Math.Exp(-l));
        double LogBound(long m)
        {
            double best = 0;
            for (int i = 1; i < 400; i++)
            {
                double l = eps * i / 400;
                best = Math.Min(best, merged * LogMgf(l) - l * m);
            }
            return best;
        }
        // The smallest steps >= single - 1 with LogBound(steps) <= log(delta). LogBound falls as steps grows
        // (a minimum of functions that each fall in it), so doubling then bisecting finds the same answer as
        // counting up one by one, in a few dozen evaluations instead of thousands.
        double logDelta = Math.Log(delta);
        long low = single - 1;
        if (LogBound(low) <= logDelta)
            return Math.Max(single, low + 1);
        long span = 1;
        while (LogBound(low + span) > logDelta)
            span *= 2;
        long high = low + span; // LogBound(high) <= logDelta < LogBound(low)
        while (high - low > 1)
        {
            long mid = low + (high - low) / 2;
            if (LogBound(mid) > logDelta) low = mid; else high = mid;
        }
        return Math.Max(single, high + 1);
    }

    /// <summary>A wait budget for one request's reads (<see cref="ReleaseSignal.NewWait"/>).</summary>
    public ReleaseWait NewWait() => signal.NewWait();

    /// <summary>Days after its end a period becomes final.</summary>
    public int PublishAfterDays => options.PublishAfterDays;

    /// <summary>The day <paramref name="period"/> becomes final.</summary>
    public DateOnly FinalOn(PeriodKey period) => period.End.AddDays(options.PublishAfterDays);

    /// <summary>
    /// The published series of one metric over [from, to], or null if the app or metric is unknown. Reads
    /// stored releases only. When a final period has none yet, it wakes the release job and waits for it
    /// within <paramref name="wait"/> (shared by all the reads of one request), then reads again; what is
    /// still missing is served as <see cref="PeriodState.Releasing"/>.
    /// </summary>
    public async Task<PublishedSeries?> SeriesAsync(string app, string metric, PeriodKey from, PeriodKey to, ReleaseWait wait, CancellationToken cancellationToken = default)
    {
        var registries = catalog.Find(app);
        var def = registries?.Latest.Registry.FindMetric(metric);
        if (registries is null || def is null)
            return null;
        var statement = Statement(registries, def);
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var periods = Periods(def.Period, from, to);
        var final = periods.Where(p => FinalOn(p) <= today).ToList();

        var releases = new Dictionary<string, ReleaseDocument>(StringComparer.Ordinal);
        if (final.Count > 0)
        {
            await ReadAsync(releases, registries.App, def.Name, final[0], final[^1], cancellationToken);
            var missing = final.Where(p => !releases.ContainsKey(p.ToString())).ToList();
            if (missing.Count > 0 && wait.Remaining > TimeSpan.Zero && signal.JobRuns)
            {
                try
                {
                    await signal.RequestRun().WaitAsync(wait.Remaining, cancellationToken);
                }
                catch (TimeoutException)
                {
                    // The job is still at it (a new collector's backlog): answer now with what is stored.
                }
                await ReadAsync(releases, registries.App, def.Name, missing[0], missing[^1], cancellationToken);
            }
        }
        var published = periods.Select(p => releases.TryGetValue(p.ToString(), out var doc)
            ? Present(def, p, FinalOn(p), doc, options.PublishRounding)
            : new PublishedPeriod(p, FinalOn(p) <= today ? PeriodState.Releasing : PeriodState.Pending, FinalOn(p), [], 0, null, null)).ToList();
        return new PublishedSeries(registries.App, def, registries.Latest.Registry.Version, statement, from, to, published);
    }

    private async Task ReadAsync(Dictionary<string, ReleaseDocument> into, string app, string metric, PeriodKey from, PeriodKey to, CancellationToken cancellationToken)
    {
        foreach (var r in await store.ReadReleasesAsync(app, metric, from.ToString(), to.ToString(), cancellationToken))
            into[r.Period] = ReleaseDocument.FromJson(r.Document);
    }

    /// <summary>
    /// For the <see cref="ReleaseJob"/> only: makes and stores the release of every final period in
    /// [from, to] of one metric that has none, and returns how many it made. Another collector may store
    /// some first; the store keeps the first, so each period is released once.
    /// </summary>
    public async Task<int> ReleaseAsync(AppRegistries registries, MetricDefinition def, PeriodKey from, PeriodKey to, DateOnly today, CancellationToken cancellationToken = default)
    {
        var statement = Statement(registries, def);
        var stored = (await store.ReadReleasesAsync(registries.App, def.Name, from.ToString(), to.ToString(), cancellationToken))
            .Select(r => r.Period).ToHashSet(StringComparer.Ordinal);
        var missing = Periods(def.Period, from, to).Where(p => FinalOn(p) <= today && !stored.Contains(p.ToString())).ToList();
        if (missing.Count == 0)
            return 0;
        var byPeriod = def.SplitTrust is null
            ? (await store.ReadRollupsAsync(registries.App, def.Name, missing[0].ToString(), missing[^1].ToString(), cancellationToken))
                .GroupBy(c => c.Period).ToDictionary(g => g.Key, g => (IReadOnlyDictionary<string, long>)g.ToDictionary(c => c.Value, c => c.Reports, StringComparer.Ordinal), StringComparer.Ordinal)
            : await SplitTrustCountsAsync(def, missing, today, cancellationToken);
        // A split-trust period the Leader cannot give yet is left out: it is released by a later run.
        var made = missing.Where(p => def.SplitTrust is null || byPeriod.ContainsKey(p.ToString()))
            .Select(p => new StoredRelease(registries.App, def.Name, p.ToString(), today,
                Release(def, statement, byPeriod.GetValueOrDefault(p.ToString()) ?? new Dictionary<string, long>()).ToJson())).ToList();
        if (made.Count == 0)
            return 0;
        await store.SaveReleasesAsync(made, cancellationToken);
        return made.Count;
    }

    private async Task<Dictionary<string, IReadOnlyDictionary<string, long>>> SplitTrustCountsAsync(MetricDefinition def, List<PeriodKey> periods, DateOnly today, CancellationToken ct)
    {
        if (splitTrust is null)
            throw new InvalidOperationException($"{def.Name} is split-trust, and this collector has no DAP Collector files (setting DapCollectorFiles)");
        var counts = new Dictionary<string, IReadOnlyDictionary<string, long>>(StringComparer.Ordinal);
        foreach (var p in periods)
            if (await splitTrust.CountsAsync(def, p, FinalOn(p), today, ct) is { } c)
                counts[p.ToString()] = c;
        return counts;
    }

    /// <summary>Every period of <paramref name="kind"/> from <paramref name="from"/> to <paramref name="to"/>, inclusive.</summary>
    public static List<PeriodKey> Periods(MetricPeriod kind, PeriodKey from, PeriodKey to)
    {
        var list = new List<PeriodKey>();
        for (var p = PeriodKey.For(kind, from.Start); p.Start <= to.Start; p = PeriodKey.For(kind, p.End))
            list.Add(p);
        return list;
    }

    /// <summary>
    /// Every value a report of <paramref name="def"/> can carry, in display order: the noise goes on all of
    /// them, so whether a value was reported at all is protected like its count.
    /// </summary>
    public static IReadOnlyList<string> Domain(MetricDefinition def) => def.Type switch
    {
        MetricType.Flag => ["true", "false"],
        MetricType.Enum => def.Values,
        _ when def.Transform == NumberTransform.Log10 => Enumerable.Range(0, MetricDefinition.MaxLog10Value + 1).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList(),
        _ => def.Buckets.Select(b => b.ToString(CultureInfo.InvariantCulture)).ToList(),
    };

    /// <summary>
    /// Makes one period's release from its true counts (value → reports). Counts of values outside the
    /// registry's domain are ignored: the registry check at load keeps a metric's values fixed, so none exist.
    /// </summary>
    public static ReleaseDocument Release(MetricDefinition def, PrivacyStatement statement, IReadOnlyDictionary<string, long> counts)
    {
        var noise = DiscreteLaplace.For(statement.CellEpsilon);
        var shown = new List<ReleasedValue>();
        long withheld = 0;
        int merged = 0;
        foreach (var value in Domain(def))
        {
            long noisy = counts.GetValueOrDefault(value) + noise.Sample();
            if (noisy >= statement.Threshold)
                shown.Add(new ReleasedValue(value, noisy));
            else
            {
                withheld += noisy;
                merged++;
            }
        }
        // Which values are merged depends on the noise only through the published decisions, so the row's
        // threshold may depend on their number (post-processing).
        bool showWithheld = merged > 0 && withheld >= WithheldThresholdFor(statement.CellEpsilon, statement.Delta, merged);
        return new ReleaseDocument(statement.CellEpsilon.ToString(), statement.Threshold, shown, showWithheld ? withheld : null);
    }

    /// <summary>A stored release as published: display rounding, the withheld row last, shares of the published total.</summary>
    public static PublishedPeriod Present(MetricDefinition def, PeriodKey period, DateOnly finalOn, ReleaseDocument doc, int rounding)
    {
        long Floor(long n) => rounding <= 1 ? n : n / rounding * rounding;
        var rows = doc.Values.Select(v => new PublishedCell(v.Value, Floor(v.Count), 0)).ToList();
        if (doc.Withheld is { } w)
            rows.Add(new PublishedCell(PublishedCell.WithheldLabel, Floor(w), 0, Withheld: true));
        long total = rows.Sum(c => c.Count);
        return new PublishedPeriod(period, PeriodState.Final, finalOn,
            rows.Select(c => c with { Share = total == 0 ? 0 : (double)c.Count / total }).ToList(), total, doc.Epsilon, doc.Threshold);
    }
}
