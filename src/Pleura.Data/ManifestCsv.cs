using System.Globalization;
using Pleura.Files;
using CsvHelper;
using CsvHelper.Configuration;


namespace Pleura.Data;

/// <summary>Reads a user's CSV (with a column mapping) or a Pleura manifest, and writes manifests.</summary>
public static class ManifestCsv
{
    /// <summary>
    /// Reads a table into a manifest. Rows that cannot be parsed (wrong number of fields) are reported in
    /// <paramref name="report"/> with their line and left out; values that cannot be parsed (an age that is not a
    /// number) are reported and left blank. Relative image paths are resolved against <paramref name="imageRoot"/>
    /// (default: the table's folder).
    /// </summary>
    public static Manifest Read(string csvPath, ValidationReport report, ColumnMapping? mapping = null, string? imageRoot = null)
    {
        mapping ??= ColumnMapping.Identity;
        if (!File.Exists(csvPath)) throw new FileNotFoundException($"{csvPath}: file not found", csvPath);
        CheckText(csvPath);
        var config = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            BadDataFound = null, // a stray quote is kept as text rather than thrown
            MissingFieldFound = null,
            DetectColumnCountChanges = false,
            TrimOptions = TrimOptions.Trim,
        };
        using var reader = new StreamReader(csvPath);
        using var csv = new CsvReader(reader, config);
        if (!csv.Read() || !csv.ReadHeader() || csv.HeaderRecord is null || csv.HeaderRecord.Length == 0)
            throw new InvalidDataException($"{csvPath}: empty file or no header row");
        var header = csv.HeaderRecord;

