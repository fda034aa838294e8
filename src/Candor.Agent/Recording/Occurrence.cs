using Tmds.DBus.Protocol;

namespace Candor.Agent.Recording;

/// <summary>How an event reached the agent: the four ways eos-metrics records.</summary>
public enum EventKind { Singular, Aggregate, Sequence, Timer }

/// <summary>
/// One call of eos-metrics, reduced to what a mapping may use. The caller's user id and the relative
/// timestamps are deliberately not kept: only a sequence's or timer's duration survives, and only if a
/// mapping asks for it.
/// </summary>
public sealed record Occurrence(Guid Event, EventKind Kind, long Count, IReadOnlyList<VariantValue> Payloads, bool PayloadMissing, TimeSpan? Duration);
