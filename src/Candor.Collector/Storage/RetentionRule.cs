using System.Data.Common;
using Candor.Protocol;

namespace Candor.Collector.Storage;

/// <summary>
/// What retention removes (privacy invariant 8), decided once for both engines: a raw row goes when its period
/// lies entirely before the purge boundary, and a held commitment goes by the same rule applied to its
/// retirement week (<see cref="Transparency.CommitmentRetirement"/>). Each engine lists the candidates with its
/// own SQL and deletes exactly what <see cref="DecideAsync"/> returns, inside its own transaction; neither
/// writes the rule in SQL, so a change to it cannot reach one engine and miss the other.
/// </summary>
internal static class RetentionRule
{
    /// <summary>
    /// Whether rows under <paramref name="period"/> (a day, an ISO week, or a commitment's retirement week) are
    /// past retention: the period ends on or before <paramref name="purgedBefore"/>. Text that is not a period
    /// never expires: a row the rule cannot date stays for an operator to see rather than going on a guess.
    /// Commitments migrated from schema 6 carry their period itself as retirement key (a day or a week): both parse.
    /// </summary>
    public static bool IsExpired(string period, DateOnly purgedBefore) =>
        PeriodKey.TryParse(period, out var p) && p.Value.End <= purgedBefore;

    /// <summary>
    /// Reads the candidates <paramref name="candidates"/> returns, one row each: the text (column 0) and its
    /// kind (column 1: 0 for a raw row's period, 1 for a commitment's retirement week), and keeps the expired
    /// ones. Duplicates are harmless; the lists come back distinct.
    /// </summary>
    public static async Task<(List<string> Periods, List<string> Retirements)> DecideAsync(DbCommand candidates, DateOnly purgedBefore,
        CancellationToken cancellationToken)
    {
        var periods = new HashSet<string>(StringComparer.Ordinal);
        var retirements = new HashSet<string>(StringComparer.Ordinal);
        await using var r = await candidates.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
        {
            var text = r.GetString(0);
            if (IsExpired(text, purgedBefore))
                (Convert.ToInt64(r.GetValue(1)) == 0 ? periods : retirements).Add(text);
        }
        return ([.. periods], [.. retirements]);
    }
}
