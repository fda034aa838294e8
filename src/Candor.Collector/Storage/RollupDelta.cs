using Candor.Protocol;

namespace Candor.Collector.Storage;

/// <summary>
/// The rollup increments of a group of batches, summed in memory first so that each engine issues
/// one upsert per distinct cell rather than one per report.
/// </summary>
public static class RollupDelta
{
    public static Dictionary<(string App, string Metric, string Period, string Value), (long Reports, long Total)> Sum(
        IEnumerable<(string App, IReadOnlyList<ValidatedReport> Reports)> batches)
    {
        var cells = new Dictionary<(string, string, string, string), (long, long)>();
        foreach (var (app, reports) in batches)
        {
            foreach (var r in reports)
            {
                if (r.Histogram is { } buckets)
                {
                    foreach (var b in buckets)
                        Add(cells, (app, r.Metric, r.Period, b.Bucket), b.Count);
                }
                else
                {
                    Add(cells, (app, r.Metric, r.Period, r.Value), 1);
                }
            }
        }
        return cells;
    }

    private static void Add(Dictionary<(string, string, string, string), (long, long)> cells, (string, string, string, string) key, long total)
    {
        ref var cell = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(cells, key, out _);
        cell = (cell.Item1 + 1, cell.Item2 + total);
    }
}
