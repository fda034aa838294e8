namespace Candor.Collector.Storage;

/// <summary>
/// Byte strings (commitments, keys, tokens) by content: equal when their bytes are, ordered as the
/// databases order <c>blob</c> / <c>bytea</c> (unsigned bytes, shorter first on a common prefix). Every
/// engine sorts keys it writes by this one order, so that concurrent writers take row locks in the same
/// order (no deadlock cycle) and rows land in the order the key-order rewrite keeps anyway.
/// </summary>
internal sealed class ByteOrder : IEqualityComparer<byte[]>, IComparer<byte[]>
{
    public static readonly ByteOrder Instance = new();

    public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

    public int GetHashCode(byte[] b)
    {
        var h = new HashCode();
        h.AddBytes(b);
        return h.ToHashCode();
    }

    public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
}

/// <summary>Ordinal order of cells (app, metric, period, value): the order the "C" collation, and SQLite's BINARY, keep them in.</summary>
internal sealed class CellOrder : IComparer<(string App, string Metric, string Period, string Value)>
{
    public static readonly CellOrder Instance = new();

    public int Compare((string App, string Metric, string Period, string Value) x, (string App, string Metric, string Period, string Value) y)
    {
        int c = string.CompareOrdinal(x.App, y.App);
        if (c == 0) c = string.CompareOrdinal(x.Metric, y.Metric);
        if (c == 0) c = string.CompareOrdinal(x.Period, y.Period);
        if (c == 0) c = string.CompareOrdinal(x.Value, y.Value);
        return c;
    }
}
