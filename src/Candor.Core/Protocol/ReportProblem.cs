namespace Candor.Protocol;

/// <summary>
/// Why one report of a batch was refused. <see cref="Index"/> is the report's position in
/// <c>reports</c>, or -1 for a problem with the batch itself (its <c>schema</c>, <c>period</c>, shape).
/// </summary>
internal sealed record ReportProblem(int Index, string? Metric, string Field, string Reason);
