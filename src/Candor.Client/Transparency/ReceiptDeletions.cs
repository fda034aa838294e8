using System.Collections;

namespace Candor.Client.Transparency;

/// <summary>
/// The outcomes of a deletion by receipt, one per receipt revealed (in the order sent), and whether the
/// local store let the device do its part (<see cref="LocalStoreUnavailable"/>).
/// </summary>
public sealed class ReceiptDeletions : IReadOnlyList<ReceiptDeletion>
{
    private readonly IReadOnlyList<ReceiptDeletion> _outcomes;

    internal ReceiptDeletions(IReadOnlyList<ReceiptDeletion> outcomes, bool localStoreUnavailable)
    {
        _outcomes = outcomes;
        LocalStoreUnavailable = localStoreUnavailable;
    }

    /// <summary>
    /// True when the local store could not be read or written (a full disk, a data directory that could not
    /// be created). With no outcomes, nothing was sent: the receipts could not be read. With outcomes, they
    /// are the collector's real answers, but the device could not mark the deleted receipts; a later
    /// deletion of the same receipts is answered <c>already-deleted</c> and marks them.
    /// </summary>
    public bool LocalStoreUnavailable { get; }

    /// <summary>The outcome at <paramref name="index"/>.</summary>
    public ReceiptDeletion this[int index] => _outcomes[index];

    /// <summary>How many receipts were revealed.</summary>
    public int Count => _outcomes.Count;

    /// <summary>The outcomes in the order the receipts were sent.</summary>
    public IEnumerator<ReceiptDeletion> GetEnumerator() => _outcomes.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
