namespace Candor.Collector.Storage;

/// <summary>
/// One commitment, one report: a batch carrying a commitment the store holds (<paramref name="held"/>, read
/// by each engine in one statement for the whole group) or that an earlier batch of the same group stored is
/// refused whole, before its token is spent or its key remembered, so a replayed receipt cannot count a
/// report twice nor two reports share one deletion. The engines differ only in how they read the held set.
/// </summary>
internal sealed class CommitmentDedupe(HashSet<byte[]> held)
{
    private readonly HashSet<byte[]> _stored = new(ByteOrder.Instance);

    /// <summary>
    /// What "held" means, for both engines' one-statement reads: the commitment's row, or (after retention took
    /// the row) its log entry, still pending or already a leaf. Each engine passes its own SQL for the commitment
    /// and for its log entry (a 0x00 byte, then the commitment); the rule is written here only, since the two
    /// engines once disagreed on it (PostgreSQL forgot the pending entries and stored such a report twice).
    /// </summary>
    public static string HeldCondition(string commitment, string entry) =>
        $"(EXISTS (SELECT 1 FROM commitments WHERE commitment = {commitment}) " +
        $"OR EXISTS (SELECT 1 FROM log_pending WHERE entry = {entry}) " +
        $"OR EXISTS (SELECT 1 FROM log_leaves WHERE entry = {entry}))";

    /// <summary>
    /// Whether any report of the group carries a commitment: most groups carry none (the log off, or clients without
    /// it), and asking <see cref="All"/> cost a LINQ walk over every report of every group on the writer's serial path.
    /// </summary>
    public static bool Any(IReadOnlyList<AppendRequest> group)
    {
        foreach (var request in group)
            foreach (var report in request.Reports)
                if (report.Commitment is not null)
                    return true;
        return false;
    }

    /// <summary>Every commitment the group's <paramref name="requests"/> carry, to ask the store which it holds.</summary>
    public static IEnumerable<byte[]> All(IEnumerable<AppendRequest> requests) =>
        requests.SelectMany(r => r.Reports).Select(r => r.Commitment).OfType<byte[]>();

    /// <summary>The indices of the request's reports whose commitment is held or stored earlier in this group; null when none is.</summary>
    public List<int>? Known(AppendRequest request)
    {
        List<int>? known = null;
        for (int r = 0; r < request.Reports.Count; r++)
            if (request.Reports[r].Commitment is { } c && (_stored.Contains(c) || held.Contains(c)))
                (known ??= []).Add(r);
        return known;
    }

    /// <summary>Counts the request's commitments as stored by this group; true when it had any (it then counts toward the epoch's batches).</summary>
    public bool Remember(AppendRequest request)
    {
        bool any = false;
        foreach (var report in request.Reports)
        {
            if (report.Commitment is not { } c)
                continue;
            _stored.Add(c);
            any = true;
        }
        return any;
    }
}
