using Pleura.Data;
using Pleura.Dicom;
using Pleura.Imaging;
using Pleura.Phantoms;
using Pleura.Tests.DicomWeb;

namespace Pleura.Tests.Phantoms;

/// <summary>`phantoms --dicom`: each phantom also as a DICOM CR image that reads back as its PNG.</summary>
public class PhantomDicomTests
{
    [Fact]
    public void Each_phantom_is_a_dicom_image_with_its_pngs_pixels_and_its_patients_study()
    {
        using var a = new TempFolder();
        using var b = new TempFolder();
        var options = new PhantomOptions { Count = 12, Size = 48, Seed = 5, Dicom = true };
        var manifest = PhantomDataset.Generate(options, a.Path);
        PhantomDataset.Generate(options, b.Path);
        var studyOwners = new Dictionary<string, string>();
        foreach (var row in manifest.Rows)
        {
            var path = Path.Combine(a.Path, "dicom", row.ImageId + ".dcm");
            var file = DicomFileReader.Read(path);
            var d = file.Dataset;
            Assert.Equal(row.PatientId, d.PatientID);
            Assert.Equal(row.Accession, d.AccessionNumber);
            Assert.Equal(row.View, d.ViewPosition);
            Assert.Equal(("CR", "CHEST"), (d.Modality, d.BodyPartExamined));
            Assert.Equal(DateOnly.ParseExact(row.StudyDate, "yyyy-MM-dd"), d.StudyDate);
            // Rendered as the reader renders any DICOM, it is the PNG, pixel for pixel.
            var png = RadiographReader.Read(manifest.Resolve(row.Path));
            var dicom = RadiographReader.Read(path);
            Assert.Equal(png.Pixels.Length, dicom.Pixels.Length);
            Assert.True(png.Pixels.Zip(dicom.Pixels).All(p => Math.Abs(p.First - p.Second) < 1e-4f), row.ImageId);
            // A study belongs to one patient; the same seed gives the same UIDs and bytes.
            Assert.Equal(row.PatientId, studyOwners.GetValueOrDefault(d.StudyInstanceUID!, row.PatientId));
            studyOwners[d.StudyInstanceUID!] = row.PatientId;
            Assert.Equal(File.ReadAllBytes(path), File.ReadAllBytes(Path.Combine(b.Path, "dicom", row.ImageId + ".dcm")));
        }
        Assert.True(studyOwners.Count >= manifest.Rows.Select(r => r.PatientId).Distinct().Count());
        Assert.Equal(manifest.Rows.Count, Directory.GetFiles(Path.Combine(a.Path, "dicom")).Select(f => DicomFileReader.Read(f).Dataset.SOPInstanceUID).Distinct().Count());
    }

    [SkippableFact]
    public void Dcmtk_and_dciodvfy_take_the_phantom_images()
    {
        DicomTools.Require("dcmdump");
        using var folder = new TempFolder();
        PhantomDataset.Generate(new PhantomOptions { Count = 2, Size = 48, Seed = 5, Dicom = true }, folder.Path);
        foreach (var path in Directory.GetFiles(Path.Combine(folder.Path, "dicom")))
        {
            var dump = DicomTools.Run("dcmdump", "-dc", "+E", path);
            Assert.Contains("(0008,0016) UI =ComputedRadiographyImageStorage", dump, StringComparison.Ordinal);
            if (DicomTools.Available("dciodvfy"))
            {
                var (_, output) = DicomTools.Execute("dciodvfy", path);
                Assert.DoesNotContain(output.Split('\n'), l => l.StartsWith("Error", StringComparison.Ordinal));
            }
        }
    }
}
