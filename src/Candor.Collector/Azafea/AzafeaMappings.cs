using System.Collections.Frozen;
using Candor.Collector.Registry;
using Candor.Registry.Events;

namespace Candor.Collector.Azafea;

/// <summary>
/// The apps that take Azafea uploads, each with the translator built from its mapping file (the agent's
/// format, docs/linux.md "The mapping file"). An app without one answers 404 on the Azafea route: a
/// collector never guesses what an eos-metrics event means.
/// </summary>
internal sealed class AzafeaMappings(FrozenDictionary<string, AzafeaEventTranslator> byApp)
{
    public static readonly AzafeaMappings None = new(FrozenDictionary<string, AzafeaEventTranslator>.Empty);

    public AzafeaEventTranslator? Find(string app) => byApp.GetValueOrDefault(app);

    /// <summary>Reads every mapping file against the newest loaded version of the registry it names.</summary>
    /// <exception cref="FormatException">A file that cannot be read or used; the message names the file (and line:col).</exception>
    public static AzafeaMappings Load(IEnumerable<string> files, RegistryCatalog catalog)
    {
        var byApp = new Dictionary<string, AzafeaEventTranslator>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            string yaml;
            try
            {
                yaml = File.ReadAllText(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new FormatException($"{file}: {e.Message}");
            }
            var app = EventMapParser.RegistryOf(yaml)
                ?? throw new FormatException($"{file}:1:1: missing 'registry': the app name of the registry these events map into");
            var registries = catalog.Find(app)
                ?? throw new FormatException($"{file}: registry '{app}' is not loaded by this collector (add it with --registry)");
            EventMap map;
            try
            {
                map = EventMapParser.Parse(yaml, file, registries.Latest.Registry);
            }
            catch (EventMapException e)
            {
                throw new FormatException(e.Message);
            }
            // Randomized response happens on the device; a value that arrives in the clear would skew
            // the estimate the publisher makes from the randomized ones.
            if (map.Mappings.FirstOrDefault(m => m.Metric.LocalPrivacy is not null) is { } noisy)
                throw new FormatException($"{file}:{noisy.Line}: metric '{noisy.Metric.Name}' uses local differential privacy, which an Azafea upload (sent in the clear) cannot have");
            if (!byApp.TryAdd(app, new AzafeaEventTranslator(map, registries.Latest.Registry.Version, registries.Version)))
                throw new FormatException($"{file}: a second mapping file for '{app}'; give one per app");
        }
        return new AzafeaMappings(byApp.ToFrozenDictionary(StringComparer.Ordinal));
    }
}
