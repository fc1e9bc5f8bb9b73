namespace Pleura.Data;

/// <summary>
/// Checks a manifest: image files exist, grades lie in 0..3, image ids are unique, every image has a patient id,
/// and no image carries two different labels (same file or same id listed twice with different grades).
/// </summary>
public static class ManifestValidator
{
    public const int MaxGrade = 3;

    /// <param name="gradeColumns">Label columns to check; default: every column whose name contains "grade".</param>
    /// <param name="checkFiles">Whether to look for the image files on disk.</param>
    public static ValidationReport Validate(Manifest manifest, ValidationReport? report = null,
        IReadOnlyList<string>? gradeColumns = null, bool checkFiles = true)
    {
        report ??= new ValidationReport();
        var grades = (gradeColumns ?? manifest.GradeColumns.ToList()).ToList();
        foreach (var missing in grades.Where(g => !manifest.ExtraColumns.Contains(g)))
            report.Add(new ValidationIssue(0, "", IssueKind.MissingColumn, IssueSeverity.Error, $"label column '{missing}' is not in the manifest"));
        grades = grades.Where(manifest.ExtraColumns.Contains).ToList();

        foreach (var row in manifest.Rows)
        {
            if (string.IsNullOrWhiteSpace(row.ImageId)) report.Error(row, IssueKind.InvalidValue, "no image id");
            if (string.IsNullOrWhiteSpace(row.PatientId))
                report.Error(row, IssueKind.MissingPatientId, "no patient id: patient-level splits cannot place this image");
            if (checkFiles && !File.Exists(manifest.ResolvePath(row)))
                report.Error(row, IssueKind.MissingFile, $"image file not found: {manifest.ResolvePath(row)}");
            foreach (var column in grades)
            {
                var text = row.GetExtra(column).Trim();
                if (text.Length == 0) continue; // unlabelled by this reader
                var grade = Manifest.Grade(row, column);
                if (grade is null || grade < 0 || grade > MaxGrade)
                    report.Error(row, IssueKind.GradeOutOfRange, $"{column} = '{text}' is not a grade 0-{MaxGrade}");
            }
        }

        foreach (var group in manifest.Rows.GroupBy(r => r.ImageId, StringComparer.Ordinal).Where(g => g.Count() > 1 && g.Key.Length > 0))
        {
            var lines = string.Join(", ", group.Select(r => r.SourceLine));
            foreach (var row in group.Skip(1))
                report.Error(row, IssueKind.DuplicateImageId, $"image id '{row.ImageId}' appears on lines {lines}");
        }

        // The same image listed twice (by file or by id) must not carry two different labels.
        var byImage = manifest.Rows
            .GroupBy(manifest.ResolvePath, StringComparer.Ordinal)
            .Concat<IEnumerable<ManifestRow>>(manifest.Rows.GroupBy(r => r.ImageId, StringComparer.Ordinal))
            .Select(g => g.ToList())
            .Where(g => g.Count > 1);
        var reported = new HashSet<(int, string)>();
        foreach (var group in byImage)
        {
            foreach (var column in grades)
            {
                var values = group.Select(r => r.GetExtra(column).Trim()).Where(v => v.Length > 0).Distinct().ToList();
                if (values.Count <= 1) continue;
                foreach (var row in group.Skip(1))
                {
                    if (!reported.Add((row.SourceLine, column))) continue;
                    report.Error(row, IssueKind.ConflictingLabels,
                        $"{column}: the same image is labelled {string.Join(" and ", values)} on lines {string.Join(", ", group.Select(r => r.SourceLine))}");
                }
            }
        }
        return report;
    }
}
