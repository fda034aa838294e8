using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Candor.Collector.Api;

/// <summary>The catalogue entries an endpoint can answer, as endpoint metadata (read by the OpenAPI description below).</summary>
public sealed class ProblemTypesMetadata(IReadOnlyList<ProblemType> types)
{
    public IReadOnlyList<ProblemType> Types { get; } = types;
}

/// <summary>
/// Declares an endpoint's problems from the catalogue instead of bare status codes: each status becomes a
/// problem+json response in the OpenAPI document, whose description names every type (and title) the
/// endpoint can answer with that status. A route group's declaration (the unknown app) adds to its endpoints'.
/// </summary>
public static class ProblemResponses
{
    public static TBuilder ProducesProblems<TBuilder>(this TBuilder builder, params ProblemType[] types) where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(new ProblemTypesMetadata(types));
        foreach (var status in types.Select(t => t.Status).Distinct())
            builder.WithMetadata(new ProducesResponseTypeMetadata(status, typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), ["application/problem+json"]));
        return builder;
    }

    /// <summary>Operation transformer: each problem response's description lists its catalogue types.</summary>
    internal static Task DescribeAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var types = context.Description.ActionDescriptor.EndpointMetadata.OfType<ProblemTypesMetadata>()
            .SelectMany(m => m.Types).Distinct().ToList();
        if (operation.Responses is null)
            return Task.CompletedTask;
        foreach (var byStatus in types.GroupBy(t => t.Status))
            if (operation.Responses.TryGetValue(byStatus.Key.ToString(CultureInfo.InvariantCulture), out var response) && response is OpenApiResponse answer)
                answer.Description = string.Join("; ", byStatus.OrderBy(t => t.Type, StringComparer.Ordinal).Select(t => $"{t.Type} ({t.Title})"));
        return Task.CompletedTask;
    }
}
