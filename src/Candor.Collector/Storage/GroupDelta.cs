using System.Runtime.InteropServices;
using Candor.Protocol;

namespace Candor.Collector.Storage;

/// <summary>
/// What a group of batches adds to the store, summed in memory first so that each engine issues one
/// upsert per distinct cell rather than one write per report:
/// <see cref="Raw"/> counts each distinct report (histograms whole), <see cref="Rollups"/> counts
/// reports per value and, for histograms, per bucket with the observations summed.
/// </summary>
internal sealed class GroupDelta
{
    public Dictionary<(string App, string Metric, string Period, string Value), long> Raw { get; }
    public Dictionary<(string App, string Metric, string Period, string Value), (long Reports, long Total)> Rollups { get; }

    /// <param name="raw">Cells expected (the group's reports): sized once, a group of ~300 reports grew the tables
    /// through seven resizes, each rehashing every cell, on the writer's serial path.</param>
    /// <param name="rollups">Rollup cells expected.</param>
    public GroupDelta(int raw = 0, int rollups = 0)
    {
        Raw = new(raw, CellComparer.Instance);
        Rollups = new(rollups, CellComparer.Instance);
    }

    /// <summary>A delta sized for <paramref name="group"/>'s reports (each writes at most one raw cell and, histograms aside, one rollup).</summary>
    public static GroupDelta For(IReadOnlyList<AppendRequest> group)
    {
        int reports = 0;
        foreach (var request in group)
            reports += request.Reports.Count;
        return new GroupDelta(reports, reports);
    }

    public void Add(string app, IReadOnlyList<ValidatedReport> reports)
    {
        foreach (var r in reports)
        {
            CollectionsMarshal.GetValueRefOrAddDefault(Raw, (app, r.Metric, r.Period, r.Value), out _)++;
            if (r.Histogram is { } buckets)
            {
                foreach (var b in buckets)
                    AddRollup((app, r.Metric, r.Period, b.Bucket), b.Count);
            }
            else
            {
                AddRollup((app, r.Metric, r.Period, r.Value), 1);
            }
        }
    }

    private void AddRollup((string, string, string, string) key, long total) => AddRollup(key, 1, total);

    public bool IsEmpty => Raw.Count == 0 && Rollups.Count == 0;

    public void AddRaw((string App, string Metric, string Period, string Value) key, long reports) =>
        CollectionsMarshal.GetValueRefOrAddDefault(Raw, key, out _) += reports;

    public void AddRollup((string App, string Metric, string Period, string Value) key, long reports, long total)
    {
        ref var cell = ref CollectionsMarshal.GetValueRefOrAddDefault(Rollups, key, out _);
        cell = (cell.Reports + reports, cell.Total + total);
    }

    /// <summary>Adds <paramref name="other"/>'s cells, their names made the instances of <paramref name="names"/> (so equal cells meet).</summary>
    public void Add(GroupDelta other, CellNames names)
    {
        foreach (var (c, reports) in other.Raw)
            AddRaw((names.Intern(c.App), names.Intern(c.Metric), names.Intern(c.Period), names.Intern(c.Value)), reports);
        foreach (var (c, (reports, total)) in other.Rollups)
            AddRollup((names.Intern(c.App), names.Intern(c.Metric), names.Intern(c.Period), names.Intern(c.Value)), reports, total);
    }
}

/// <summary>
/// Cell identity for the in-memory sums, cheap on the writer's serial path: app, metric and period
/// are shared instances (the registry's names, interned periods), so they compare by reference. Equal
/// text in a different instance only makes a second cell, upserted separately, which adds up the same.
/// </summary>
internal sealed class CellComparer : IEqualityComparer<(string App, string Metric, string Period, string Value)>
{
    public static readonly CellComparer Instance = new();

    public bool Equals((string App, string Metric, string Period, string Value) x, (string App, string Metric, string Period, string Value) y) =>
        ReferenceEquals(x.Metric, y.Metric) && ReferenceEquals(x.Period, y.Period) && ReferenceEquals(x.App, y.App) && string.Equals(x.Value, y.Value);

    public int GetHashCode((string App, string Metric, string Period, string Value) c) => HashCode.Combine(
        System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(c.App),
        System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(c.Metric),
        System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(c.Period),
        c.Value.GetHashCode());
}
