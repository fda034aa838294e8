using System.Text;
using Cell = (string App, string Metric, string Period, string Value);

namespace Candor.Collector.Storage;

/// <summary>
/// The on-disk form of a journaled group (<see cref="GroupDelta"/>, one <c>cell_journal</c> row) and its
/// reading back when the journal is folded. Under load a group commit appends its delta as one row instead
/// of upserting its ~600 cells; a fold sums many rows and upserts each distinct cell once. Cells repeat
/// heavily across groups (values are allowlisted and coarse), so a fold of 64 groups upserts far fewer cells
/// than 64 groups did. The worst case (no cell shared within a fold) writes each cell twice: once in the
/// row, once in the upsert.
///
/// Format, version 1: a version byte; the strings (a count, then each as its UTF-8 length and bytes); the
/// raw cells (a count, then per cell the four string indices and the report count); the rollup cells (a
/// count, then per cell the four indices, the report count and the total). Every integer is a zigzag
/// LEB128 varint. Nothing else: no time, no batch boundary, no order beyond the dictionary's.
/// A row that does not parse is never skipped (<see cref="CellJournalCorruptException"/>): skipping would
/// silently lose its reports, and guessing would count them wrong.
/// </summary>
internal static class CellJournal
{
    private const byte Version = 1;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static byte[] Serialize(GroupDelta delta)
    {
        var strings = new Dictionary<string, int>(StringComparer.Ordinal);
        var order = new List<string>();
        int Index(string s)
        {
            if (!strings.TryGetValue(s, out int i))
            {
                strings[s] = i = order.Count;
                order.Add(s);
            }
            return i;
        }
        var cells = new Writer(64 + delta.Raw.Count * 12 + delta.Rollups.Count * 14);
        cells.Varint(delta.Raw.Count);
        foreach (var (cell, reports) in delta.Raw)
        {
            cells.Varint(Index(cell.App)); cells.Varint(Index(cell.Metric)); cells.Varint(Index(cell.Period)); cells.Varint(Index(cell.Value));
            cells.Varint(reports);
        }
        cells.Varint(delta.Rollups.Count);
        foreach (var (cell, (reports, total)) in delta.Rollups)
        {
            cells.Varint(Index(cell.App)); cells.Varint(Index(cell.Metric)); cells.Varint(Index(cell.Period)); cells.Varint(Index(cell.Value));
            cells.Varint(reports);
            cells.Varint(total);
        }
        var row = new Writer(cells.Length + order.Sum(s => s.Length * 3 + 2) + 8);
        row.Byte(Version);
        row.Varint(order.Count);
        foreach (var s in order)
            row.Text(s);
        row.Bytes(cells.Written);
        return row.Written.ToArray();
    }

    /// <summary>
    /// The cells of the rows a fold took, summed with <paramref name="live"/>'s (the group folding them, or none);
    /// <paramref name="live"/> itself when no row was taken. Both engines' folds: the rows they delete are the rows this adds.
    /// </summary>
    /// <exception cref="CellJournalCorruptException">A row cannot be read: nothing of the sum may be written.</exception>
    public static GroupDelta Sum(GroupDelta? live, IReadOnlyList<(long Id, byte[] Delta)> rows)
    {
        if (rows.Count == 0)
            return live ?? new GroupDelta();
        var sum = new GroupDelta();
        var names = new CellNames();
        if (live is not null)
            sum.Add(live, names);
        foreach (var (id, delta) in rows)
            AddTo(sum, id, delta, names);
        return sum;
    }

    /// <summary>Adds the cells of journal row <paramref name="rowId"/> to <paramref name="sum"/>, names taken from <paramref name="names"/>.</summary>
    /// <exception cref="CellJournalCorruptException">The row is not a journal row this Candor can read; <paramref name="sum"/> is then incomplete and must not be written.</exception>
    public static void AddTo(GroupDelta sum, long rowId, ReadOnlySpan<byte> row, CellNames names)
    {
        var r = new Reader(row, rowId);
        if (r.Byte() != Version)
            throw new CellJournalCorruptException(rowId, $"unknown format version {row[0]}");
        int count = r.Count(row.Length);
        var strings = new string[count];
        for (int i = 0; i < count; i++)
            strings[i] = r.Text(names);
        int raw = r.Count(row.Length);
        for (int i = 0; i < raw; i++)
            sum.AddRaw(r.ReadCell(strings), r.Counter());
        int rollups = r.Count(row.Length);
        for (int i = 0; i < rollups; i++)
            sum.AddRollup(r.ReadCell(strings), r.Counter(), r.Counter());
        if (!r.AtEnd)
            throw new CellJournalCorruptException(rowId, "bytes after its last cell");
    }

