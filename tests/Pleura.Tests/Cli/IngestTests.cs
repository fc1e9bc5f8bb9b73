using System.Globalization;
using Pleura.Data;
using Pleura.DicomWorkflows;
using Pleura.Imaging;
using Pleura.Tests.Dicom;
using static Pleura.Tests.Cli.CliRunner;

namespace Pleura.Tests.Cli;

/// <summary>`pleura ingest` and `pleura dicom dump`: exclusion rules counted on a made-up export and on the shared DICOM files.</summary>
[Collection("console")]
public class IngestTests
{
    /// <summary>
    /// An export with one file per rule (and an accession of two images, one of two acquisition times, a copy, a
    /// near-identical noisy copy, a text file and a DICOMDIR), whose flow is known: every rule counts its files and
    /// four images are ingested, one of them inverted by its Presentation LUT Shape.
    /// </summary>
    [SkippableFact]
    public void EachExclusionRuleIsAppliedAndCounted()
    {
        DicomPhantoms.RequireDcmtk();
        using var dir = new TempFolder();
        var export = MakeExport(dir);
        var output = dir.File("out");
        var (code, text) = RunCaptured("ingest", export, "-o", output, "--keep-identifiers");
        Assert.True(code == 0, text);
        Assert.False(File.Exists(output + ".key")); // no pseudonyms, no key

        var flow = ReadFlow(Path.Combine(output, "flow.csv"));
        var expected = new Dictionary<string, int>
        {
            [DicomIngest.Found] = 19, [DicomIngest.NotDicom] = 1, [DicomIngest.Unreadable] = 1, [DicomIngest.NonImage] = 1,
            [DicomIngest.NotRadiograph] = 1, [DicomIngest.NotChest] = 1, [DicomIngest.Lateral] = 1, [DicomIngest.NotGrey] = 0, [DicomIngest.TooSmall] = 1,
            [DicomIngest.PostProcessed] = 1, [DicomIngest.LossyExcluded] = 0, [DicomIngest.NoContentTime] = 1, [DicomIngest.NoPatientId] = 0, [DicomIngest.Minor] = 1,
            [DicomIngest.Duplicate] = 1, [DicomIngest.NearIdentical] = 1, [DicomIngest.SeveralAcquisitionTimes] = 2, [DicomIngest.NotFirstInAccession] = 1,
            // img2dcm wraps the test's JPEGs as they are: JPEG baseline, a lossy transfer syntax, kept and counted.
            [DicomIngest.Ingested] = 4, [DicomIngest.InvertedByAttributes] = 1, [DicomIngest.InvertedByModel] = 0, [DicomIngest.LossyKept] = 4,
        };
        Assert.Equal(DicomIngest.Rules.Concat(DicomIngest.CorrectionRules).Select(r => r.Key), flow.Keys);
        Assert.Equal(expected, flow);
        Assert.Matches(@"under_18\s+1\s", text.Replace("│", " "));

        var unreadable = File.ReadAllLines(Path.Combine(output, "unreadable.csv"));
        Assert.Equal(2, unreadable.Length);
        Assert.StartsWith("p10/truncated.dcm,", unreadable[1]);
        Assert.Contains("truncated or corrupt", unreadable[1]);

        // The manifest: standard columns, the DICOM facts, the render record; paths relative to it; the first image of A1.
        var manifest = ManifestCsv.Read(Path.Combine(output, "manifest.csv"), new ValidationReport());
        Assert.Equal(DicomIngest.ExtraColumns, manifest.ExtraColumns);
        Assert.True(ManifestValidator.Validate(manifest).IsValid);
        var rows = manifest.Rows.ToDictionary(r => r.GetExtra("source"));
        Assert.Equal(new[] { "p1/IM0001", "p12/birth.dcm", "p15/first.dcm", "p16/inverse.dcm" }, rows.Keys.Order(StringComparer.Ordinal));
        var first = rows["p1/IM0001"];
        Assert.Equal("Presentation LUT Shape INVERSE", rows["p16/inverse.dcm"].GetExtra("inversion"));
        Assert.Equal("", first.GetExtra("inversion"));
        Assert.Equal(("P1", "A1", "2021-03-04", "PA", 45.0, "M"), (first.PatientId, first.Accession, first.StudyDate, first.View, first.Age!.Value, first.Sex));
        Assert.Equal(("10:00:00", "09:59:00", "CR", "CHEST"), (first.GetExtra("content_time"), first.GetExtra("acquisition_time"), first.GetExtra("modality"), first.GetExtra("body_part")));
        Assert.Equal(first.ImageId, first.GetExtra("sop_uid"));
        Assert.Equal($"images/{first.ImageId}.png", first.Path);
        Assert.Contains("min-max window", first.GetExtra("render"));
        Assert.Equal(40.0, rows["p12/birth.dcm"].Age); // from the birth date and the study date
        Assert.Equal(Path.Combine(output, "images"), Path.GetDirectoryName(manifest.ResolvePath(first)));

        // Each PNG holds exactly what the renderer makes of its source.
        foreach (var row in manifest.Rows)
            Assert.Equal(RadiographReader.RenderDicom(Path.Combine(export, row.GetExtra("source"))).Pixels, DicomPhantoms.Png16(manifest.ResolvePath(row)));

        // The flow report: a CONSORT-style SVG with a box per rule and its count.
        var html = File.ReadAllText(Path.Combine(output, "flow.html"));
        Assert.Contains("<svg", html);
        Assert.Contains("1 excluded: post-processed duplicate", html);
        Assert.Contains("4 ingested", html);
        Assert.Contains("inverted_by_attributes", html);

        // A second run renders nothing and writes the same bytes; a new file is all a third run renders.
        var before = FolderSnapshot.Of(output);
        (code, text) = RunCaptured("ingest", export, "-o", output, "--keep-identifiers");
        Assert.True(code == 0, text);
        Assert.Contains("4 images (0 rendered, 4 already there)", text);
        Assert.Equal(before, FolderSnapshot.Of(output));
        DicomPhantoms.FromPng(dir.File("phantom.png"), Path.Combine(export, "p13", "new.dcm"), Keys("P13", "A13", "110000"));
        (code, text) = RunCaptured("ingest", export, "-o", output, "--keep-identifiers");
        Assert.True(code == 0, text);
        Assert.Contains("5 images (1 rendered, 4 already there)", text);
        Assert.Equal(5, Directory.GetFiles(Path.Combine(output, "images")).Length);

        // --strict: an unreadable file stops the run, naming it.
        (code, text) = RunCaptured("ingest", export, "-o", dir.File("strict"), "--strict", "--keep-identifiers");
        Assert.Equal(1, code);
        Assert.Contains("p10/truncated.dcm", text);
        Assert.False(File.Exists(dir.File("strict/manifest.csv")));
    }

