namespace Candor.Collector.Dashboard;

/// <summary>A rendered response body with what is needed to send it again.</summary>
public sealed record CachedPage(string Body, string ContentType, int Status = 200);
