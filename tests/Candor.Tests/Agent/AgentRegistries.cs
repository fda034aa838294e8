namespace Candor.Tests.Agent;

/// <summary>
/// The machine registry and event mapping the agent tests run with. The event UUIDs, names and payload
/// types are real eos-metrics events as Azafea's event list documents them (azafea docs/source/events.rst,
/// https://github.com/endlessm/azafea): a desktop search <c>(us)</c> whose string is the user's query, a
/// network state change <c>(uu)</c>, the social bar's start/stop sequence and the uptime <c>(xx)</c>.
/// </summary>
public static class AgentRegistries
{
    public const string App = "org.example.machine";

    public static readonly Guid DesktopSearch = Guid.Parse("b02266bc-b010-44b2-ae0f-8f116ffa50eb");   // EVENT_DESKTOP_SEARCH, (us)
    public static readonly Guid NetworkStatus = Guid.Parse("5fae6179-e108-4962-83be-c909259c0584");   // EMTR_EVENT_NETWORK_STATUS_CHANGED, (uu)
    public static readonly Guid SocialBar = Guid.Parse("9c33a734-7ed8-4348-9e39-3c27f4dc2e62");       // EMTR_EVENT_SOCIAL_BAR_IS_VISIBLE, no payload
    public static readonly Guid Uptime = Guid.Parse("005096c4-9444-48c6-844b-6cb693c15235");          // UPTIME_EVENT before 2.5.2, (xx)
    public static readonly Guid KnowledgeSearch = Guid.Parse("a628c936-5d87-434a-a57a-015a0f223838"); // SEARCH_METRIC_EVENT_ID, (ss): deliberately unmapped

    public const string Registry = """
        app: org.example.machine
        version: 1
        categories:
          usage: { description: How the desktop is used }
          system: { description: Hardware and system settings }
        metrics:
          desktop.searches:
            type: counter
            category: usage
            period: week
            buckets: [1, 2, 5, 10, 20, 50, 100]
            description: Searches from the desktop search bar during the week.
            purpose: See whether desktop search is worth improving.
            expires: never
          network.state:
            type: enum
            category: system
            period: week
            values: [disconnected, connecting, connected]
            description: The network state a change led to.
            purpose: See how often machines go offline.
            expires: never
          socialbar.visible_seconds:
            type: histogram
            category: usage
            period: week
            buckets: [0, 10, 60, 600]
            description: How long the social bar stayed open.
            purpose: Decide whether the social bar is worth keeping.
            expires: never
          system.boots:
            type: quantity
            category: system
            period: week
            transform: log10
            description: Boots since installation (order of magnitude).
            purpose: Tell new machines from old ones.
            expires: never
        """;

    public const string Events = """
        registry: org.example.machine
        events:
          b02266bc-b010-44b2-ae0f-8f116ffa50eb:
            name: EVENT_DESKTOP_SEARCH
            metric: desktop.searches
            payload: (us)            # provider, query: allowed in, never used
          5fae6179-e108-4962-83be-c909259c0584:
            name: EMTR_EVENT_NETWORK_STATUS_CHANGED
            metric: network.state
            payload: (uu)
            field: 1                 # the new NMState
            values: { "20": disconnected, "40": connecting, "70": connected }
          9c33a734-7ed8-4348-9e39-3c27f4dc2e62:
            name: EMTR_EVENT_SOCIAL_BAR_IS_VISIBLE
            metric: socialbar.visible_seconds
            value: duration
          005096c4-9444-48c6-844b-6cb693c15235:
            name: UPTIME_EVENT
            metric: system.boots
            payload: (xx)
            field: 1
            value: payload
        """;
}
