using Pleura.Data;
using Pleura.DicomWorkflows;
using Pleura.Imaging;
using Pleura.Tests.Dicom;
using static Pleura.Tests.Cli.CliRunner;

namespace Pleura.Tests.Cli;

/// <summary>
/// Ingest into an output that holds an earlier ingest: a new batch adds its images and rows, a rerun changes nothing,
/// and an empty source, another key or an output that is a file are refused before anything is written.
/// </summary>
[Collection("console")]
public class IngestBatchTests
{
    static string[] Keys(string patient, string accession) =>
    [
        "Modality=CR", "BodyPartExamined=CHEST", "ViewPosition=PA", $"PatientID={patient}", $"AccessionNumber={accession}",
        "StudyDate=20210304", "ContentTime=100000", "AcquisitionTime=095900", "PatientSex=M", "PatientAge=045Y",
    ];

    static string Phantom(TempFolder dir, int seed)
    {
        var path = dir.File($"phantom{seed}.png");
        PngWriter.Write(new GreyImage(64, 64, Pleura.Phantoms.PhantomDataset.RenderOne(seed: seed, index: seed, size: 64, leftGrade: 1, rightGrade: 2).Image), path);
        return path;
    }

    /// <summary>Phantom number <paramref name="seed"/> as a chest CR of patient P<paramref name="seed"/>, accession A<paramref name="seed"/>.</summary>
    static void Radiograph(TempFolder dir, int seed, string path) => DicomPhantoms.FromPng(Phantom(dir, seed), dir.File(path), Keys($"P{seed}", $"A{seed}"));

    [SkippableFact]
    public void ASecondBatchIntoTheSameOutputAddsItsImagesAndRowsAndCountsDuplicates()
    {
        DicomPhantoms.RequireDcmtk();
        using var dir = new TempFolder();
        Radiograph(dir, 1, "batch1/p1/IM0001");
        Radiograph(dir, 2, "batch1/p2/IM0001");
        Radiograph(dir, 3, "batch2/p3/IM0001");
        Directory.CreateDirectory(dir.File("batch2/p1"));
        File.Copy(dir.File("batch1/p1/IM0001"), dir.File("batch2/p1/again.dcm"));   // the same SOP instance again
        var output = dir.File("out");

        var (code, text) = RunCaptured("ingest", dir.File("batch1"), "-o", output);
        Assert.True(code == 0, text);
        var first = ManifestCsv.Read(Path.Combine(output, "manifest.csv"), new ValidationReport());
        Assert.Equal(2, first.Rows.Count);

        (code, text) = RunCaptured("ingest", dir.File("batch2"), "-o", output);
        Assert.True(code == 0, text);
        Assert.Contains("3 images (1 rendered, 0 already there, 2 from earlier batches)", text);
        var union = ManifestCsv.Read(Path.Combine(output, "manifest.csv"), new ValidationReport());
        Assert.Equal(3, union.Rows.Count);
        Assert.Equal(3, Directory.GetFiles(Path.Combine(output, "images")).Length);
        foreach (var row in first.Rows) Assert.Contains(union.Rows, r => r.ImageId == row.ImageId && r.PatientId == row.PatientId);
        Assert.Equal(["1", "1", "2"], union.Rows.Select(r => r.GetExtra("batch")));
        var flow = IngestTests.ReadFlow(Path.Combine(output, "flow.csv"));   // both batches' files counted
        Assert.Equal(4, flow[DicomIngest.Found]);
        Assert.Equal(1, flow[DicomIngest.Duplicate]);
        Assert.Equal(3, flow[DicomIngest.Ingested]);

        // Running either batch again changes no byte.
        var before = FolderSnapshot.Of(output);
        foreach (var batch in new[] { "batch1", "batch2" })
        {
            (code, text) = RunCaptured("ingest", dir.File(batch), "-o", output);
            Assert.True(code == 0, text);
            Assert.Equal(before, FolderSnapshot.Of(output));
        }

        // An empty source (an unmounted share), or one with no DICOM file, changes nothing and exits 1.
        Directory.CreateDirectory(dir.File("empty"));
        Directory.CreateDirectory(dir.File("junk"));
        File.WriteAllText(dir.File("junk/notes.txt"), "not DICOM");
        foreach (var (source, message) in new[] { ("empty", "holds no files; nothing ingested"), ("junk", "none of the 1 file(s)") })
        {
            (code, text) = RunCaptured("ingest", dir.File(source), "-o", output);
            Assert.True(code == 1, text);
            Assert.Contains(message, text);
            Assert.Equal(before, FolderSnapshot.Of(output));
        }

        // A PNG half-written by an ingest that was killed is removed by the next run.
        int pid;
        using (var ended = System.Diagnostics.Process.Start("true")!)
        {
            ended.WaitForExit();
            pid = ended.Id;
        }
        var abandoned = Path.Combine(output, "images", $".x.png.{pid}.tmp");
        File.WriteAllBytes(abandoned, [1, 2, 3]);
        (code, text) = RunCaptured("ingest", dir.File("batch2"), "-o", output);
        Assert.True(code == 0, text);
        Assert.False(File.Exists(abandoned), "an abandoned temporary PNG was left");
        Assert.Equal(before, FolderSnapshot.Of(output));
    }

