using Candor.Dap;
using Microsoft.AspNetCore.Http;

namespace Candor.Collector.Dap;

/// <summary>
/// DAP-09's errors as RFC 9457 problem documents: the type in the DAP URN namespace
/// (urn:ietf:params:ppm:dap:error:...), the detail for a human, and the task id as "taskid".
/// </summary>
internal sealed class DapProblem(int status, string type, string detail, byte[]? task) : IResult
{
    public int Status => status;
    public string Type => DapHttp.ErrorPrefix + type;

    public static DapProblem InvalidMessage(string detail, byte[]? task) => new(400, "invalidMessage", detail, task);
    public static DapProblem UnrecognizedTask(byte[]? task) => new(404, "unrecognizedTask", "This aggregator has no such task in this role.", task);
    public static DapProblem Unauthorized(byte[] task) => new(403, "unauthorizedRequest", "The bearer token is missing or wrong.", task);

    /// <summary>
    /// Decodes a request body for <paramref name="task"/>: the message, or the <c>invalidMessage</c> problem to
    /// answer when it is malformed or, with <paramref name="aggregationParameter"/>, carries a non-empty
    /// aggregation parameter (Prio3 takes none).
    /// </summary>
    public static DapProblem? TryDecode<T>(DapTask task, byte[] body, Decoder<T> decode, Func<T, byte[]>? aggregationParameter, out T message)
    {
        try
        {
            message = decode(body);
        }
        catch (DapDecodeException e)
        {
            message = default!;
            return InvalidMessage(e.Message, task.Id);
        }
        if (aggregationParameter is not null && aggregationParameter(message).Length != 0)
            return InvalidMessage("Prio3 takes an empty aggregation parameter", task.Id);
        return null;
    }

    /// <summary>A DAP message's decoder (the messages' static <c>Decode</c>).</summary>
    public delegate T Decoder<out T>(ReadOnlySpan<byte> bytes);

    public Task ExecuteAsync(HttpContext http)
    {
        http.Response.StatusCode = status;
        var problem = new Dictionary<string, object?>
        {
            ["type"] = Type,
            ["title"] = type,
            ["status"] = status,
            ["detail"] = detail,
        };
        if (task is not null)
            problem["taskid"] = DapTask.Base64Url(task);
        return http.Response.WriteAsJsonAsync(problem, (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json");
    }
}

/// <summary>A DAP message as a response body with its media type.</summary>
public sealed class DapMessageResult(int status, string mediaType, byte[] body) : IResult
{
    public async Task ExecuteAsync(HttpContext http)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = mediaType;
        http.Response.ContentLength = body.Length;
        await http.Response.Body.WriteAsync(body, http.RequestAborted);
    }
}
