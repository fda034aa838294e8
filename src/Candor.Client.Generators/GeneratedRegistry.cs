namespace Candor.Client.Generators;

/// <summary>A problem to report at the registry's line and column (1-based, as the parser gives them).</summary>
internal sealed record ProblemAt(string DescriptorId, string Path, int Line, int Column, string Message);

/// <summary>What one registry file becomes: a source file (null when the registry is invalid) and the problems found.</summary>
internal sealed record GeneratedRegistry(string HintName, string? Source, IReadOnlyList<ProblemAt> Problems, string? Text);
