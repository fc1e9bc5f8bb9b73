namespace Pleura.Data;

/// <summary>
/// How every command that works from a manifest opens it: the columns it uses are checked up front by the rules of
/// `manifest validate`, so a bad grade, a missing patient id or a malformed row stops the command before any work,
/// with the lines named, instead of dropping images silently later.
/// </summary>
public static class ManifestInput
{
    const int Shown = 5;

    /// <param name="labelColumns">
    /// The label columns the command reads, each of which must exist and hold grades 0-3 or blanks; null: every grade column.
    /// </param>
    /// <param name="report">Receives the warnings (errors stop the command).</param>
    public static Manifest Open(string path, IReadOnlyCollection<string>? labelColumns, ValidationReport? report = null)
    {
        report ??= new ValidationReport();
        var manifest = ManifestCsv.Read(path, report);
        var columns = ManifestCsv.Columns(path);
        if (!columns.Contains(ManifestColumns.ImageId))
            throw new InvalidDataException($"{path}: no '{ManifestColumns.ImageId}' column; a Pleura manifest names each image (make one with `pleura manifest import`)");
        if (!columns.Contains(ManifestColumns.PatientId))
            throw new InvalidDataException($"{path}: no '{ManifestColumns.PatientId}' column; splits are by patient (map yours with `pleura manifest import --map patient_id=...`)");
        if (manifest.Rows.Count == 0 && report.ErrorCount == 0)
            throw new InvalidDataException($"{path}: no image rows (only a header)");
        ManifestValidator.Validate(manifest, report, labelColumns?.ToList(), checkFiles: false);
        var errors = report.Issues.Where(i => i.Severity == IssueSeverity.Error).OrderBy(i => i.Line).ToList();
        if (errors.Count > 0)
        {
            var shown = string.Join("; ", errors.Take(Shown));
            var more = errors.Count > Shown ? $"; and {errors.Count - Shown} more" : "";
            throw new InvalidDataException($"{path}: {errors.Count} problem(s) in the columns this command uses: {shown}{more} " +
                                           $"(`pleura manifest validate {path}` lists them all)");
        }
        return manifest;
    }
}
