using Microsoft.Extensions.Options;

namespace Candor.Collector.Hosting;

/// <summary>
/// The start-up check of <see cref="CollectorOptions"/> (registered with <c>ValidateOnStart</c>): every
/// problem at once, each naming its setting, so that an operator fixes them in one go rather than
/// meeting them one restart at a time, or later as odd behaviour.
/// </summary>
public sealed class CollectorOptionsValidator : IValidateOptions<CollectorOptions>
{
    public ValidateOptionsResult Validate(string? name, CollectorOptions options) =>
        options.Validate() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;

    /// <summary>
    /// The collector is built from one <see cref="CollectorOptions"/> instance (the one <c>candor serve</c>
    /// loaded); the options system gets a copy of it, so that <c>ValidateOnStart</c> checks the same values.
    /// </summary>
    internal static void CopyTo(CollectorOptions from, CollectorOptions to)
    {
        foreach (var property in typeof(CollectorOptions).GetProperties())
            if (property.CanWrite)
                property.SetValue(to, property.GetValue(from));
    }
}
