using System.Diagnostics;

namespace Candor.Collector.Storage;

/// <summary>
/// When a group journals its cells (<see cref="CellJournal"/>) and when the journal is folded, from counters
/// only: the rows this process appended that no fold has taken yet, and when the oldest of them was appended.
/// The counters decide timing, never correctness: a fold takes whatever rows it finds in the table
/// (<c>DELETE ... RETURNING</c>), other collectors' and a crashed run's included, so a count that is off only
/// makes a fold come early or late.
/// </summary>
internal sealed class CellJournalPolicy
{
    private long _rows, _oldest, _appended, _folds;

    /// <summary>Rows after which the next group folds; 0 turns the journal off (every group writes its cells).</summary>
    public int MaxRows { get; set; } = DefaultRows;

    /// <summary>Age of the oldest row after which the next group folds: how long reads may lag under load.</summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromMilliseconds(DefaultMilliseconds);

    public const int DefaultRows = 64;
    public const int DefaultMilliseconds = 250;

    /// <summary>Journal rows this process appended and no fold has taken (for the fold decision and /metrics).</summary>
    public long Rows => Interlocked.Read(ref _rows);

    /// <summary>Rows ever appended and folds ever run by this process (for /metrics and tests).</summary>
    public long Appended => Interlocked.Read(ref _appended);
    public long Folds => Interlocked.Read(ref _folds);

    /// <summary>
    /// Whether a group journals its cells: only when more batches are waiting or in flight (at low load a group
    /// is one batch, and a row would keep that batch's reports together at rest; its cells are written as
    /// before), and only while no fold is due (then this group writes its cells and folds the journal with them).
    /// </summary>
    public bool ShouldJournal(bool moreWaiting) => moreWaiting && MaxRows > 0 && !FoldDue;

    /// <summary>
    /// Whether a group that writes its cells folds the journal with them: when the journal holds
    /// <see cref="MaxRows"/> rows or its oldest is <see cref="MaxAge"/> old (or the journal was turned off with
    /// rows left: MaxRows 0). Not merely because this group found nothing waiting: under load that happens every few
    /// groups, and folding then took 3 to 5 rows a fold, too few to coalesce (docs/benchmarks.md); a quiet
    /// collector folds <see cref="MaxAge"/> after its last group instead (the ingest queue's quiet fold).
    /// </summary>
    public bool ShouldFold => FoldDue && Volatile.Read(ref _foldFailed) == 0;

    private int _foldFailed;

    /// <summary>
    /// An in-line fold met a row it cannot read and was rolled back: groups keep writing their own cells (a fold
    /// is still due, so none journals) without trying again in-line, until a fold succeeds (<see cref="Folded"/>).
    /// </summary>
    public void FoldFailed() => Volatile.Write(ref _foldFailed, 1);

    private bool FoldDue
    {
        get
        {
            long rows = Rows;
            // rows >= MaxRows covers a journal turned off (0) with rows left from before.
            return rows > 0 && (rows >= MaxRows || Stopwatch.GetElapsedTime(Interlocked.Read(ref _oldest)) >= MaxAge);
        }
    }

    /// <summary>A group's row was committed.</summary>
    public void Append()
    {
        if (Interlocked.Increment(ref _rows) == 1)
            Interlocked.Exchange(ref _oldest, Stopwatch.GetTimestamp());
        Interlocked.Increment(ref _appended);
    }

    /// <summary>A fold is about to take rows: the mark to give <see cref="Folded"/> once it has committed.</summary>
    public long BeginFold() => Appended;

    /// <summary>
    /// A fold that began at <paramref name="mark"/> committed, having taken <paramref name="rows"/> rows. Every row
    /// this process committed before the mark is gone now, taken by this fold or by another collector's (on
    /// PostgreSQL a fold skips rows another fold holds, and that fold adds them): what is left is what was
    /// appended since. Counting only the rows this fold took drifted with two collectors, each taking the
    /// other's rows, until every group saw a fold due and none journaled.
    /// </summary>
    public void Folded(long mark, int rows)
    {
        Volatile.Write(ref _foldFailed, 0);
        long left = Math.Max(0, Appended - mark);
        Interlocked.Exchange(ref _rows, left);
        if (left > 0)
            Interlocked.Exchange(ref _oldest, Stopwatch.GetTimestamp()); // rows appended while it ran: their age starts about now
        if (rows > 0)
            Interlocked.Increment(ref _folds);
    }
}
