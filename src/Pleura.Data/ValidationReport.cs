using Pleura.Files;

namespace Pleura.Data;

public enum IssueSeverity { Warning, Error }

/// <summary>What kind of problem a manifest row has.</summary>
public enum IssueKind
{
    MalformedRow,
    MissingColumn,
    InvalidValue,
    MissingFile,
    GradeOutOfRange,
    DuplicateImageId,
    MissingPatientId,
    ConflictingLabels,
}

/// <summary>One problem, located by source line (header = line 1; 0 = the file as a whole).</summary>
public sealed record ValidationIssue(int Line, string ImageId, IssueKind Kind, IssueSeverity Severity, string Message)
{
    public override string ToString() => Line > 0 ? $"line {Line} ({ImageId}): {Message}" : Message;
}

/// <summary>Every problem found in a manifest; nothing is dropped without appearing here.</summary>
public sealed class ValidationReport
{
    readonly List<ValidationIssue> _issues = new();

    public IReadOnlyList<ValidationIssue> Issues => _issues;
    public int ErrorCount => _issues.Count(i => i.Severity == IssueSeverity.Error);
    public int WarningCount => _issues.Count(i => i.Severity == IssueSeverity.Warning);
    public bool IsValid => ErrorCount == 0;

    public void Add(ValidationIssue issue) => _issues.Add(issue);
    public void AddRange(IEnumerable<ValidationIssue> issues) => _issues.AddRange(issues);

    public void Error(ManifestRow row, IssueKind kind, string message) =>
        Add(new ValidationIssue(row.SourceLine, row.ImageId, kind, IssueSeverity.Error, message));

    public void Warning(ManifestRow row, IssueKind kind, string message) =>
        Add(new ValidationIssue(row.SourceLine, row.ImageId, kind, IssueSeverity.Warning, message));

    /// <summary>Writes the report as CSV (line, image_id, severity, kind, message) for auditing.</summary>
    public void WriteCsv(string path)
    {
        AtomicFile.Write(path, temp =>
        {
            using var writer = new StreamWriter(temp);
            using var csv = new CsvHelper.CsvWriter(writer, System.Globalization.CultureInfo.InvariantCulture);
            foreach (var h in new[] { "line", "image_id", "severity", "kind", "message" }) csv.WriteField(h);
            csv.NextRecord();
            foreach (var i in _issues.OrderBy(i => i.Line))
            {
                csv.WriteField(i.Line);
                csv.WriteField(i.ImageId);
                csv.WriteField(i.Severity.ToString().ToLowerInvariant());
                csv.WriteField(i.Kind.ToString());
                csv.WriteField(i.Message);
                csv.NextRecord();
            }
        });
    }
}
