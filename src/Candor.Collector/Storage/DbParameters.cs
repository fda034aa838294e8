using System.Data.Common;

namespace Candor.Collector.Storage;

/// <summary>Engine-neutral parameters for SQL shared by SQLite and PostgreSQL (each names them in its own way).</summary>
internal static class DbParameters
{
    /// <summary>Adds each (name, value) to <paramref name="cmd"/> as a parameter.</summary>
    public static void AddAll(DbCommand cmd, (string Name, object Value)[] parameters)
    {
        foreach (var (name, value) in parameters)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            p.Value = value;
            cmd.Parameters.Add(p);
        }
    }
}
