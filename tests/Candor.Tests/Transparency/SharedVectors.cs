using System.Runtime.CompilerServices;

namespace Candor.Tests.Transparency;

/// <summary>
/// The public conformance vectors the transparency tests read, vendored beside this file in
/// <c>Vectors/</c> (provenance in its README). Nothing is read from outside the clone.
/// </summary>
internal static class SharedVectors
{
    public static string Folder(string first, params string[] rest) => Resolve([first, .. rest]);

    private static string Resolve(string[] parts, [CallerFilePath] string source = "")
    {
        var root = Path.GetDirectoryName(source)!;
        var path = parts[0] == "wycheproof"
            ? Path.Combine([root, "..", "Announcements", "Vectors", .. parts[1..]])
            : Path.Combine([root, "Vectors", .. parts]);
        // Missing vectors must fail the run, never pass it by testing nothing.
        if (!Directory.Exists(path) && !File.Exists(path))
            throw new InvalidOperationException("Conformance vectors missing: " + path);
        return Path.GetFullPath(path);
    }
}
