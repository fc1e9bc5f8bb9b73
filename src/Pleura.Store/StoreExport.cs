using System.Globalization;
using System.Text;
using Pleura.Files;
using Parquet;
using Parquet.Data;
using Parquet.Schema;

namespace Pleura.Store;

/// <summary>`pleura study export`: every table of the store as CSV or Parquet files.</summary>
public static class StoreExport
{
    public static IReadOnlyList<string> Write(SqlExperimentStore store, string folder, string format)
    {
        Directory.CreateDirectory(folder);
        var written = new List<string>();
        foreach (var table in SqlExperimentStore.Tables)
        {
            var (columns, rows) = store.Table(table);
            string path = Path.Combine(folder, $"{table}.{format}");
            switch (format)
            {
                case "csv": WriteCsv(path, columns, rows); break;
                case "parquet": WriteParquet(path, columns, rows).GetAwaiter().GetResult(); break;
                default: throw new ArgumentException($"export format '{format}' must be csv or parquet");
            }
            written.Add(path);
        }
        return written;
    }

    static string Cell(object? value) => value switch
    {
        null => "",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    static readonly System.Buffers.SearchValues<char> NeedsQuotes = System.Buffers.SearchValues.Create(",\"\n\r");

    static void WriteCsv(string path, IReadOnlyList<string> columns, IReadOnlyList<object?[]> rows)
    {
        static string Quote(string s) => s.AsSpan().IndexOfAny(NeedsQuotes) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
        var text = new StringBuilder(string.Join(',', columns)).Append('\n');
        foreach (var row in rows) text.Append(string.Join(',', row.Select(v => Quote(Cell(v))))).Append('\n');
        AtomicFile.WriteAllText(path, text.ToString());
    }

    /// <summary>Numeric columns as doubles (NaN where empty), the rest as strings (SQLite's dynamic types, made explicit).</summary>
    static async Task WriteParquet(string path, IReadOnlyList<string> columns, IReadOnlyList<object?[]> rows)
    {
        bool Numeric(int c) => rows.Count > 0 && rows.All(r => r[c] is null or long or int or double);
        var fields = columns.Select((name, c) => Numeric(c) ? (DataField)new DataField<double>(name) : new DataField<string>(name)).ToList();
        var schema = new ParquetSchema(fields.Cast<Field>().ToArray());
        // Built in memory, then written whole: an interrupted export never leaves a truncated file.
        using var stream = new MemoryStream();
        await using (var writer = await ParquetWriter.CreateAsync(schema, stream))
        {
            using var group = writer.CreateRowGroup();
            for (int c = 0; c < columns.Count; c++)
            {
                if (fields[c] is DataField<string> text)
                    await group.WriteAsync(text, rows.Select(r => r[c] is null ? null : Cell(r[c])).ToArray());
                else
                    await group.WriteAsync((DataField<double>)fields[c], new ReadOnlyMemory<double>(rows.Select(r => r[c] is null ? double.NaN : Convert.ToDouble(r[c], CultureInfo.InvariantCulture)).ToArray()));
            }
        }
        AtomicFile.WriteAllBytes(path, stream.ToArray());
    }
}
