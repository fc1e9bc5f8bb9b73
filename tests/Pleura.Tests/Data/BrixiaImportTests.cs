using Pleura.Data;

namespace Pleura.Tests.Data;

public class BrixiaImportTests
{
    [SkippableFact]
    public void PerLungGradesCountTheZonesScoredAboveZero()
    {
        var annotations = SharedFolder.Require("data", "brixia", "annotations.csv");
        var report = new ValidationReport();
        var manifest = BrixiaImport.Build(annotations, SharedFolder.Require("data", "cohen", "metadata.csv"), SharedFolder.Require("data", "cohen", "images"), report);
        ManifestValidator.Validate(manifest, report);
        Assert.True(report.IsValid, string.Join("\n", report.Issues.Where(i => i.Severity == IssueSeverity.Error)));
        // 122 scorings of 120 pictures: the two pictures BrixIA scored twice keep their first scoring, with a warning each.
        Assert.Equal(120, manifest.Rows.Count);
        Assert.Equal(2, report.Issues.Count(i => i.Kind == IssueKind.DuplicateImageId && i.Severity == IssueSeverity.Warning));
        Assert.Equal(79, manifest.Rows.Select(r => r.PatientId).Distinct().Count());

        // pneumocystis-pneumonia-12: S zones A-C = 3,3,2 (right), D-F = 3,2,2 (left): every zone above 0.
        var row = manifest.Rows.Single(r => r.ImageId == "pneumocystis-pneumonia-12");
        Assert.Equal((3, 3), (Manifest.Grade(row, "left_grade")!.Value, Manifest.Grade(row, "right_grade")!.Value));
        Assert.Equal(["3", "3", "2", "3", "2", "2"], BrixiaImport.Zones.Select(z => row.GetExtra(BrixiaImport.ZoneColumn(z, 1))));
        Assert.Equal("M", row.Sex);
        Assert.All(manifest.Rows, r => Assert.True(File.Exists(r.Path), r.Path));
        Assert.All(manifest.Rows, r => Assert.InRange(Manifest.Grade(r, "left_grade_r2")!.Value, 0, 3));
    }

    [Fact]
    public void ZoneScoresOutsideTheScaleAreErrorsWithTheirLine()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("a.csv"),
            "filename,patientid,S_A,S_B,S_C,S_D,S_E,S_F,S_Global,J_A,J_B,J_C,J_D,J_E,J_F,J_Global,brixia_filename\n" +
            "x.jpg,1,0,0,1,2,0,0,3,0,0,0,1,1,1,3,x.jpg\n" +
            "y.jpg,2,0,0,7,0,0,0,7,0,0,0,0,0,0,0,y.jpg\n");
        File.WriteAllText(dir.File("m.csv"), "patientid,sex,age,finding,view,filename,date,went_icu,survival\n1,F,40,COVID-19,PA,x.jpg,,N,Y\n");
        var report = new ValidationReport();
        var manifest = BrixiaImport.Build(dir.File("a.csv"), dir.File("m.csv"), dir.Path, report);
        var x = manifest.Rows[0];
        Assert.Equal(("1", "1", "3", "0"), (x.GetExtra("left_grade"), x.GetExtra("right_grade"), x.GetExtra("left_grade_r2"), x.GetExtra("right_grade_r2")));
        Assert.Equal("positive", x.CovidStatus);
        // Each zone's score is kept, A-F per reader; an out-of-scale score is blank, never passed on.
        Assert.Equal(["0", "0", "1", "2", "0", "0", "0", "0", "0", "1", "1", "1"], BrixiaImport.ZoneColumns.Select(x.GetExtra));
        Assert.Equal("", manifest.Rows[1].GetExtra("brixia_c_r1"));
        Assert.Equal("0", manifest.Rows[1].GetExtra("brixia_c_r2"));
        Assert.Contains(report.Issues, i => i.Line == 3 && i.Kind == IssueKind.GradeOutOfRange);
        Assert.Contains(report.Issues, i => i.Line == 3 && i.Kind == IssueKind.InvalidValue); // no metadata row for y.jpg
    }
}
