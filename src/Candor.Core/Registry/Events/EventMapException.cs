namespace Candor.Registry.Events;

/// <summary>The event mapping file was refused; the message names file:line:col of every problem.</summary>
internal sealed class EventMapException(IReadOnlyList<string> problems)
    : Exception(string.Join('\n', problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
