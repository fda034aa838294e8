using System.Diagnostics.Metrics;
using Candor.Registry;

namespace Candor.Client.Recording;

/// <summary>
/// Records <see cref="System.Diagnostics.Metrics"/> instruments whose names the registry lists, so an app
/// already instrumented with <see cref="Meter"/> needs no second set of calls. Instruments the registry
/// does not name are never listened to. Enums have no numeric form and are not bridged.
/// </summary>
internal sealed class MeterBridge : IDisposable
{
    private readonly MeterListener _listener = new();

    public MeterBridge(Recorder recorder)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (recorder.Find(instrument.Name) is { } slots && slots.Definition.Type != MetricType.Enum)
                listener.EnableMeasurementEvents(instrument, slots);
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, state) => Record((MetricSlots)state!, value));
        _listener.SetMeasurementEventCallback<int>((_, value, _, state) => Record((MetricSlots)state!, value));
        _listener.SetMeasurementEventCallback<double>((_, value, _, state) => Record((MetricSlots)state!, double.IsFinite(value) ? (long)Math.Floor(value) : 0));
        _listener.Start();
    }

    private static void Record(MetricSlots s, long value)
    {
        if (!s.Enabled)
            return;
        switch (s.Definition.Type)
        {
            case MetricType.Counter:
                if (value > 0) Interlocked.Add(ref s.Values[0], value);
                break;
            case MetricType.Flag:
                if (value != 0) Volatile.Write(ref s.Values[0], 1);
                break;
            case MetricType.Quantity:
                Volatile.Write(ref s.Values[0], value);
                Volatile.Write(ref s.Values[1], 1);
                break;
            case MetricType.Histogram:
                if (s.BucketIndex(value) is var i and >= 0) Interlocked.Increment(ref s.Values[i]);
                break;
        }
    }

    public void Dispose() => _listener.Dispose();
}
