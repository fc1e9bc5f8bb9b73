using System.Globalization;
using Pleura.Files;
using CsvHelper;

namespace Pleura.Data;

/// <summary>
/// Writes the CSV tables Pleura produces: a header and rows of fields already formatted (<see cref="CsvText.Number"/>
/// for numbers), quoted by CsvHelper where a field needs it, written under a temporary name and renamed when complete
/// (<see cref="AtomicFile"/>), so a table is never half-written and every writer quotes alike.
/// </summary>
public static class CsvOutput
{
    public static void Write(string path, IEnumerable<string> header, IEnumerable<IEnumerable<string?>> rows)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
        AtomicFile.Write(path, temp =>
        {
            using var writer = new StreamWriter(temp);
            using var csv = new CsvWriter(writer, new CsvHelper.Configuration.CsvConfiguration(CultureInfo.InvariantCulture) { NewLine = "\n" });
            foreach (var name in header) csv.WriteField(name);
            csv.NextRecord();
            foreach (var row in rows)
            {
                foreach (var field in row) csv.WriteField(field ?? "");
                csv.NextRecord();
            }
        });
    }

    /// <summary>A whole number as a field (invariant culture); blank when absent.</summary>
    public static string Integer(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "";
}
