using System.Text.Json;

namespace Candor.Dap;

/// <summary>A DAP peer answered with an error; <see cref="Type"/> is its problem type (urn:ietf:params:ppm:dap:error:...) if it sent one.</summary>
internal sealed class DapProtocolException(string? type, string message, int? status = null) : Exception(message)
{
    public string? Type { get; } = type;
    public int? Status { get; } = status;

    /// <summary>The short DAP error name (invalidMessage, reportRejected...) or null.</summary>
    public string? ShortType => Type is { } t && t.StartsWith(DapHttp.ErrorPrefix, StringComparison.Ordinal) ? t[DapHttp.ErrorPrefix.Length..] : null;
}

internal static class DapHttp
{
    public const string ErrorPrefix = "urn:ietf:params:ppm:dap:error:";

    public static async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
            return;
        string? type = null, detail = null;
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            using var problem = JsonDocument.Parse(body);
            type = problem.RootElement.TryGetProperty("type", out var t) ? t.GetString() : null;
            detail = problem.RootElement.TryGetProperty("detail", out var d) ? d.GetString() : null;
        }
        catch (JsonException)
        {
            // Not a problem document (a proxy's error page): the status alone has to do.
        }
        throw new DapProtocolException(type, $"{what}: {(int)response.StatusCode} {type ?? ""} {detail ?? ""}".TrimEnd(), (int)response.StatusCode);
    }
}
