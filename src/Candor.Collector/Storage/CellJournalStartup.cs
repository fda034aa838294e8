namespace Candor.Collector.Storage;

/// <summary>
/// The fold at start-up, after migrations: rows a crash (or a stop without its final fold) left behind are
/// added to the tables before anything is served. A row that cannot be read stops the start with its id
/// rather than dropping its reports or counting them wrong.
/// </summary>
internal static class CellJournalStartup
{
    public static async Task FoldAsync(IIngestStore store, string where, CancellationToken cancellationToken)
    {
        try
        {
            await store.FoldJournalAsync(cancellationToken);
        }
        catch (CellJournalCorruptException e)
        {
            throw new StoreSchemaException(
                $"{where}: {e.Message}. Its reports are not in the tables yet, so Candor does not start rather than drop or miscount them. " +
                $"Keep a copy of the database; to give up only that row's reports, delete it (DELETE FROM cell_journal WHERE id = {e.RowId}) and start again.");
        }
    }
}
