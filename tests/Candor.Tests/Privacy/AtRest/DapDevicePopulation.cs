namespace Candor.Tests.Privacy.AtRest;

/// <summary>
/// DAP devices for <see cref="DapReportsAtRestTests"/>: <see cref="Planted"/> devices that each upload
/// <see cref="ReportsPerDevice"/> reports back to back (one per metric, as the Candor client does for its
/// DAP metrics), shuffled among <see cref="Ordinary"/> devices that upload one. Report ids and measurements
/// come from a fixed seed, so where each report lands in key order, and so every p-value after the
/// rewrite, is the same on every run.
/// </summary>
internal sealed class DapDevicePopulation
{
    public const int Planted = 16;
    public const int ReportsPerDevice = 6;
    public const int Ordinary = 240;

    public DapDevicePopulation(int seed)
    {
        var random = new Random(seed);
        var devices = new List<Device>();
        for (int i = 0; i < Planted + Ordinary; i++)
        {
            var count = i < Planted ? ReportsPerDevice : 1;
            devices.Add(new Device(i < Planted ? i : null,
                [.. Enumerable.Range(0, count).Select(_ => (Id: Id(random), Measurement: (ulong)random.Next(2)))]));
        }
        var order = devices.ToArray();
        random.Shuffle(order);
        Devices = order;
    }

    /// <param name="Planted">The planted device's number, or null for an ordinary one.</param>
    /// <param name="Reports">Its reports' ids and measurements, in upload order.</param>
    public sealed record Device(int? Planted, (byte[] Id, ulong Measurement)[] Reports);

    /// <summary>Every device in upload order.</summary>
    public IReadOnlyList<Device> Devices { get; }

    public int ReportCount => Devices.Sum(d => d.Reports.Length);

    /// <summary>
    /// Positions of the planted devices' reports in one view: <paramref name="order"/> gives (report id in
    /// lowercase hex, position) for whatever the view shows; every planted report must be in it.
    /// positions[device][k] is the position of that device's k-th report.
    /// </summary>
    public double[][] Positions(IEnumerable<(string Report, double Position)> order)
    {
        var found = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (report, position) in order)
            found.TryAdd(report, position); // the first place a reader meets it
        var positions = new double[Planted][];
        foreach (var device in Devices.Where(d => d.Planted is not null))
            positions[device.Planted!.Value] = [.. device.Reports.Select(r => found.TryGetValue(Convert.ToHexStringLower(r.Id), out var p)
                ? p : throw new InvalidOperationException($"report {Convert.ToHexStringLower(r.Id)} is missing from the view."))];
        return positions;
    }

    private static byte[] Id(Random random)
    {
        var id = new byte[16];
        random.NextBytes(id);
        return id;
    }
}