    /// <summary>The shared files: counts per rule follow index.csv (chest vs hip / extremity) and their headers.</summary>
    [SkippableFact]
    public void SharedDicomFolderIsIngestedWithCountsThatFollowItsIndex()
    {
        var folder = SharedFolder.Require("data", "dicom");
        var index = File.ReadAllLines(Path.Combine(folder, "index.csv")).Skip(1)
            .Select(l => l.Split(',')).ToDictionary(f => f[0], f => (Modality: f[1], BodyPart: f[2]));
        using var dir = new TempFolder();
        var result = DicomIngest.Run(folder, dir.Path, new IngestOptions { KeepIdentifiers = true });
        Assert.Equal(index.Count + 1, result.Count(DicomIngest.Found)); // and index.csv itself
        Assert.Equal(1, result.Count(DicomIngest.NotDicom));
        Assert.Equal(index.Values.Count(v => v.BodyPart.Length > 0 && v.BodyPart != "CHEST"), result.Count(DicomIngest.NotChest)); // 8 HIP + 8 EXTREMITY
        Assert.Equal(16, result.Count(DicomIngest.NotChest));
        Assert.Equal(0, result.Count(DicomIngest.NotRadiograph)); // all CR
        Assert.Equal(0, result.Count(DicomIngest.Unreadable));
        // RG1's two chest images are lossy-compressed copies of one exposure (Image Type DERIVED by the compression
        // alone, Derivation Code 113040): not post-processed, so the first is kept (marked lossy) and the other is its
        // near-identical duplicate. The bare chest dataset has no Patient ID; the Secondary Capture chest image has no
        // time; the Modality LUT file is ingested.
        Assert.Equal(0, result.Count(DicomIngest.PostProcessed));
        Assert.Equal(1, result.Count(DicomIngest.NearIdentical));
        Assert.Equal(1, result.Count(DicomIngest.NoPatientId));
        Assert.Equal(1, result.Count(DicomIngest.NoContentTime));
        Assert.Equal(2, result.Count(DicomIngest.Ingested));
        Assert.Equal(1, result.Count(DicomIngest.LossyKept));
        var rg1 = Assert.Single(result.Manifest.Rows, r => r.GetExtra("source").StartsWith("RG1_", StringComparison.Ordinal));
        Assert.Equal("yes", rg1.GetExtra("lossy_compression"));
        var row = Assert.Single(result.Manifest.Rows, r => r.GetExtra("source") == "CR-ModalitySequenceLUT.dcm");
        Assert.Equal("no", row.GetExtra("lossy_compression"));
        Assert.Equal(("CR-ModalitySequenceLUT.dcm", "XX", "MODALITYLUT-001", "2019-04-16", 119.0, "M"),
            (row.GetExtra("source"), row.PatientId, row.Accession, row.StudyDate, row.Age!.Value, row.Sex));
        Assert.Equal(("999.999.01.23.45.6789", "MONOCHROME1", "512", "1024"), (row.ImageId, row.GetExtra("photometric"), row.GetExtra("window_center"), row.GetExtra("window_width")));
        Assert.Contains("Modality LUT Sequence", row.GetExtra("render"));
        var source = Path.Combine(folder, row.GetExtra("source"));
        Assert.Equal(Pleura.Dicom.Rendering.DicomRenderer.Render(source).Pixels, DicomPhantoms.Png16(Path.Combine(dir.Path, row.Path)));
        Assert.Equal(2, result.Count(DicomIngest.InvertedByAttributes)); // MONOCHROME1, both
        Assert.Equal("MONOCHROME1", row.GetExtra("inversion"));
        Assert.Equal(File.ReadAllText(Path.Combine(dir.Path, "flow.csv")), DicomIngest.FlowCsv(result.Flow, result.Corrections));
        Assert.StartsWith("step,rule,count,kind,description\n0,files_found,", File.ReadAllText(Path.Combine(dir.Path, "flow.csv")));
    }

