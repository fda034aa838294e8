using System.Text;
using Microsoft.Data.Sqlite;

namespace Candor.Tests.Infrastructure;

/// <summary>Reads a SQLite database's whole content (every table, every row, in key order) as text.</summary>
public static class DatabaseContent
{
    public static string Dump(string path)
    {
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        c.Open();
        var tables = new List<string>();
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name;";
            using var r = cmd.ExecuteReader();
            while (r.Read()) tables.Add(r.GetString(0));
        }
        var sb = new StringBuilder();
        foreach (var t in tables)
        {
            sb.Append("## ").AppendLine(t);
            using var cmd = c.CreateCommand();
            cmd.CommandText = $"SELECT * FROM \"{t}\" ORDER BY {Columns(path, t).Count switch { >= 3 => "1, 2, 3", 2 => "1, 2", _ => "1" }};";
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                for (int i = 0; i < r.FieldCount; i++)
                {
                    var v = r.GetValue(i);
                    sb.Append(v is byte[] b ? Convert.ToHexString(b) : v?.ToString()).Append('|');
                }
                sb.AppendLine();
            }
        }
        return sb.ToString();
    }

    public static List<string> Columns(string path, string table)
    {
        using var c = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT name FROM pragma_table_info('{table}') ORDER BY cid;";
        using var r = cmd.ExecuteReader();
        var list = new List<string>();
        while (r.Read()) list.Add(r.GetString(0));
        return list;
    }
}