        // Where each of our standard columns sits in their header.
        var index = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var ours in ManifestColumns.Standard)
        {
            int i = Array.FindIndex(header, h => string.Equals(h, mapping.TheirName(ours), StringComparison.OrdinalIgnoreCase));
            if (i >= 0) index[ours] = i;
        }
        foreach (var (ours, theirs) in mapping.Pairs)
        {
            if (!header.Any(h => string.Equals(h, theirs, StringComparison.OrdinalIgnoreCase)))
                report.Add(new ValidationIssue(1, "", IssueKind.MissingColumn, IssueSeverity.Error,
                    $"mapping {ours}={theirs}: the table has no column '{theirs}' (its columns: {string.Join(", ", header)})"));
        }
        if (!index.ContainsKey(ManifestColumns.Path) && !index.ContainsKey(ManifestColumns.ImageId))
            throw new InvalidDataException($"{csvPath}: no '{mapping.TheirName(ManifestColumns.Path)}' or '{mapping.TheirName(ManifestColumns.ImageId)}' column; " +
                                           $"map yours with e.g. path=Filename (columns found: {string.Join(", ", header)})");

        var standardPositions = index.Values.ToHashSet();
        var extras = Enumerable.Range(0, header.Length)
            .Where(i => !standardPositions.Contains(i))
            .Select(i => (Index: i, Name: mapping.OurName(header[i])))
            .ToList();

        var rows = new List<ManifestRow>();
        while (csv.Read())
        {
            int line = csv.Parser.RawRow;
            var fields = csv.Parser.Record ?? Array.Empty<string>();
            if (fields.All(string.IsNullOrWhiteSpace)) continue; // blank line
            string Field(string ours) => index.TryGetValue(ours, out var i) && i < fields.Length ? fields[i] : "";
            var imageId = Field(ManifestColumns.ImageId);
            var path = Field(ManifestColumns.Path);
            if (imageId.Length == 0 && path.Length > 0) imageId = System.IO.Path.GetFileNameWithoutExtension(path);
            if (fields.Length != header.Length)
            {
                report.Add(new ValidationIssue(line, imageId, IssueKind.MalformedRow, IssueSeverity.Error,
                    $"row has {fields.Length} fields but the header has {header.Length}; row left out"));
                continue;
            }
            if (path.Length == 0) path = imageId; // an id-only table names files by id

            double? age = null;
            var ageText = Field(ManifestColumns.Age);
            if (ageText.Length > 0)
            {
                if (double.TryParse(ageText, NumberStyles.Float, CultureInfo.InvariantCulture, out var a) && a >= 0 && a < 150) age = a;
                else report.Add(new ValidationIssue(line, imageId, IssueKind.InvalidValue, IssueSeverity.Warning,
                    $"age '{ageText}' is not a number of years; left blank"));
            }

            rows.Add(new ManifestRow
            {
                ImageId = imageId,
                Path = path,
                PatientId = Field(ManifestColumns.PatientId),
                Accession = Field(ManifestColumns.Accession),
                StudyDate = Field(ManifestColumns.StudyDate),
                View = Field(ManifestColumns.View),
                Age = age,
                Sex = Field(ManifestColumns.Sex),
                Race = Field(ManifestColumns.Race),
                CovidStatus = Field(ManifestColumns.CovidStatus),
                PatientStatus = Field(ManifestColumns.PatientStatus),
                Extra = extras.ToDictionary(e => e.Name, e => fields[e.Index]),
                SourceLine = line,
            });
        }
        var root = imageRoot ?? System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(csvPath))!;
        return new Manifest(rows, extras.Select(e => e.Name).ToList(), root);
    }

    /// <summary>A binary file (an image, a zip) given where a table belongs is named as such, not echoed as "columns".</summary>
    static void CheckText(string csvPath)
    {
        var head = new byte[4096];
        int n;
        using (var stream = File.OpenRead(csvPath)) n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        var bytes = head.AsSpan(0, n);
        int control = 0;
        foreach (var b in bytes) if (b < 32 && b is not ((byte)'\t' or (byte)'\r' or (byte)'\n')) control++;
        // Text in any 8-bit encoding has no NUL and few control characters.
        if (bytes.Contains((byte)0) || control > n / 20)
            throw new InvalidDataException($"{csvPath}: not a CSV text file (it holds binary data)");
    }

    /// <summary>The column names of the table's header row, trimmed (compare them case-insensitively).</summary>
    public static IReadOnlySet<string> Columns(string csvPath)
    {
        if (!File.Exists(csvPath)) throw new FileNotFoundException($"{csvPath}: file not found", csvPath);
        using var reader = new StreamReader(csvPath);
        using var csv = new CsvReader(reader, new CsvConfiguration(CultureInfo.InvariantCulture) { BadDataFound = null });
        var header = csv.Read() && csv.ReadHeader() ? csv.HeaderRecord! : Array.Empty<string>();
        return header.Select(h => h.Trim()).ToHashSet(StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Writes the manifest with Pleura's column names: standard columns first, then the extras.</summary>
    public static void Write(Manifest manifest, string path)
    {
        AtomicFile.Write(path, temp =>
        {
            using var writer = new StreamWriter(temp);
            using var csv = new CsvWriter(writer, CultureInfo.InvariantCulture);
            foreach (var c in ManifestColumns.Standard.Concat(manifest.ExtraColumns)) csv.WriteField(c);
            csv.NextRecord();
            foreach (var r in manifest.Rows)
            {
                csv.WriteField(r.ImageId);
                csv.WriteField(r.Path);
                csv.WriteField(r.PatientId);
                csv.WriteField(r.Accession);
                csv.WriteField(r.StudyDate);
                csv.WriteField(r.View);
                csv.WriteField(r.Age?.ToString(CultureInfo.InvariantCulture) ?? "");
                csv.WriteField(r.Sex);
                csv.WriteField(r.Race);
                csv.WriteField(r.CovidStatus);
                csv.WriteField(r.PatientStatus);
                foreach (var c in manifest.ExtraColumns) csv.WriteField(r.GetExtra(c));
                csv.NextRecord();
            }
        });
    }
}
