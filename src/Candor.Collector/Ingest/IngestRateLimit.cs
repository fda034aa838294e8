using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Candor.Collector.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;

namespace Candor.Collector.Ingest;

/// <summary>
/// A per-address token bucket in front of the ingest endpoint, so one client (or one broken loop)
/// cannot take the collector's capacity from everybody else. The address is only a partition key held
/// in memory (idle partitions are dropped by the limiter); it is never stored and never logged, and the
/// rejection answer carries nothing about it.
/// </summary>
public static class IngestRateLimit
{
    public const string PolicyName = "ingest-per-address";

    public static void AddIngestRateLimit(this IServiceCollection services, CollectorOptions options)
    {
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(PolicyName, http =>
            {
                int rate = options.RateLimitPerAddressPerSecond;
                // A request opened by the Oblivious HTTP gateway has no address: its connection was the
                // relay's, shared by all the relay's users, so keying on it would throttle everyone at once.
                if (rate == 0 || http.Items.ContainsKey(Ohttp.InProcessDispatcher.InnerRequestItem))
                    return RateLimitPartition.GetNoLimiter(IPAddress.None);
                var client = http.RequestServices.GetRequiredService<Candor.Collector.PrivacyPass.ClientAddress>().Of(http);
                return RateLimitPartition.GetTokenBucketLimiter(Candor.Collector.PrivacyPass.ClientAddress.PartitionKey(client), _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = rate * 2,
                    TokensPerPeriod = rate,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
            limiter.OnRejected = async (context, cancellationToken) =>
            {
                context.HttpContext.RequestServices.GetRequiredService<Hosting.CollectorMetrics>().RateLimited();
                int seconds = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)) : 1;
                var result = ProblemTypes.RateLimited.Answer(context.HttpContext,
                    "This address sent more batches than the collector accepts per second. Nothing was stored; retry after the given delay.",
                    seconds);
                await result.ExecuteAsync(context.HttpContext);
            };
        });
    }
}
