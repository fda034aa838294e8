namespace Candor.Collector.Publishing;

/// <summary>Whether a period's figures are out.</summary>
public enum PeriodState
{
    /// <summary>
    /// Its reporting window has closed; its figures were computed once, with noise, stored, and are
    /// served unchanged from then on (an empty release is a release too).
    /// </summary>
    Final,

    /// <summary>
    /// Final, but its release is not stored yet: the release job (not the request) makes it within
    /// minutes. Shown like <see cref="Pending"/>, with nothing about its reports.
    /// </summary>
    Releasing,

    /// <summary>Reports are still arriving: nothing is published for it, not even whether it has any.</summary>
    Pending,
}
