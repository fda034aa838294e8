using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Candor.Dap;

namespace Candor.Cli.Commands;

/// <summary>
/// <c>candor dap task|collect</c>: provision a DAP-09 task (the Leader's, the Helper's and the Collector's
/// files, with fresh ids, keys and tokens), and collect a batch as the Collector (docs/dap.md).
/// </summary>
public static class DapCommands
{
    public static Command Create()
    {
        var command = new Command("dap", "Split-trust aggregation with DAP-09 and Prio3 (docs/dap.md).");
        command.Subcommands.Add(Task());
        command.Subcommands.Add(Collect());
        return command;
    }

    private static Command Task()
    {
        var leader = new Option<string>("--leader") { Description = "The Leader's base URL.", Required = true };
        var helper = new Option<string>("--helper") { Description = "The Helper's base URL.", Required = true };
        var vdaf = new Option<string>("--vdaf") { Description = "The VDAF as JSON, e.g. '{\"type\":\"histogram\",\"length\":16,\"chunkLength\":4}'.", Required = true };
        var precision = new Option<ulong>("--time-precision") { Description = "Seconds that report times are rounded to (default 3600).", DefaultValueFactory = _ => 3600 };
        var minBatch = new Option<ulong>("--min-batch-size") { Description = "The fewest reports a collected batch may hold.", Required = true };
        var output = new Option<string>("--out") { Description = "Folder to write leader-tasks.json, helper-tasks.json and collector.json to (created; files are 0600).", Required = true };
        var command = new Command("task", "Create a new task: the Leader's and the Helper's task files and the Collector's credentials.") { leader, helper, vdaf, precision, minBatch, output };
        command.SetAction(parse =>
        {
            try
            {
                if (!Uri.TryCreate(parse.GetValue(leader), UriKind.Absolute, out var leaderUri) || !Uri.TryCreate(parse.GetValue(helper), UriKind.Absolute, out var helperUri))
                    throw new FormatException("--leader and --helper must be absolute URLs");
                if (parse.GetValue(precision) == 0 || parse.GetValue(minBatch) == 0)
                    throw new FormatException("--time-precision and --min-batch-size must be at least 1");
                JsonNode? spec;
                try
                {
                    spec = JsonNode.Parse(parse.GetValue(vdaf)!);
                }
                catch (JsonException e)
                {
                    throw new FormatException($"--vdaf is not JSON: {e.Message}");
                }
                DapVdaf.Parse(spec); // the same check the aggregators make at start-up
                var (leaderTask, helperTask, collector) = DapTaskProvisioner.Create(leaderUri, helperUri, spec!, parse.GetValue(precision), parse.GetValue(minBatch));
                var folder = parse.GetValue(output)!;
                Directory.CreateDirectory(folder);
                // Each file holds a private key or a token: readable by their owner only.
                Write(Path.Combine(folder, "leader-tasks.json"), DapTaskFile.Write([leaderTask]));
                Write(Path.Combine(folder, "helper-tasks.json"), DapTaskFile.Write([helperTask]));
                Write(Path.Combine(folder, "collector.json"), collector.ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                // Public parts only: the block a registry's split-trust metric carries (docs/registry.md, "Split trust").
                File.WriteAllText(Path.Combine(folder, "registry-split-trust.yaml"), RegistryBlock(leaderTask, helperTask));
                Console.WriteLine($"task {leaderTask.IdText}: give helper-tasks.json to the Helper's operator, keep collector.json with the Collector, "
                    + "and paste registry-split-trust.yaml under the metric in the registry.");
                return 0;
            }
            catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"candor dap task: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    private static void Write(string path, string text)
    {
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, text);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temporary, path, overwrite: true);
    }

    private static Command Collect()
    {
        var credentials = new Option<string>("--collector") { Description = "The Collector's file from 'candor dap task'.", Required = true };
        var start = new Option<ulong>("--start") { Description = "The batch interval's start, in seconds since the UNIX epoch (a multiple of the time precision).", Required = true };
        var duration = new Option<ulong>("--duration") { Description = "The batch interval's length in seconds (a multiple of the time precision).", Required = true };
        var attempts = new Option<int>("--attempts") { Description = "Polls before giving up while the batch is short of its minimum size (default 30, one a second).", DefaultValueFactory = _ => 30 };
        var command = new Command("collect", "Collect a batch from the Leader and print the aggregate, its report count and interval.") { credentials, start, duration, attempts };
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                var collector = DapCollectorCredentials.Parse(File.ReadAllText(parse.GetValue(credentials)!));
                using var http = new HttpClient();
                var interval = new DapInterval(parse.GetValue(start), parse.GetValue(duration));
                var result = await new DapCollectorClient(http, collector).CollectAsync(interval, parse.GetValue(attempts), cancellationToken: cancellationToken);
                Console.WriteLine(new JsonObject
                {
                    ["aggregate"] = result.Aggregate,
                    ["reports"] = result.ReportCount,
                    ["start"] = result.Interval.Start,
                    ["duration"] = result.Interval.Duration,
                }.ToJsonString());
                return 0;
            }
            catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException or DapProtocolException or HttpRequestException
                or System.Security.Cryptography.CryptographicException)
            {
                Console.Error.WriteLine($"candor dap collect: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    private static string RegistryBlock(DapTask leader, DapTask helper)
    {
        var spec = leader.Vdaf.Spec;
        var vdaf = spec["type"]!.GetValue<string>() == "count"
            ? "{ type: count }"
            : $"{{ type: {spec["type"]}, length: {spec["length"]}, chunk_length: {spec["chunkLength"]} }}";
        return $"""
                split_trust:
                  task_id: {leader.IdText}
                  leader: {leader.Leader}
                  helper: {leader.Helper}
                  leader_hpke_config: {DapTask.Base64Url(leader.HpkeKeys[0].Config.Encode())}
                  helper_hpke_config: {DapTask.Base64Url(helper.HpkeKeys[0].Config.Encode())}
                  vdaf: {vdaf}

            """;
    }
}
