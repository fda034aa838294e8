using Candor.Collector.Ingest;
using Candor.Collector.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Candor.Collector.Hosting;

/// <summary>
/// Readiness (<c>/readyz</c>): may a load balancer send this collector reports now? Not while the store
/// does not answer a read of the table every commit writes (a database down, a table gone), and not
/// while group commits are failing (a full disk reads fine but cannot write). The second condition
/// lapses <see cref="CollectorOptions.RetryAfterSeconds"/> after the last failure, so that a collector
/// taken out of rotation gets traffic again to find out whether the store is back; otherwise an outage
/// that ended without traffic would keep it out of rotation forever.
/// </summary>
internal sealed class StoreReadinessCheck(IReleaseStore store, IngestQueue queue, CollectorOptions options, TimeProvider time) : IHealthCheck
{
    public const string Tag = "ready";

    // A probe must answer before the load balancer's own timeout; a hung database connection
    // (PostgreSQL's default connect timeout is 15 s) means "not ready", not a probe that hangs.
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (queue.LastFailureInOutage is { } failed && time.GetUtcNow() - failed < TimeSpan.FromSeconds(options.RetryAfterSeconds))
            return HealthCheckResult.Unhealthy("the store's last commit failed");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            // An app id no registry can have (ids have no '/'): the read returns nothing, but it
            // must reach the rollup table.
            await store.ReadRollupsAsync("candor/readiness-probe", cancellationToken: timeout.Token);
            return HealthCheckResult.Healthy();
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // The exception's text is not put in the answer: the operator listener may be bound
            // wider than loopback, and database errors name hosts and users.
            return HealthCheckResult.Unhealthy("the store does not answer");
        }
    }
}
