using Pleura.Data;

namespace Pleura.Tests.Data;

public class ManifestTests
{
    static void Touch(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, new byte[] { 1 });
    }

    [Fact]
    public void ImportMapsTheirColumnsAndKeepsExtras()
    {
        using var dir = new TempFolder();
        Touch(dir.File("img/a.png"));
        Touch(dir.File("img/b.png"));
        File.WriteAllText(dir.File("labels.csv"),
            "File,PatientID,Age,Sex,LeftScore,RightScore,Hospital\n" +
            "img/a.png,P1,54,F,2,0,North\n" +
            "img/b.png,P2,61,M,1,3,South\n");
        var report = new ValidationReport();
        var mapping = ColumnMapping.Parse(new[] { "path=File", "patient_id=PatientID", "left_grade=LeftScore", "right_grade=RightScore" });
        var manifest = ManifestCsv.Read(dir.File("labels.csv"), report, mapping);
        ManifestValidator.Validate(manifest, report);

        Assert.True(report.IsValid, string.Join("\n", report.Issues));
        Assert.Equal(2, manifest.Rows.Count);
        var a = manifest.Rows[0];
        Assert.Equal(("a", "P1", 54.0, "F"), (a.ImageId, a.PatientId, a.Age!.Value, a.Sex));
        Assert.Equal(new[] { "left_grade", "right_grade", "Hospital" }, manifest.ExtraColumns);
        Assert.Equal("North", a.GetExtra("Hospital"));
        Assert.Equal(2, Manifest.Grade(a, "left_grade"));

        // Written and read back unchanged.
        ManifestCsv.Write(manifest, dir.File("manifest.csv"));
        var again = ManifestCsv.Read(dir.File("manifest.csv"), new ValidationReport());
        Assert.Equal(manifest.Fingerprint(), again.Fingerprint());
    }

    [Fact]
    public void ValidationListsEveryProblemWithItsLine()
    {
        using var dir = new TempFolder();
        foreach (var n in new[] { "a", "b", "c", "e" }) Touch(dir.File($"{n}.png"));
        File.WriteAllText(dir.File("m.csv"),
            "image_id,path,patient_id,left_grade,right_grade\n" +
            "a,a.png,P1,0,1\n" +        // line 2: fine
            "b,b.png,P2,4,1\n" +        // line 3: grade out of range
            "c,c.png,,1,1\n" +          // line 4: no patient id
            "d,d.png,P3,1,1\n" +        // line 5: file missing
            "a,a.png,P1,2,1\n" +        // line 6: duplicate id, conflicting label
            "e,e.png,P4,x,1\n" +        // line 7: not a grade
            "f,f.png,P5,1\n");          // line 8: malformed (too few fields)
        var report = new ValidationReport();
        var manifest = ManifestCsv.Read(dir.File("m.csv"), report);
        ManifestValidator.Validate(manifest, report);

        bool Has(int line, IssueKind kind) => report.Issues.Any(i => i.Line == line && i.Kind == kind);
        Assert.True(Has(3, IssueKind.GradeOutOfRange));
        Assert.True(Has(4, IssueKind.MissingPatientId));
        Assert.True(Has(5, IssueKind.MissingFile));
        Assert.True(Has(6, IssueKind.DuplicateImageId));
        Assert.True(Has(6, IssueKind.ConflictingLabels));
        Assert.True(Has(7, IssueKind.GradeOutOfRange));
        Assert.True(Has(8, IssueKind.MalformedRow));
        Assert.DoesNotContain(report.Issues, i => i.Line == 2);
        Assert.Equal(6, manifest.Rows.Count); // only the malformed row is left out, and it is reported

        report.WriteCsv(dir.File("report.csv"));
        Assert.Contains("MalformedRow", File.ReadAllText(dir.File("report.csv")));
    }

    [Fact]
    public void SameFileUnderTwoIdsWithDifferentLabelsIsAConflict()
    {
        using var dir = new TempFolder();
        Touch(dir.File("x.png"));
        File.WriteAllText(dir.File("m.csv"), "image_id,path,patient_id,left_grade\nx1,x.png,P1,1\nx2,x.png,P1,3\n");
        var report = ManifestValidator.Validate(ManifestCsv.Read(dir.File("m.csv"), new ValidationReport()));
        var issue = Assert.Single(report.Issues);
        Assert.Equal((3, IssueKind.ConflictingLabels), (issue.Line, issue.Kind));
    }

    [Fact]
    public void BadMappingsAndMissingColumnsAreExplained()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("t.csv"), "Name,Who\nx.png,P1\n");
        Assert.Throws<FormatException>(() => ColumnMapping.Parse(new[] { "patient_id" }));
        var e = Assert.Throws<InvalidDataException>(() => ManifestCsv.Read(dir.File("t.csv"), new ValidationReport()));
        Assert.Contains("path=", e.Message);
        var report = new ValidationReport();
        ManifestCsv.Read(dir.File("t.csv"), report, ColumnMapping.Parse(new[] { "path=Name", "patient_id=Patient" }));
        Assert.Contains(report.Issues, i => i.Kind == IssueKind.MissingColumn && i.Message.Contains("'Patient'"));
        Assert.Throws<FileNotFoundException>(() => ManifestCsv.Read(dir.File("nope.csv"), new ValidationReport()));
    }

    [Fact]
    public void OpacityGradeBands()
    {
        Assert.Equal(0, OpacityGrade.FromFraction(0));
        Assert.Equal(1, OpacityGrade.FromFraction(0.01));
        Assert.Equal(1, OpacityGrade.FromFraction(1.0 / 3));
        Assert.Equal(2, OpacityGrade.FromFraction(0.34));
        Assert.Equal(2, OpacityGrade.FromFraction(2.0 / 3));
        Assert.Equal(3, OpacityGrade.FromFraction(0.67));
        Assert.Equal(3, OpacityGrade.FromFraction(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => OpacityGrade.FromFraction(1.2));
    }
}
