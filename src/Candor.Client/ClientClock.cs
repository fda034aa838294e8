namespace Candor.Client;

/// <summary>The client's one notion of "today": the UTC day, so periods never depend on the device's time zone.</summary>
internal static class ClientClock
{
    public static DateOnly UtcToday(this TimeProvider time) => DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
}
