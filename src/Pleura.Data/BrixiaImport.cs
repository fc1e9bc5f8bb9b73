using System.Globalization;

namespace Pleura.Data;

/// <summary>
/// Builds a manifest from BrixIA zone scores (two readers) and the COVID-19 image collection's metadata. Per lung, the
/// grade is the number of that lung's three zones scored above 0 (0-3, an extent measure matching METHOD's
/// 0 / 1-33 / 34-66 / 67-100%). Zones A-C are the patient's right lung, D-F the left. Reader 1 = the senior (S)
/// radiologist, reader 2 = the junior (J).
/// </summary>
public static class BrixiaImport
{
    static readonly string[] RightZones = { "A", "B", "C" };
    static readonly string[] LeftZones = { "D", "E", "F" };

    /// <summary>BrixIA's zones in their order: A-C the patient's right lung upper/middle/lower, D-F the left lung's.</summary>
    public static IReadOnlyList<string> Zones { get; } = RightZones.Concat(LeftZones).ToArray();

    /// <summary>The manifest column of a zone's score (0-3) by reader 1 (senior) or 2 (junior): brixia_a_r1 ... brixia_f_r2.</summary>
    public static string ZoneColumn(string zone, int reader) => $"brixia_{zone.ToLowerInvariant()}_r{reader}";

    /// <summary>Every zone column, reader 1's A-F then reader 2's.</summary>
    public static IReadOnlyList<string> ZoneColumns { get; } = new[] { 1, 2 }.SelectMany(r => Zones.Select(z => ZoneColumn(z, r))).ToArray();

    /// <param name="lungMasksFolder">Optional: masks of both lungs named by the image's base name (the collection's lung-masks/); they go into a <c>lung_mask</c> column.</param>
    public static Manifest Build(string annotationsCsv, string metadataCsv, string imagesFolder, ValidationReport report, string? lungMasksFolder = null)
    {
        var annotations = CsvTable.Read(annotationsCsv);
        annotations.RequireColumns(new[] { "filename", "patientid" }.Concat(RightZones.Concat(LeftZones).SelectMany(z => new[] { "S_" + z, "J_" + z })).ToArray());
        var metadata = CsvTable.Read(metadataCsv);
        metadata.RequireColumns("filename", "patientid", "sex", "age", "finding", "view");
        var byFile = metadata.Rows.GroupBy(r => r["filename"]).ToDictionary(g => g.Key, g => g.First());
        foreach (var p in annotations.Problems.Concat(metadata.Problems)) report.Add(p);

        var rows = new List<ManifestRow>();
        var seen = new Dictionary<string, int>();
        foreach (var a in annotations.Rows)
        {
            var file = a["filename"];
            // BrixIA scored two pictures twice under different names; one image must carry one label per reader.
            if (seen.TryGetValue(file, out var firstLine))
            {
                report.Add(new ValidationIssue(a.Line, file, IssueKind.DuplicateImageId, IssueSeverity.Warning,
                    $"second scoring of {file} (BrixIA name {a["brixia_filename"]}); the scoring on line {firstLine} is kept, this one is left out"));
                continue;
            }
            seen[file] = a.Line;
            byFile.TryGetValue(file, out var meta);
            if (meta is null)
                report.Add(new ValidationIssue(a.Line, file, IssueKind.InvalidValue, IssueSeverity.Warning, $"{file} has no row in {metadataCsv}; demographics left blank"));
            string? Count(string reader, string[] zones)
            {
                var scores = zones.Select(z => int.TryParse(a[$"{reader}_{z}"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : (int?)null).ToList();
                if (scores.Any(s => s is null or < 0 or > 3))
                {
                    report.Add(new ValidationIssue(a.Line, file, IssueKind.GradeOutOfRange, IssueSeverity.Error,
                        $"{reader} zones {string.Join("", zones)} = {string.Join(",", zones.Select(z => a[$"{reader}_{z}"]))}: each must be 0-3"));
                    return "";
                }
                return scores.Count(s => s > 0).ToString(CultureInfo.InvariantCulture);
            }
            double? age = meta is not null && double.TryParse(meta["age"], NumberStyles.Float, CultureInfo.InvariantCulture, out var y) ? y : null;
            var finding = meta?["finding"] ?? "";
            // Each zone's own score too, as given (checked by Count above): what zone-level models learn from.
            var zoneScores = new[] { ("S", 1), ("J", 2) }.SelectMany(r => Zones.Select(z => (Column: ZoneColumn(z, r.Item2), Value: a[$"{r.Item1}_{z}"])))
                .Select(c => (c.Column, Value: int.TryParse(c.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v is >= 0 and <= 3 ? c.Value : ""));
            rows.Add(new ManifestRow
            {
                ImageId = Path.GetFileNameWithoutExtension(file),
                Path = Path.GetFullPath(Path.Combine(imagesFolder, file)),
                PatientId = a["patientid"],
                View = meta?["view"] ?? "",
                Age = age,
                Sex = meta?["sex"] ?? "",
                CovidStatus = finding.Length == 0 ? "" : finding.Contains("COVID-19", StringComparison.OrdinalIgnoreCase) ? "positive" : "negative",
                StudyDate = meta?["date"] ?? "",
                SourceLine = a.Line,
                Extra = new Dictionary<string, string>(zoneScores.Select(c => KeyValuePair.Create(c.Column, c.Value)))
                {
                    ["left_grade"] = Count("S", LeftZones) ?? "",
                    ["right_grade"] = Count("S", RightZones) ?? "",
                    ["left_grade_r2"] = Count("J", LeftZones) ?? "",
                    ["right_grade_r2"] = Count("J", RightZones) ?? "",
                    ["brixia_global_r1"] = a["S_Global"],
                    ["brixia_global_r2"] = a["J_Global"],
                    ["finding"] = finding,
                    ["went_icu"] = meta?["went_icu"] ?? "",
                    ["survival"] = meta?["survival"] ?? "",
                    ["lung_mask"] = lungMasksFolder is not null && File.Exists(Path.Combine(lungMasksFolder, Path.GetFileNameWithoutExtension(file) + ".png"))
                        ? Path.GetFullPath(Path.Combine(lungMasksFolder, Path.GetFileNameWithoutExtension(file) + ".png")) : "",
                },
            });
        }
        var columns = new List<string> { "left_grade", "right_grade", "left_grade_r2", "right_grade_r2", "brixia_global_r1", "brixia_global_r2", "finding", "went_icu", "survival" };
        columns.AddRange(ZoneColumns);
        if (lungMasksFolder is not null) columns.Add("lung_mask");
        else foreach (var r in rows) ((Dictionary<string, string>)r.Extra).Remove("lung_mask");
        return new Manifest(rows, columns,
            Path.GetDirectoryName(Path.GetFullPath(annotationsCsv))!);
    }
}
