using System.Buffers.Text;
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;

namespace Candor.Collector.Api;

/// <summary>
/// The 202 answer, <c>{"accepted":n,"next_report_after_seconds":s}</c>, written straight into the
/// response pipe: it is sent once per stored batch, so it skips the JSON serializer. As a typed
/// result it describes itself (202, <see cref="AcceptedAnswer"/> as JSON) to the OpenAPI document.
/// </summary>
public sealed class AcceptedResult(AcceptedAnswer answer) : IResult, IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status202Accepted, typeof(AcceptedAnswer), ["application/json"]));

    private static readonly byte[] Head = "{\"accepted\":"u8.ToArray();
    private static readonly byte[] Middle = ",\"next_report_after_seconds\":"u8.ToArray();

    public AcceptedAnswer Answer { get; } = answer;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status202Accepted;
        response.ContentType = "application/json; charset=utf-8";
        var span = response.BodyWriter.GetSpan(96);
        Head.CopyTo(span);
        int n = Head.Length;
        Utf8Formatter.TryFormat(Answer.Accepted, span[n..], out int w);
        n += w;
        Middle.CopyTo(span[n..]);
        n += Middle.Length;
        Utf8Formatter.TryFormat(Answer.NextReportAfterSeconds, span[n..], out w);
        n += w;
        span[n++] = (byte)'}';
        response.ContentLength = n;
        response.BodyWriter.Advance(n);
        return response.BodyWriter.FlushAsync().AsTask();
    }
}
