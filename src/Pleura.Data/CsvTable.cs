using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;

namespace Pleura.Data;

/// <summary>A plain CSV table: header and rows by column name, each row with its line number for messages.</summary>
public sealed class CsvTable
{
    public sealed record Row(int Line, IReadOnlyDictionary<string, string> Values)
    {
        public string this[string column] => Values.TryGetValue(column, out var v) ? v : "";
    }

    CsvTable(string path, IReadOnlyList<string> header, IReadOnlyList<Row> rows, IReadOnlyList<ValidationIssue> problems)
    {
        Path = path;
        Header = header;
        Rows = rows;
        Problems = problems;
    }

    public string Path { get; }
    public IReadOnlyList<string> Header { get; }
    public IReadOnlyList<Row> Rows { get; }
    /// <summary>Rows left out because their field count did not match the header.</summary>
    public IReadOnlyList<ValidationIssue> Problems { get; }

    public static CsvTable Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        var config = new CsvConfiguration(CultureInfo.InvariantCulture) { BadDataFound = null, MissingFieldFound = null, TrimOptions = TrimOptions.Trim };
        using var reader = new StreamReader(path);
        using var csv = new CsvReader(reader, config);
        if (!csv.Read() || !csv.ReadHeader() || csv.HeaderRecord is not { Length: > 0 } header)
            throw new InvalidDataException($"{path}: empty file or no header row");
        var rows = new List<Row>();
        var problems = new List<ValidationIssue>();
        while (csv.Read())
        {
            var fields = csv.Parser.Record ?? Array.Empty<string>();
            if (fields.All(string.IsNullOrWhiteSpace)) continue;
            if (fields.Length != header.Length)
            {
                problems.Add(new ValidationIssue(csv.Parser.RawRow, "", IssueKind.MalformedRow, IssueSeverity.Error,
                    $"row has {fields.Length} fields but the header has {header.Length}; row left out"));
                continue;
            }
            rows.Add(new Row(csv.Parser.RawRow, header.Select((h, i) => (h, fields[i])).ToDictionary(x => x.h, x => x.Item2)));
        }
        return new CsvTable(path, header, rows, problems);
    }

    public void RequireColumns(params string[] columns)
    {
        var missing = columns.Where(c => !Header.Contains(c)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"{Path}: no column {string.Join(", ", missing.Select(m => $"'{m}'"))} (columns: {string.Join(", ", Header)})");
    }
}
