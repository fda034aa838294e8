using Candor.Collector.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.Routing;
using Microsoft.OpenApi;

namespace Candor.Collector.Registry;

/// <summary>
/// The <c>{app}</c> route groups' one check: an app no loaded registry has is answered
/// <c>404 unknown-app</c> here, with one detail text for every route, before the handler (and so before
/// a token is checked or a body read). Until this filter existed, seven files built that answer in four
/// variants.
/// </summary>
public static class KnownAppFilter
{
    public static RouteGroupBuilder RequireKnownApp(this RouteGroupBuilder group)
    {
        group.AddEndpointFilter(static (context, next) =>
        {
            var app = KnownApp.Of(context.HttpContext);
            return app.IsKnown ? next(context) : ValueTask.FromResult<object?>(ProblemTypes.UnknownAppNamed(app.Requested));
        });
        return group.WithMetadata(AppParameter).ProducesProblems(ProblemTypes.UnknownApp);
    }

    /// <summary>Marks the endpoints whose <c>{app}</c> this filter resolves (the OpenAPI description below reads it).</summary>
    private static readonly object AppParameter = new KnownAppMetadata();

    private sealed class KnownAppMetadata;

    /// <summary>
    /// Operation transformer: the handlers take a <see cref="KnownApp"/> (bound by BindAsync), which the OpenAPI
    /// generator does not see as the <c>{app}</c> path parameter; describe it as the string it is on the wire.
    /// </summary>
    internal static Task DescribeAppParameterAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        if (!context.Description.ActionDescriptor.EndpointMetadata.OfType<KnownAppMetadata>().Any()
            || operation.Parameters?.Any(p => p.Name == "app" && p.In == ParameterLocation.Path) == true)
            return Task.CompletedTask;
        operation.Parameters ??= [];
        operation.Parameters.Insert(0, new OpenApiParameter
        {
            Name = "app",
            In = ParameterLocation.Path,
            Required = true,
            Description = "The application id, exactly as its registry spells it (case included).",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String },
        });
        return Task.CompletedTask;
    }
}