    /// <summary>Age in years from Patient's Age in each unit (and a bare number), else from the birth date to the study date.</summary>
    [Theory]
    [InlineData("045Y", null, null, 45.0)]
    [InlineData("006M", null, null, 0.5)]
    [InlineData("026W", null, null, 0.5)]
    [InlineData("073D", null, null, 0.2)]
    [InlineData("68", null, null, 68.0)]
    [InlineData(null, "19800302", "20200301", 39.0)]
    [InlineData(null, "19800301", "20200301", 40.0)]
    [InlineData("abc", "20000101", "20100101", 10.0)]
    [InlineData(null, "20200101", "20100101", null)]
    [InlineData(null, null, "20100101", null)]
    public void AgeComesFromPatientsAgeElseTheBirthDate(string? patientAge, string? birth, string? study, double? expected)
    {
        static Pleura.Dicom.DicomElement Text(Pleura.Dicom.DicomTag tag, string vr, string value) =>
            new(tag, new Pleura.Dicom.DicomVR(vr), System.Text.Encoding.ASCII.GetBytes(value.Length % 2 == 1 ? value + " " : value));
        var elements = new List<Pleura.Dicom.DicomElement>();
        if (patientAge is not null) elements.Add(Text(Pleura.Dicom.DicomTag.PatientAge, "AS", patientAge));
        if (birth is not null) elements.Add(Text(Pleura.Dicom.DicomTag.PatientBirthDate, "DA", birth));
        if (study is not null) elements.Add(Text(Pleura.Dicom.DicomTag.StudyDate, "DA", study));
        Assert.Equal(expected, DicomIngest.Age(new Pleura.Dicom.DicomDataset(elements, "test", System.Text.Encoding.Latin1)));
    }

