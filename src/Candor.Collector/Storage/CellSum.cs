using System.Runtime.InteropServices;
using System.Text;
using Ids = (int App, int Metric, int Period, int Value);

namespace Candor.Collector.Storage;

/// <summary>
/// The sum a fold builds from its journal rows (<see cref="CellJournal.Sum"/>): every name gets a number once per
/// fold, and cells are summed by their four numbers. A fold takes ~60 rows of ~500 cells each: keyed by strings,
/// each of those ~30,000 additions hashed the value's text and was the larger part of a fold's CPU on the
/// writer's serial path (docs/benchmarks.md, "the writer path taken apart"). Equal text is one number, so the
/// same cell from two rows (two string instances) is summed once and upserted once.
/// </summary>
internal sealed class CellSum
{
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _idsBySpan;
    private readonly List<string> _names = [];
    private readonly Dictionary<Ids, long> _raw = [];
    private readonly Dictionary<Ids, (long Reports, long Total)> _rollups = [];
    private char[] _chars = new char[256];

    public CellSum() => _idsBySpan = _ids.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The number of a name given as text (the live group's names).</summary>
    public int Id(string name)
    {
        ref int id = ref CollectionsMarshal.GetValueRefOrAddDefault(_ids, name, out bool exists);
        if (!exists)
        {
            id = _names.Count;
            _names.Add(name);
        }
        return id;
    }

    /// <summary>The number of a name given as strict UTF-8 (a journal row's); throws <see cref="DecoderFallbackException"/> on bytes that are not.</summary>
    public int Id(ReadOnlySpan<byte> utf8, Encoding strict)
    {
        int max = strict.GetMaxCharCount(utf8.Length);
        if (_chars.Length < max)
            _chars = new char[Math.Max(max, _chars.Length * 2)];
        int n = strict.GetChars(utf8, _chars);
        var text = _chars.AsSpan(0, n);
        if (_idsBySpan.TryGetValue(text, out int known))
            return known;
        return Id(new string(text));
    }

    public void AddRaw(Ids cell, long reports) => CollectionsMarshal.GetValueRefOrAddDefault(_raw, cell, out _) += reports;

    public void AddRollup(Ids cell, long reports, long total)
    {
        ref var sum = ref CollectionsMarshal.GetValueRefOrAddDefault(_rollups, cell, out _);
        sum = (sum.Reports + reports, sum.Total + total);
    }

    public void Add(GroupDelta live)
    {
        foreach (var (c, reports) in live.Raw)
            AddRaw((Id(c.App), Id(c.Metric), Id(c.Period), Id(c.Value)), reports);
        foreach (var (c, (reports, total)) in live.Rollups)
            AddRollup((Id(c.App), Id(c.Metric), Id(c.Period), Id(c.Value)), reports, total);
    }

    /// <summary>The summed cells with their names back, one string instance per name (as <see cref="CellComparer"/> needs).</summary>
    public GroupDelta ToDelta()
    {
        var delta = new GroupDelta(_raw.Count, _rollups.Count);
        foreach (var (c, reports) in _raw)
            delta.AddRaw((_names[c.App], _names[c.Metric], _names[c.Period], _names[c.Value]), reports);
        foreach (var (c, (reports, total)) in _rollups)
            delta.AddRollup((_names[c.App], _names[c.Metric], _names[c.Period], _names[c.Value]), reports, total);
        return delta;
    }
}
