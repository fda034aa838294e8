using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Candor.Collector.Registry;

/// <summary>
/// The app a request's <c>{app}</c> route value names, looked up in the <see cref="RegistryCatalog"/> once
/// per request. Route groups over <c>{app}</c> answer an unknown app with the one <c>unknown-app</c>
/// problem before any handler runs (<see cref="KnownAppFilter"/>), so a handler that takes a
/// <see cref="KnownApp"/> holds an app this collector collects for and never looks it up again.
/// </summary>
internal sealed class KnownApp
{
    private const string ItemKey = "Candor.KnownApp";
    private readonly AppRegistries? _registries;

    private KnownApp(string requested, AppRegistries? registries)
    {
        Requested = requested;
        _registries = registries;
    }

    /// <summary>The route value as the client sent it (echoed, cut short, in the unknown-app answer).</summary>
    internal string Requested { get; }

    internal bool IsKnown => _registries is not null;

    /// <summary>Every registry version of the app.</summary>
    public AppRegistries Registries => _registries
        ?? throw new InvalidOperationException($"{nameof(KnownAppFilter)} answers an unknown app before a handler runs; this endpoint is outside an {{app}} group that has it.");

    /// <summary>The app id, exactly as its registry spells it (ids match case-sensitively, so also as requested).</summary>
    public string Name => Registries.App;

    /// <summary>Minimal-API binding: parameter binding runs before endpoint filters, so both share one lookup.</summary>
    public static ValueTask<KnownApp?> BindAsync(HttpContext http) => ValueTask.FromResult<KnownApp?>(Of(http));

    internal static KnownApp Of(HttpContext http)
    {
        if (http.Items.TryGetValue(ItemKey, out var cached) && cached is KnownApp known)
            return known;
        var requested = http.GetRouteValue("app") as string ?? "";
        known = new KnownApp(requested, http.RequestServices.GetRequiredService<RegistryCatalog>().Find(requested));
        http.Items[ItemKey] = known;
        return known;
    }
}
