using System.Diagnostics;

namespace Candor.Tests.Infrastructure;

/// <summary>
/// What OpenTelemetry's AlwaysOn sampler does in a host: every activity source listened to and every
/// activity recorded, so HttpClient and ASP.NET Core create (and would propagate) trace context.
/// Dispose the listener to stop.
/// </summary>
internal static class AlwaysOnTracing
{
    public static ActivityListener Start()
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }
}
