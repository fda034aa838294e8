using System.Collections;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace Candor.Collector.Hosting;

/// <summary>
/// Finds settings that no <see cref="CollectorOptions"/> property takes. The configuration binder
/// ignores them silently, so a typo such as <c>CANDOR_RateLimitPerAdressPerSecond=0</c> started a
/// collector with the limit still on; each one is named instead, with the setting it most likely meant.
/// </summary>
public static class UnknownSettings
{
    /// <summary>
    /// Every unknown key under <paramref name="root"/>, as a message with <paramref name="display"/>
    /// turning a configuration path ("Apps:x:RetentionDays") into what the operator wrote.
    /// </summary>
    /// <param name="ignoreForeign">
    /// For environment variables: names in capitals (<c>CANDOR_TEST_POSTGRES</c>, <c>CANDOR_POLICY_FILE</c>)
    /// belong to other Candor tools and are skipped, unless they are one typo away from a setting.
    /// </param>
    public static IReadOnlyList<string> Find(IConfiguration root, Func<string, string> display, bool ignoreForeign = false)
    {
        var problems = new List<string>();
        Check(root, typeof(CollectorOptions), display, ignoreForeign, problems);
        return problems;
    }

    private static void Check(IConfiguration section, Type type, Func<string, string> display, bool ignoreForeign, List<string> problems)
    {
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).ToArray();
        foreach (var child in section.GetChildren())
        {
            var property = properties.FirstOrDefault(p => p.Name.Equals(child.Key, StringComparison.OrdinalIgnoreCase));
            if (property is null)
            {
                var close = Closest(child.Key, properties.Select(p => p.Name));
                if (ignoreForeign && close is null && IsForeign(child.Key))
                    continue;
                problems.Add($"unknown setting {display(child.Path)}" +
                    (close is null ? $"; settings are {string.Join(", ", properties.Select(p => p.Name).Order(StringComparer.Ordinal))}." : $" (did you mean {display(ReplaceLast(child.Path, close))}?)"));
                continue;
            }
            var t = property.PropertyType;
            if (t == typeof(Dictionary<string, AppOptions>))
            {
                foreach (var app in child.GetChildren())
                    Check(app, typeof(AppOptions), display, false, problems);
            }
            else if (t != typeof(string) && typeof(IEnumerable).IsAssignableFrom(t))
            {
                foreach (var item in child.GetChildren().Where(i => !int.TryParse(i.Key, out _)))
                    problems.Add($"unknown setting {display(item.Path)}: {property.Name} is a list (give {display(child.Path + ":0")}, {display(child.Path + ":1")}, ...).");
            }
            else if (IsSection(t))
            {
                // A nested settings object (PrivacyPass:KeyDirectory): its keys are checked against its own properties.
                Check(child, t, display, false, problems);
            }
            else if (child.GetChildren().Any())
            {
                problems.Add($"{display(child.Path)} is a single value, not a section.");
            }
        }
    }

    private static bool IsSection(Type t) =>
        t.IsClass && t != typeof(string) && t != typeof(Uri) && !typeof(IEnumerable).IsAssignableFrom(t)
        && t.GetConstructor(Type.EmptyTypes) is not null;

    private static bool IsForeign(string key) => key.All(c => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c) || c == '_');

    private static string ReplaceLast(string path, string key)
    {
        int i = path.LastIndexOf(':');
        return i < 0 ? key : path[..(i + 1)] + key;
    }

    /// <summary>The setting a typo most likely meant: at most three edits away, ignoring case and '_'.</summary>
    private static string? Closest(string key, IEnumerable<string> names)
    {
        string normal = Normal(key);
        string? best = null;
        int bestDistance = 4;
        foreach (var name in names)
        {
            int d = EditDistance(normal, Normal(name));
            if (d < bestDistance)
                (best, bestDistance) = (name, d);
        }
        return best;
    }

    private static string Normal(string s) => s.Replace("_", "", StringComparison.Ordinal).ToLowerInvariant();

    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
            previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
