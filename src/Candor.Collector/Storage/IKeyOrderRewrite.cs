namespace Candor.Collector.Storage;

/// <summary>Privacy invariant 9 at rest, run by <see cref="StorageRewriter"/>.</summary>
public interface IKeyOrderRewrite
{
    /// <summary>
    /// Rewrites the tables written since the last rewrite (every table when
    /// <paramref name="force"/>) in primary-key order, in one place each, and drops the old copies, so
    /// that no physical order, dump order, unordered scan or row version tells which cells were written
    /// together. Rows written after it returns are in write order again until the next rewrite
    /// (every <see cref="CollectorOptions.RewriteIntervalSeconds"/>).
    /// Returns false when nothing needed rewriting (or another collector was rewriting).
    /// </summary>
    Task<bool> RewriteInKeyOrderAsync(bool force = false, CancellationToken cancellationToken = default);
}
