using System.Text;

namespace Candor.Tests.Privacy.AtRest;

/// <summary>
/// A registry of <see cref="Metrics"/> enum metrics with 64 values each, and a population on it:
/// <see cref="Ordinary"/> installations that send common values (v00..v07), and <see cref="Planted"/>
/// installations that each send, in every metric, a rare value nobody else sends (dealt at random from
/// v10..v63), like the macOS + 64 GB + 3 displays installations read off a dump as blocks. Each
/// installation sends one batch of one report per metric, in a shuffled order. Fixed seed.
/// </summary>
internal sealed class PlantedPopulation
{
    public const string App = "org.example.planted";
    public const string Week = "2026-W47";
    public const int Metrics = 6;
    public const int Planted = 16;
    public const int Ordinary = 240;

    public PlantedPopulation(int seed = 1912)
    {
        var random = new Random(seed);
        RareValues = new string[Planted][];
        for (int i = 0; i < Planted; i++)
            RareValues[i] = new string[Metrics];
        for (int m = 0; m < Metrics; m++)
        {
            var rare = Enumerable.Range(10, 54).ToArray();
            random.Shuffle(rare);
            for (int i = 0; i < Planted; i++)
                RareValues[i][m] = Value(rare[i]);
        }
        var batches = new List<string>();
        for (int i = 0; i < Planted; i++)
            batches.Add(Batch(RareValues[i]));
        for (int o = 0; o < Ordinary; o++)
            batches.Add(Batch(Enumerable.Range(0, Metrics).Select(_ => Value(random.Next(8))).ToArray()));
        var order = batches.ToArray();
        random.Shuffle(order);
        Batches = order;
    }

    /// <summary>RareValues[installation][metric].</summary>
    public string[][] RareValues { get; }

    public IReadOnlyList<string> Batches { get; }

    public static string Metric(int m) => $"hw.m{m}";
    private static string Value(int v) => $"v{v:00}";

    private static string Batch(string[] values)
    {
        var sb = new StringBuilder($$"""{"schema":1,"period":"{{Week}}","reports":[""");
        for (int m = 0; m < values.Length; m++)
            sb.Append(m == 0 ? "" : ",").Append($$"""{"metric":"{{Metric(m)}}","value":"{{values[m]}}"}""");
        return sb.Append("]}").ToString();
    }

    /// <summary>
    /// Positions of the planted cells in one view: <paramref name="order"/> lists (metric, value,
    /// position) for whatever the view shows; every planted cell must be in it exactly once.
    /// </summary>
    public double[][] Positions(IEnumerable<(string Metric, string Value, double Position)> order)
    {
        var found = new Dictionary<(string, string), double>();
        foreach (var (metric, value, position) in order)
            if (!found.TryAdd((metric, value), position))
                throw new InvalidOperationException($"{metric}={value} appears twice in the view.");
        var positions = new double[Planted][];
        for (int i = 0; i < Planted; i++)
        {
            positions[i] = new double[Metrics];
            for (int m = 0; m < Metrics; m++)
                positions[i][m] = found.TryGetValue((Metric(m), RareValues[i][m]), out var p)
                    ? p : throw new InvalidOperationException($"{Metric(m)}={RareValues[i][m]} is missing from the view.");
        }
        return positions;
    }

    public static string Registry()
    {
        var sb = new StringBuilder($"""
            app: {App}
            version: 1
            categories:
              system: {"{"} description: Hardware {"}"}
            metrics:

            """);
        for (int m = 0; m < Metrics; m++)
            sb.Append($"""
                  {Metric(m)}:
                    type: enum
                    category: system
                    period: week
                    values: [{string.Join(", ", Enumerable.Range(0, 64).Select(Value))}]
                    description: A hardware property.
                    purpose: Plan support.
                    expires: never

                """);
        return sb.ToString();
    }
}