    [SkippableFact]
    public void DicomDumpNamesTheTagsAndRefusesABadFile()
    {
        DicomPhantoms.RequireDcmtk();
        using var dir = new TempFolder();
        PngWriter.WriteGrey8(dir.File("p.png"), new byte[40 * 40], 40, 40);
        var dcm = DicomPhantoms.FromPng(dir.File("p.png"), dir.File("scan"), "PatientID=P77", "Modality=CR");
        var (code, text) = RunCaptured("dicom", "dump", dcm);
        Assert.True(code == 0, text);
        Assert.Contains("(0002,0010) UI TransferSyntaxUID", text);
        Assert.Matches(@"\(0010,0020\) LO PatientID\s+\[P77\]", text);
        Assert.Matches(@"\(0028,0010\) US Rows\s+40", text);
        Assert.Contains("encapsulated: offset table of 1 entries, 1 fragment(s)", text);

        File.WriteAllText(dir.File("notes.txt"), "hello");
        (code, text) = RunCaptured("dicom", "dump", dir.File("notes.txt"));
        Assert.Equal(1, code);
        Assert.Contains($"{dir.File("notes.txt")}: not a DICOM file", text);
        (code, text) = RunCaptured("dicom", "dump", dir.File("missing.dcm"));
        Assert.Equal(1, code);
        Assert.Contains("missing.dcm", text);
    }

    [SkippableFact]
    public void DicomDumpShowsNestedSequences()
    {
        var file = SharedFolder.Require("data", "dicom", "CR-ModalitySequenceLUT.dcm");
        var (code, text) = RunCaptured("dicom", "dump", file);
        Assert.Equal(0, code);
        Assert.Matches(@"\(0028,3000\) SQ ModalityLUTSequence\s+sequence of 1 item\(s\)", text);
        Assert.Matches(@"\n    \(0028,3002\) (US|SS) LUTDescriptor\s+1024\\0\\16", text);
    }

    static string[] Keys(string patient, string accession, string contentTime, params string[] more) =>
    [
        "Modality=CR", "BodyPartExamined=CHEST", "ViewPosition=PA", $"PatientID={patient}", $"AccessionNumber={accession}",
        "StudyDate=20210304", $"ContentTime={contentTime}", "AcquisitionTime=095900", "PatientSex=M", "PatientAge=045Y", .. more,
    ];