    private sealed class Writer(int capacity)
    {
        private byte[] _buffer = new byte[Math.Max(capacity, 16)];
        public int Length { get; private set; }
        public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, Length);

        private Span<byte> Take(int n)
        {
            if (Length + n > _buffer.Length)
                Array.Resize(ref _buffer, Math.Max(Length + n, _buffer.Length * 2));
            var span = _buffer.AsSpan(Length, n);
            Length += n;
            return span;
        }

        public void Byte(byte b) => Take(1)[0] = b;

        public void Bytes(ReadOnlySpan<byte> b) => b.CopyTo(Take(b.Length));

        public void Varint(long value)
        {
            ulong v = (ulong)((value << 1) ^ (value >> 63)); // zigzag: small magnitudes of either sign stay short
            while (v >= 0x80)
            {
                Byte((byte)(v | 0x80));
                v >>= 7;
            }
            Byte((byte)v);
        }

        public void Text(string s)
        {
            int n = Encoding.UTF8.GetByteCount(s);
            Varint(n);
            Encoding.UTF8.GetBytes(s, Take(n));
        }
    }

    private ref struct Reader(ReadOnlySpan<byte> row, long rowId)
    {
        private readonly ReadOnlySpan<byte> _row = row;
        private int _at;

        public readonly bool AtEnd => _at == _row.Length;

        public byte Byte() => _at < _row.Length ? _row[_at++] : throw Truncated();

        public long Varint()
        {
            ulong v = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                byte b = Byte();
                v |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                    return (long)(v >> 1) ^ -(long)(v & 1);
            }
            throw new CellJournalCorruptException(rowId, "a number longer than 64 bits");
        }

        /// <summary>A count of items, each at least one byte long: more than the row could hold is corruption, not an allocation.</summary>
        public int Count(int limit)
        {
            long n = Varint();
            return n >= 0 && n <= limit ? (int)n : throw new CellJournalCorruptException(rowId, $"a count of {n} in a row of {limit} bytes");
        }

        public long Counter()
        {
            long n = Varint();
            return n >= 0 ? n : throw new CellJournalCorruptException(rowId, $"a negative count ({n})");
        }

        public string Text(CellNames names)
        {
            int n = Count(_row.Length);
            if (_at + n > _row.Length)
                throw Truncated();
            var bytes = _row.Slice(_at, n);
            _at += n;
            try
            {
                return names.Get(bytes, StrictUtf8);
            }
            catch (DecoderFallbackException)
            {
                throw new CellJournalCorruptException(rowId, "a name that is not UTF-8");
            }
        }

        public Cell ReadCell(string[] strings) => (At(strings), At(strings), At(strings), At(strings));

        private string At(string[] strings)
        {
            long i = Varint();
            return i >= 0 && i < strings.Length ? strings[i] : throw new CellJournalCorruptException(rowId, $"a name index {i} beyond its {strings.Length} names");
        }

        private readonly CellJournalCorruptException Truncated() => new(rowId, "it ends in the middle of a cell");
    }
}

/// <summary>
/// One string instance per name over a whole fold: <see cref="CellComparer"/> compares app, metric and period
/// by reference, so the same cell read from two rows must come back as the same strings to be summed once.
/// </summary>
internal sealed class CellNames
{
    private readonly Dictionary<string, string> _names = new(StringComparer.Ordinal);
    private char[] _chars = new char[256];

    /// <summary>Makes <paramref name="s"/> the instance returned for its text from now on (the live group's names, read first).</summary>
    public string Intern(string s)
    {
        if (_names.TryGetValue(s, out var known))
            return known;
        _names[s] = s;
        return s;
    }

    public string Get(ReadOnlySpan<byte> utf8, Encoding strict)
    {
        int max = strict.GetMaxCharCount(utf8.Length);
        if (_chars.Length < max)
            _chars = new char[Math.Max(max, _chars.Length * 2)];
        int n = strict.GetChars(utf8, _chars);
        var text = _chars.AsSpan(0, n);
        if (_names.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(text, out var known))
            return known;
        var s = new string(text);
        _names[s] = s;
        return s;
    }
}

/// <summary>A <c>cell_journal</c> row that cannot be read: its reports are not in the tables, and nothing was dropped.</summary>
internal sealed class CellJournalCorruptException(long rowId, string reason)
    : Exception($"cell_journal row {rowId} cannot be read ({reason})")
{
    public long RowId { get; } = rowId;
}