    /// <summary>`pleura phantoms --dicom` writes what `pleura ingest` takes: no image is left out for want of a content time.</summary>
    [Fact]
    public void PhantomsWrittenAsDicomAreIngested()
    {
        using var dir = new TempFolder();
        Assert.Equal(0, Run("phantoms", "--count", "12", "--size", "64", "--seed", "2", "--dicom", "--out", dir.File("ph")));
        var (code, text) = RunCaptured("ingest", dir.File("ph/dicom"), "-o", dir.File("out"), "--keep-identifiers");
        Assert.True(code == 0, text);
        var flow = IngestTests.ReadFlow(dir.File("out/flow.csv"));
        Assert.Equal(0, flow[DicomIngest.NoContentTime]);
        Assert.True(flow[DicomIngest.Ingested] > 0, text);
    }

    [SkippableFact]
    public void IngestWithAnotherKeyThanTheOutputsIsRefusedAndMakesNoKey()
    {
        DicomPhantoms.RequireDcmtk();
        using var dir = new TempFolder();
        Radiograph(dir, 1, "batch1/p1/IM0001");
        Radiograph(dir, 2, "batch2/p2/IM0001");
        var output = dir.File("out");
        var (code, text) = RunCaptured("ingest", dir.File("batch1"), "-o", output);
        Assert.True(code == 0, text);
        var before = FolderSnapshot.Of(output);

        File.WriteAllText(dir.File("other.key"), new string('7', 2 * Pseudonyms.KeyBytes) + "\n");
        (code, text) = RunCaptured("ingest", dir.File("batch2"), "-o", output, "--key", dir.File("other.key"));
        Assert.True(code == 1, text);
        Assert.Contains("is not this ingest's folder: key", text);
        (code, text) = RunCaptured("ingest", dir.File("batch2"), "-o", output, "--keep-identifiers");
        Assert.True(code == 1, text);
        (code, text) = RunCaptured("ingest", dir.File("batch2"), "-o", output, "--key-out", dir.File("new.key"));
        Assert.True(code == 1, text);
        Assert.False(File.Exists(dir.File("new.key")), "a refused ingest made a key");
        Assert.Equal(before, FolderSnapshot.Of(output));

        // An output path that is a file: a plain error, and no key made beside it.
        File.WriteAllText(dir.File("taken"), "a file");
        (code, text) = RunCaptured("ingest", dir.File("batch2"), "-o", dir.File("taken"));
        Assert.True(code == 1, text);
        Assert.Contains("is a file, not a folder", text);
        Assert.False(File.Exists(dir.File("taken.key")));

        // A --strict ingest that fails makes no key either.
        File.WriteAllBytes(dir.File("batch2/p2/broken.dcm"), File.ReadAllBytes(dir.File("batch2/p2/IM0001"))[..400]);
        (code, text) = RunCaptured("ingest", dir.File("batch2"), "-o", dir.File("strict"), "--strict");
        Assert.True(code == 1, text);
        Assert.False(File.Exists(dir.File("strict.key")), "a failed --strict ingest made a key");
    }
}
