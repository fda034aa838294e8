using Candor.Agent.DBus;
using Candor.Registry.Events;
using Candor.Registry;

namespace Candor.Tests.Agent;

/// <summary>The mapping file is the device half of the allowlist: a mistake in it is refused at start-up, at file:line:col.</summary>
public sealed class EventMapParserTests
{
    private static readonly MetricRegistry Registry = AgentUnderTest.Registry;

    private static string One(string entry) => $"""
        registry: org.example.machine
        events:
          b02266bc-b010-44b2-ae0f-8f116ffa50eb:
        {entry}
        """;

    [Fact]
    public void The_test_mapping_maps_every_event_to_its_metric()
    {
        var map = EventMapParser.Parse(AgentRegistries.Events, "events.yaml", Registry);

        Assert.Equal(4, map.Mappings.Count);
        var network = map.Find(AgentRegistries.NetworkStatus)!;
        Assert.Equal("network.state", network.Metric.Name);
        Assert.Equal("(uu)", network.PayloadType);
        Assert.Equal(1, network.Field);
        Assert.Equal("connected", network.Values["70"]);
        Assert.Null(map.Find(AgentRegistries.KnowledgeSearch));
    }

    [Theory]
    [InlineData("    metric: no.such.metric", "events.yaml:4:13: metric 'no.such.metric' is not in registry 'org.example.machine'")]
    [InlineData("    metric: desktop.searches\n    payload: (us", "events.yaml:5:14: '(us' is not a GVariant type string")]
    [InlineData("    metric: network.state\n    payload: (uu)\n    field: 1\n    values: { \"70\": online }", "events.yaml:7:21: 'online' is not an allowed value of enum 'network.state'")]
    [InlineData("    metric: network.state\n    payload: u\n    field: 0", "events.yaml:6:12: 'field: 0' needs a tuple 'payload'")]
    [InlineData("    metric: network.state\n    payload: (uu)", "payload '(uu)' is a tuple: name the member with 'field'")]
    [InlineData("    metric: desktop.searches\n    value: duration", "a counter counts occurrences; 'value: duration' does not apply")]
    [InlineData("    metric: system.boots", "a quantity needs 'value: payload', 'count' or 'duration'")]
    [InlineData("    metric: system.boots\n    value: payload", "'value: payload' needs the event's 'payload' type")]
    [InlineData("    metric: candor.active", "metric 'candor.active' is Candor's own")]
    [InlineData("    metric: desktop.searches\n    payload_type: s", "events.yaml:5:5: unknown key 'payload_type'")]
    public void A_bad_mapping_is_refused_with_its_position(string entry, string expected)
    {
        var e = Assert.Throws<EventMapException>(() => EventMapParser.Parse(One(entry), "events.yaml", Registry));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_mapping_for_another_registry_or_with_a_bad_uuid_is_refused()
    {
        var e = Assert.Throws<EventMapException>(() => EventMapParser.Parse("""
            registry: org.example.other
            events:
              not-a-uuid:
                metric: desktop.searches
            """, "events.yaml", Registry));

        Assert.Contains("events.yaml:1:11: this mapping is for registry 'org.example.other', but the agent's registry is 'org.example.machine'", e.Message);
        Assert.Contains("events.yaml:3:3: 'not-a-uuid' is not an event UUID", e.Message);
    }

    [Theory]
    [InlineData("s", true)]
    [InlineData("(uu)", true)]
    [InlineData("a{ss}", true)]
    [InlineData("a(xbv)", true)]
    [InlineData("(us", false)]
    [InlineData("a{vs}", false)]
    [InlineData("uu", false)]
    [InlineData("", false)]
    [InlineData("z", false)]
    public void GVariant_type_strings_are_checked(string type, bool valid) => Assert.Equal(valid, GVariantType.IsValid(type));
}
