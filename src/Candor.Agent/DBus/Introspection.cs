using System.Text;

namespace Candor.Agent.DBus;

/// <summary>
/// The introspection data the agent serves. The eos-metrics interfaces are copied from
/// com.endlessm.Metrics.xml (eos-metrics, LGPL-2.1+) without its comments; gdbus and GDBus proxies
/// type their arguments from this, so it must match what the handlers read.
/// </summary>
public static class Introspection
{
    public const string ServerInterface = "com.endlessm.Metrics.EventRecorderServer";
    public const string TimerInterface = "com.endlessm.Metrics.AggregateTimer";
    public const string AgentInterface = "org.candor.Agent1";

    public static readonly ReadOnlyMemory<byte> Server = Encoding.UTF8.GetBytes($"""
        <interface name="{ServerInterface}">
          <property name="Enabled" type="b" access="read"/>
          <property name="TrackingId" type="s" access="read"/>
          <method name="SetEnabled"><arg type="b" name="enabled" direction="in"/></method>
          <method name="RecordSingularEvent">
            <arg type="u" name="user_id" direction="in"/><arg type="ay" name="event_id" direction="in"/>
            <arg type="x" name="relative_timestamp" direction="in"/><arg type="b" name="has_payload" direction="in"/>
            <arg type="v" name="payload" direction="in"/>
          </method>
          <method name="RecordAggregateEvent">
            <arg type="u" name="user_id" direction="in"/><arg type="ay" name="event_id" direction="in"/>
            <arg type="x" name="count" direction="in"/><arg type="x" name="relative_timestamp" direction="in"/>
            <arg type="b" name="has_payload" direction="in"/><arg type="v" name="payload" direction="in"/>
          </method>
          <method name="RecordEventSequence">
            <arg type="u" name="user_id" direction="in"/><arg type="ay" name="event_id" direction="in"/>
            <arg type="a(xbv)" name="events" direction="in"/>
          </method>
          <method name="UploadEvents"/>
          <method name="ResetTrackingId"/>
          <method name="StartAggregateTimer">
            <arg type="u" name="user_id" direction="in"/><arg type="ay" name="event_id" direction="in"/>
            <arg type="b" name="has_payload" direction="in"/><arg type="v" name="payload" direction="in"/>
            <arg type="o" name="timer_object_path" direction="out"/>
          </method>
        </interface>
        """);

    public static readonly ReadOnlyMemory<byte> Agent = Encoding.UTF8.GetBytes($"""
        <interface name="{AgentInterface}">
          <method name="Show"><arg type="s" name="text" direction="out"/></method>
          <method name="Export"><arg type="s" name="format" direction="in"/><arg type="s" name="data" direction="out"/></method>
        </interface>
        """);

    public static readonly ReadOnlyMemory<byte> Timer = Encoding.UTF8.GetBytes($"""
        <interface name="{TimerInterface}"><method name="StopTimer"/></interface>
        """);
}
