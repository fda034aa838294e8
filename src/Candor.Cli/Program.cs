using System.CommandLine;
using Candor.Cli.Commands;

var root = new RootCommand("Candor: opt-in, anonymous, transparent application metrics.");
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(IssuerCommand.Create());
root.Subcommands.Add(RegistryCommands.Create());
root.Subcommands.Add(DbCommands.Create());
root.Subcommands.Add(ClientCommands.Create());
root.Subcommands.Add(KeyCommands.Create());
root.Subcommands.Add(AnnounceCommands.Create());
root.Subcommands.Add(RelayCommand.Create());
root.Subcommands.Add(OhttpCommands.Create());
root.Subcommands.Add(LogCommands.Create());
return await root.Parse(args).InvokeAsync();