    /// <summary>The made-up export: one file per rule, named as a PACS would (some without an extension).</summary>
    static string MakeExport(TempFolder dir)
    {
        var phantom = Pleura.Phantoms.PhantomDataset.RenderOne(seed: 5, index: 1, size: 64, leftGrade: 1, rightGrade: 2);
        PngWriter.Write(new GreyImage(64, 64, phantom.Image), dir.File("phantom.png"));
        // Other exposures (other phantoms), and one exposure written twice, the second with small noise.
        PngWriter.Write(new GreyImage(64, 64, Pleura.Phantoms.PhantomDataset.RenderOne(seed: 6, index: 2, size: 64, leftGrade: 0, rightGrade: 3).Image), dir.File("other.png"));
        var third = Pleura.Phantoms.PhantomDataset.RenderOne(seed: 7, index: 3, size: 64, leftGrade: 2, rightGrade: 0).Image;
        PngWriter.Write(new GreyImage(64, 64, third), dir.File("third.png"));
        var noise = new Random(3);
        PngWriter.Write(new GreyImage(64, 64, third.Select(v => Math.Clamp(v + (float)(noise.NextDouble() - 0.5) * 0.02f, 0f, 1f)).ToArray()), dir.File("third-noisy.png"));
        PngWriter.WriteGrey8(dir.File("tiny.png"), new byte[20 * 20], 20, 20);
        var export = dir.File("export");
        string At(string name) => Path.Combine(export, name);
        string Make(string name, params string[] keys) => DicomPhantoms.FromPng(dir.File("phantom.png"), At(name), keys);
        Make("p1/IM0001", Keys("P1", "A1", "100000"));
        string Other(string name, params string[] keys) => DicomPhantoms.FromPng(dir.File("other.png"), At(name), keys);
        Other("p1/IM0002.dcm", Keys("P1", "A1", "100500"));                                    // not first in A1
        Make("p2/a.dcm", Keys("P2", "A2", "090000", "AcquisitionTime=090000"));                 // A2 has two acquisition times
        Other("p2/b.dcm", Keys("P2", "A2", "091000", "AcquisitionTime=091000"));
        DicomPhantoms.FromPng(dir.File("third.png"), At("p15/first.dcm"), Keys("P15", "A15", "100000"));
        DicomPhantoms.FromPng(dir.File("third-noisy.png"), At("p15/noisy.dcm"), Keys("P15", "A15", "100100")); // near-identical to first.dcm
        Make("p16/inverse.dcm", Keys("P16", "A16", "100000", "PresentationLUTShape=INVERSE"));   // inverted by its attributes
        Make("p3/minor.dcm", Keys("P3", "A3", "100000", "PatientAge=010Y"));                    // under 18
        Make("p4/derived.dcm", Keys("P4", "A4", "100000", "ImageType=DERIVED\\SECONDARY"));     // post-processed
        Make("p5/notime.dcm", Keys("P5", "A5", "100000", "-ContentTime", "-AcquisitionTime"));  // no time
        Make("p6/lateral.dcm", Keys("P6", "A6", "100000", "ViewPosition=LL"));                  // lateral
        Make("p7/hand.dcm", Keys("P7", "A7", "100000", "BodyPartExamined=HAND"));               // not chest
        Make("p8/ct.dcm", Keys("P8", "A8", "100000", "Modality=CT"));                           // not a radiograph
        Make("p9/nopixels.dcm", Keys("P9", "A9", "100000", "-PixelData"));                      // no pixel data
        DicomPhantoms.FromPng(dir.File("tiny.png"), At("p14/tiny.dcm"), Keys("P14", "A14", "100000")); // too small
        var whole = File.ReadAllBytes(Make("p10/whole.tmp", Keys("P10", "A10", "100000")));
        File.WriteAllBytes(At("p10/truncated.dcm"), whole[..(whole.Length - 300)]);           // unreadable
        File.Delete(At("p10/whole.tmp"));
        Directory.CreateDirectory(At("p11"));
        File.Copy(At("p1/IM0001"), At("p11/copy.dcm"));                                          // duplicate (same SOP instance)
        Make("p12/birth.dcm", Keys("P12", "A12", "100000", "-PatientAge", "PatientBirthDate=19800101", "StudyDate=20200101", "PatientSex=F"));
        File.WriteAllText(At("notes.txt"), "not DICOM");                                        // not DICOM
        File.Copy(At("p1/IM0001"), At("DICOMDIR"));                                              // ignored
        return export;
    }

    internal static Dictionary<string, int> ReadFlow(string path) =>
        File.ReadAllLines(path).Skip(1).Select(l => l.Split(',')).ToDictionary(f => f[1], f => int.Parse(f[2], CultureInfo.InvariantCulture));

}
