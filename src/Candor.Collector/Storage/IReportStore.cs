namespace Candor.Collector.Storage;

/// <summary>
/// One database behind every storage contract: SQLite (the default) or PostgreSQL, picked by
/// <see cref="ReportStores.Open"/>. The features use the small contracts it is made of, each from its own
/// folder's callers: <see cref="IIngestStore"/> (the ingest queue), <see cref="IIdempotencyKeyStore"/>,
/// <see cref="IRegistryStore"/>, <see cref="IReleaseStore"/> (the publisher), <see cref="IRetentionStore"/>,
/// <see cref="ITokenStore"/> (Privacy Pass), <see cref="ILogStore"/> and <see cref="IDeletionStore"/>
/// (the transparency log), <see cref="IKeyOrderRewrite"/>. One shared contract test suite
/// (tests/Candor.Tests/Storage/ReportStoreContract.cs) runs every member on both engines.
///
/// Privacy rules every engine keeps (DESIGN.md invariants 4 and 5):
/// - a raw row is one distinct report, (app, metric, period, value), with the number of times it was
///   received: no batch id, no receive time, no address, and no per-report key or position at all,
///   so nothing in storage order can show which reports arrived together (docs/privacy.md explains
///   why counts replace the random-keyed rows DESIGN.md suggested);
/// - idempotency keys live in their own table and are never linked to rows, and nothing stored with
///   a key lets anyone holding the database test a guess of the batch's content (<see cref="AppendRequest.BodyMac"/>);
/// - physical order carries no information once <see cref="IKeyOrderRewrite.RewriteInKeyOrderAsync"/> has run, and
///   deleted rows are overwritten, not just unlinked (docs/privacy.md, "An attacker with the database files").
/// </summary>
internal interface IReportStore : IIngestStore, IIdempotencyKeyStore, IRegistryStore, IReleaseStore, IRetentionStore, ITokenStore,
    ILogStore, IDeletionStore, IKeyOrderRewrite, IAsyncDisposable
{
    /// <summary>Creates or upgrades the schema. Refuses a database written by a newer Candor.</summary>
    Task MigrateAsync(CancellationToken cancellationToken = default);
}

/// <summary>The database's schema is one this Candor cannot serve.</summary>
public sealed class StoreSchemaException(string message) : Exception(message);
