namespace Candor.Tests.Transparency;

/// <summary>The public conformance vectors, read from <c>../shared/vectors</c> beside the repository root.</summary>
internal static class SharedVectors
{
    public static string Folder(params string[] parts)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Candor.slnx")))
            dir = dir.Parent;
        if (dir?.Parent is null)
            throw new InvalidOperationException("Candor.slnx not found above " + AppContext.BaseDirectory);
        var path = Path.Combine([dir.Parent.FullName, "shared", "vectors", .. parts]);
        // Missing vectors must fail the run, never pass it by testing nothing.
        if (!Directory.Exists(path) && !File.Exists(path))
            throw new InvalidOperationException("Conformance vectors missing: " + path);
        return path;
    }
}
