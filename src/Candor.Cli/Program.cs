using System.CommandLine;
using Candor.Cli.Commands;
using Candor.Cli.Usage;

var root = new RootCommand("Candor: opt-in, anonymous, transparent application metrics.");
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(IssuerCommand.Create());
root.Subcommands.Add(RegistryCommands.Create());
root.Subcommands.Add(DbCommands.Create());
root.Subcommands.Add(ClientCommands.Create());
root.Subcommands.Add(AgentCommands.Create());
root.Subcommands.Add(KeyCommands.Create());
root.Subcommands.Add(AnnounceCommands.Create());
root.Subcommands.Add(RelayCommand.Create());
root.Subcommands.Add(DapCommands.Create());
root.Subcommands.Add(OhttpCommands.Create());
root.Subcommands.Add(LogCommands.Create());

var parse = root.Parse(args);
// Help and --version win over errors, as before; any other parse error is one line and exit code 2.
bool asksForHelp = parse.Action is System.CommandLine.Help.HelpAction || (args.Length == 1 && args[0] == "--version");
if (!asksForHelp && UsageError.Describe(parse) is { } line)
    return UsageError.Report(line, Console.Error);
return await parse.InvokeAsync();
