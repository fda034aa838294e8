using Microsoft.Extensions.Logging;

namespace Candor.Collector.Hosting;

/// <summary>
/// Holds back the framework's own start-up failure records (Kestrel's "Unable to start Kestrel", the
/// host's "Hosting failed to start", each with a full stack trace) until the collector has started.
/// A busy port or an unusable address fails <c>StartAsync</c>, and whoever started the collector
/// reports that once, in one line (<c>candor serve</c> prints it and exits 1); the framework's copies
/// printed some 9 KB of stack traces for one well-understood failure. After start-up everything
/// passes as configured.
/// </summary>
public sealed class StartupLogGate
{
    private volatile bool _started;

    public bool Started { get => _started; set => _started = value; }

    public bool Allows(string? provider, string? category, LogLevel level)
    {
        if (_started || category is null)
            return true;
        if (level == LogLevel.Critical && category.StartsWith("Microsoft.AspNetCore.Server.Kestrel", StringComparison.Ordinal))
            return false;
        return !(level >= LogLevel.Error && category == "Microsoft.Extensions.Hosting.Internal.Host");
    }
}
