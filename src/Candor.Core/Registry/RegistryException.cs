namespace Candor.Registry;

/// <summary>
/// A registry file was refused. Carries every problem found, not only the first, so that an author
/// fixes a file in one round instead of one error at a time.
/// </summary>
public sealed class RegistryException : Exception
{
    /// <summary>A refusal listing <paramref name="problems"/>; the message is one problem per line.</summary>
    /// <param name="problems">Every problem found in the file.</param>
    public RegistryException(IEnumerable<RegistryProblem> problems)
        : this(problems.ToArray())
    {
    }

    private RegistryException(RegistryProblem[] problems)
        : base(problems.Length == 0 ? "The registry is invalid." : string.Join('\n', problems))
    {
        Problems = problems;
    }

    /// <summary>The problems, ordered by line and column.</summary>
    public IReadOnlyList<RegistryProblem> Problems { get; }
}
