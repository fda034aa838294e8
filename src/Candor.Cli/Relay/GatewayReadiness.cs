namespace Candor.Cli.Relay;

/// <summary>
/// Readiness of the relay (<c>/readyz</c> on its operator listener): may a load balancer send clients
/// here? Not while the gateway does not answer its key configuration (asked fresh on every probe, so the
/// answer is about now), and not while <see cref="RelayOptions.MaxHeldRequests"/> are already waiting.
/// The probe is bounded well below a load balancer's own timeout.
/// </summary>
public sealed class GatewayReadiness(RelayOptions options, HttpMessageInvoker gateway, HeldRequestCap cap)
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);

    /// <summary>Null when ready, else the reason (no error text from the network: it may name internal hosts).</summary>
    public async Task<string?> CheckAsync(CancellationToken cancellationToken)
    {
        if (cap.Held >= options.MaxHeldRequests)
            return $"relay: {options.MaxHeldRequests} requests are waiting for the gateway (MaxHeldRequests)";
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(options.Gateway!, "/.well-known/ohttp-gateway"));
        request.Options.Set(GatewayWatch.Probe, true);
        request.Options.Set(GatewayWatch.TimeoutOverride, ProbeTimeout); // bounded by the watch, so a timed-out probe is counted
        try
        {
            using var answer = await gateway.SendAsync(request, cancellationToken);
            return answer.IsSuccessStatusCode ? null : $"gateway: answered {(int)answer.StatusCode}";
        }
        catch (HttpRequestException)
        {
            return "gateway: unreachable";
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return "gateway: no answer in time";
        }
    }
}
