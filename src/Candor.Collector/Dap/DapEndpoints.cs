using Candor.Dap;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Candor.Collector.Dap;

/// <summary>
/// DAP-09's resources, mapped when the collector is started with a task file: every check answers with a
/// DAP problem type. Requests between the aggregators, and from the Collector, carry a bearer token
/// compared in constant time; client uploads and HPKE configurations are open, as DAP-09 has them.
/// </summary>
public static class DapEndpoints
{
    /// <summary>Bodies above this are refused before they are read (an aggregation job of <see cref="DapLeader.JobSize"/> reports fits easily).</summary>
    public const int MaxBodyBytes = 1024 * 1024;

    public static void MapDap(this IEndpointRouteBuilder app)
    {
        var dap = app.MapGroup("").ExcludeFromDescription();
        dap.MapGet("/hpke_config", HpkeConfig);
        dap.MapPut("/tasks/{taskId}/reports", async (string taskId, HttpContext http, DapTasks tasks, DapLeader leader) =>
            await WithTask(taskId, DapRole.Leader, http, tasks, DapMediaTypes.Report, auth: null, (t, body) => leader.UploadAsync(t, body, http.RequestAborted)));
        dap.MapPut("/tasks/{taskId}/aggregation_jobs/{jobId}", async (string taskId, string jobId, HttpContext http, DapTasks tasks, DapHelper helper) =>
            await WithTask(taskId, DapRole.Helper, http, tasks, DapMediaTypes.AggregationJobInitReq, t => t.AggregatorAuthToken,
                (t, body) => JobId(jobId, t) is { } job ? helper.InitializeJobAsync(t, job, body, http.RequestAborted) : Task.FromResult(BadJobId(t))));
        dap.MapPost("/tasks/{taskId}/aggregate_shares", async (string taskId, HttpContext http, DapTasks tasks, DapHelper helper) =>
            await WithTask(taskId, DapRole.Helper, http, tasks, DapMediaTypes.AggregateShareReq, t => t.AggregatorAuthToken,
                (t, body) => helper.AggregateShareAsync(t, body, http.RequestAborted)));
        dap.MapPut("/tasks/{taskId}/collection_jobs/{jobId}", async (string taskId, string jobId, HttpContext http, DapTasks tasks, DapLeader leader) =>
            await WithTask(taskId, DapRole.Leader, http, tasks, DapMediaTypes.CollectReq, t => t.CollectorAuthToken,
                (t, body) => JobId(jobId, t) is { } job ? leader.StartCollectionAsync(t, job, body, http.RequestAborted) : Task.FromResult(BadJobId(t))));
        dap.MapPost("/tasks/{taskId}/collection_jobs/{jobId}", async (string taskId, string jobId, HttpContext http, DapTasks tasks, DapLeader leader) =>
            await WithTask(taskId, DapRole.Leader, http, tasks, mediaType: null, t => t.CollectorAuthToken,
                (t, _) => JobId(jobId, t) is { } job ? leader.PollCollectionAsync(t, job, http.RequestAborted) : Task.FromResult(BadJobId(t))));
        dap.MapDelete("/tasks/{taskId}/collection_jobs/{jobId}", async (string taskId, string jobId, HttpContext http, DapTasks tasks, DapStore store) =>
            await WithTask(taskId, DapRole.Leader, http, tasks, mediaType: null, t => t.CollectorAuthToken, async (t, _) =>
            {
                if (JobId(jobId, t) is not { } job)
                    return BadJobId(t);
                await store.DeleteCollectionJobAsync(t.Id, job, http.RequestAborted);
                return Results.NoContent();
            }));
    }

    private static IResult HpkeConfig(HttpContext http, DapTasks tasks)
    {
        var id = http.Request.Query["task_id"].ToString();
        if (id.Length == 0)
            return new DapProblem(400, "missingTaskID", "ask for /hpke_config?task_id=<task id>: each task has its own keys", null);
        var task = tasks.Find(id, DapRole.Leader) ?? tasks.Find(id, DapRole.Helper);
        if (task is null)
            return DapProblem.UnrecognizedTask(TryId(id));
        // DAP-09 asks for long cache lifetimes; a task's keys never change (a new key is a new task).
        http.Response.Headers.CacheControl = "max-age=86400";
        return new DapMessageResult(200, DapMediaTypes.HpkeConfigList, DapHpkeConfigList.Encode(task.HpkeKeys.Select(k => k.Config).ToList()));
    }

    /// <summary>The checks every task resource shares, in the order of the answers: task, token, media type, size.</summary>
    private static async Task<IResult> WithTask(string taskId, DapRole role, HttpContext http, DapTasks tasks, string? mediaType,
        Func<DapTask, string?>? auth, Func<DapTask, byte[], Task<IResult>> handle)
    {
        var task = tasks.Find(taskId, role);
        if (task is null)
            return DapProblem.UnrecognizedTask(TryId(taskId));
        if (auth is not null)
        {
            var header = http.Request.Headers.Authorization.ToString();
            var presented = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..] : null;
            if (!DapTask.TokenMatches(presented, auth(task)))
                return DapProblem.Unauthorized(task.Id);
        }
        var body = Array.Empty<byte>();
        if (mediaType is not null)
        {
            if (!string.Equals(http.Request.ContentType?.Split(';')[0].Trim(), mediaType, StringComparison.OrdinalIgnoreCase))
                return new DapProblem(415, "invalidMessage", $"the body must be {mediaType}", task.Id);
            if (http.Request.ContentLength > MaxBodyBytes)
                return new DapProblem(413, "invalidMessage", $"the body is larger than {MaxBodyBytes} bytes", task.Id);
            using var buffer = new MemoryStream();
            try
            {
                await http.Request.Body.CopyToAsync(buffer, http.RequestAborted);
            }
            catch (Microsoft.AspNetCore.Http.BadHttpRequestException)
            {
                return new DapProblem(413, "invalidMessage", "the body is too large", task.Id);
            }
            if (buffer.Length > MaxBodyBytes)
                return new DapProblem(413, "invalidMessage", $"the body is larger than {MaxBodyBytes} bytes", task.Id);
            body = buffer.ToArray();
        }
        return await handle(task, body);
    }

    private static byte[]? JobId(string text, DapTask task)
    {
        try
        {
            var id = DapTask.FromBase64Url(text);
            return id.Length == 16 ? id : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static IResult BadJobId(DapTask task) => DapProblem.InvalidMessage("a job id is 16 bytes in unpadded base64url", task.Id);

    private static byte[]? TryId(string text)
    {
        try
        {
            var id = DapTask.FromBase64Url(text);
            return id.Length == DapTask.IdSize ? id : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
