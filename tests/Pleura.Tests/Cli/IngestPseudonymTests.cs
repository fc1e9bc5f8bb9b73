using System.Text;
using Pleura.Data;
using Pleura.Dicom;
using Pleura.DicomWorkflows;
using Pleura.Imaging;
using Pleura.Tests.Dicom;
using static Pleura.Tests.Cli.CliRunner;

namespace Pleura.Tests.Cli;

/// <summary>`pleura ingest` writes no identifier of its sources: keyed pseudonyms, stable under one key, the key apart.</summary>
[Collection("console")]
public class IngestPseudonymTests
{
    const string PatientA = "ZQX-PATIENT-4417", PatientB = "KWV-PATIENT-9032";
    const string NameA = "DOE^JANE^MARIE", NameB = "ROE^RICHARD";
    const string BirthA = "19630417", BirthB = "19511102";

    [SkippableFact]
    public void NoIdentifierOfTheSourcesAppearsInTheOutputsAndTheKeyGivesTheSamePseudonyms()
    {
        DicomPhantoms.RequireDcmtk();
        using var dir = new TempFolder();
        var export = MakeExport(dir);
        var output = dir.File("out");
        var (code, text) = RunCaptured("ingest", export, "-o", output);
        Assert.True(code == 0, text);
        var key = dir.File("out.key");
        Assert.True(File.Exists(key), "the key is created beside the output folder");
        Assert.Matches("^[0-9a-f]{64}\n$", File.ReadAllText(key));
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        Assert.Contains("pseudonym key created", text);

        // Every identifier of every source file, and the folder names made of them, in every byte written.
        var identifiers = new HashSet<string>(StringComparer.Ordinal) { PatientA, PatientB, NameA, NameB, BirthA, BirthB, "1963-04-17", "1951-11-02" };
        foreach (var file in Directory.GetFiles(export, "*.dcm", SearchOption.AllDirectories).Where(f => !f.Contains("truncated")))
        {
            var d = DicomFileReader.Read(file).Dataset;
            foreach (var value in new[] { d.PatientID, d.AccessionNumber, d.StudyInstanceUID, d.SeriesInstanceUID, d.SOPInstanceUID, d.GetString(DicomTag.PatientBirthDate) })
                if (value is { Length: > 0 }) identifiers.Add(value);
        }
        identifiers.Add("ACC-55823-XY"); // the truncated file's
        Assert.Contains("ACC-55821-XY", identifiers);
        var written = Directory.GetFiles(output, "*", SearchOption.AllDirectories);
        Assert.Contains(written, f => f.EndsWith("unreadable.csv"));
        foreach (var file in written)
        {
            var bytes = File.ReadAllBytes(file);
            foreach (var id in identifiers)
                Assert.True(bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(id)) < 0, $"{Path.GetRelativePath(output, file)} holds the identifier {id}");
        }

        var keyId = new Pseudonyms(Convert.FromHexString(File.ReadAllText(key).Trim())).KeyId;
        Assert.Contains($"under the key with id {keyId}", File.ReadAllText(Path.Combine(output, "flow.html")));

        // Pseudonyms: patients keep their images together (two accessions of patient A), splits group by them.
        var manifest = ManifestCsv.Read(Path.Combine(output, "manifest.csv"), new ValidationReport());
        Assert.Equal(3, manifest.Rows.Count);
        Assert.All(manifest.Rows, r => Assert.Matches("^P[0-9A-F]{16}$", r.PatientId));
        Assert.All(manifest.Rows, r => Assert.Matches("^A[0-9A-F]{16}$", r.Accession));
        Assert.All(manifest.Rows, r => Assert.Matches(@"^2\.25\.\d+$", r.ImageId));
        Assert.All(manifest.Rows, r => Assert.Equal($"images/{r.ImageId}.png", r.Path));
        Assert.Equal(2, manifest.Rows.Select(r => r.PatientId).Distinct().Count());
        Assert.Equal(3, manifest.Rows.Select(r => r.Accession).Distinct().Count());
        Assert.Equal(new[] { 53.0, 53.0, 65.0 }, manifest.Rows.Select(r => r.Age!.Value).Order()); // ages from the birth dates, kept
        var plan = PatientSplitter.Split(manifest, new SplitOptions());
        Assert.Equal(new[] { 1, 2 }, plan.Patients.Select(p => p.Images.Count).Order());
        var unreadable = File.ReadAllLines(Path.Combine(output, "unreadable.csv"));
        Assert.Matches("^S[0-9A-F]{16},", unreadable[1]);
        Assert.Contains(PatientA + "/truncated.dcm", text); // the console names the real file

        // The same key (by --key, into another folder) gives the same outputs; a second run into the same folder too.
        var again = dir.File("again");
        (code, text) = RunCaptured("ingest", export, "-o", again, "--key", key);
        Assert.True(code == 0, text);
        foreach (var name in new[] { "manifest.csv", "flow.csv", "flow.html", "unreadable.csv" })
            Assert.Equal(File.ReadAllText(Path.Combine(output, name)), File.ReadAllText(Path.Combine(again, name)));
        (code, text) = RunCaptured("ingest", export, "-o", output);
        Assert.True(code == 0, text);
        Assert.Contains("3 images (0 rendered, 3 already there)", text);
        Assert.Contains("pseudonyms made with the key", text);

        // Another key gives other pseudonyms for the same sources.
        var other = dir.File("other");
        (code, text) = RunCaptured("ingest", export, "-o", other, "--key-out", dir.File("keys/other.key"));
        Assert.True(code == 0, text);
        var otherRows = ManifestCsv.Read(Path.Combine(other, "manifest.csv"), new ValidationReport()).Rows;
        Assert.Empty(otherRows.Select(r => r.PatientId).Intersect(manifest.Rows.Select(r => r.PatientId)));
        Assert.Empty(otherRows.Select(r => r.ImageId).Intersect(manifest.Rows.Select(r => r.ImageId)));

        // A key inside the output folder (usage, 2), a missing --key and a bad key file (1) are refused, naming the file.
        File.WriteAllText(dir.File("bad.key"), "not hex");
        var refusals = new (string Option, string Key, int Exit, string Message)[]
        {
            ("--key-out", dir.File("third/k.key"), 2, "inside the output folder"),
            ("--key", dir.File("missing.key"), 1, "missing.key: pseudonym key file not found"),
            ("--key", dir.File("bad.key"), 1, "bad.key: not a pseudonym key"),
        };
        foreach (var (option, keyFile, exit, message) in refusals)
        {
            (code, text) = RunCaptured("ingest", export, "-o", dir.File("third"), option, keyFile);
            Assert.True(code == exit && text.Contains(message), $"{option} {keyFile}: exit {code}, {text}");
            Assert.False(File.Exists(dir.File("third/manifest.csv")));
        }
    }

    [Fact]
    public void PseudonymsAreKeyedAndUidsStayValid()
    {
        var k1 = new Pseudonyms(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());
        var k2 = new Pseudonyms(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
        Assert.Equal(k1.Patient("123"), new Pseudonyms(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()).Patient("123"));
        Assert.NotEqual(k1.Patient("123"), k2.Patient("123"));
        Assert.NotEqual(k1.Patient("123"), k1.Patient("124"));
        Assert.NotEqual(k1.Patient("123")[1..], k1.Accession("123")[1..]); // kinds are kept apart
        var uid = k1.Uid("1.2.840.113619.2.55.3.604688119");
        Assert.Matches(@"^2\.25\.[1-9]\d*$", uid);
        Assert.True(uid.Length <= 64, "a UID has at most 64 characters");
        Assert.Throws<ArgumentException>(() => new Pseudonyms(new byte[16]));
    }

    static string[] Keys(string patient, string name, string birth, string accession, string time) =>
    [
        "Modality=DX", "BodyPartExamined=CHEST", "ViewPosition=PA", $"PatientID={patient}", $"PatientName={name}", $"PatientBirthDate={birth}",
        $"AccessionNumber={accession}", "StudyDate=20161130", $"ContentTime={time}", $"AcquisitionTime={time}", "PatientSex=O",
    ];

    /// <summary>Patient A with two accessions, patient B with one, and a truncated file; folders named by patient id, as some exports are.</summary>
    static string MakeExport(TempFolder dir)
    {
        for (int i = 0; i < 3; i++)
            PngWriter.Write(new GreyImage(64, 64, Pleura.Phantoms.PhantomDataset.RenderOne(11, i, 64, i, 1).Image), dir.File($"p{i}.png"));
        var export = dir.File("export");
        DicomPhantoms.FromPng(dir.File("p0.png"), Path.Combine(export, PatientA, "1.dcm"), Keys(PatientA, NameA, BirthA, "ACC-55821-XY", "101010"));
        DicomPhantoms.FromPng(dir.File("p1.png"), Path.Combine(export, PatientA, "2.dcm"), Keys(PatientA, NameA, BirthA, "ACC-55822-XY", "111111"));
        DicomPhantoms.FromPng(dir.File("p2.png"), Path.Combine(export, PatientB, "1.dcm"), Keys(PatientB, NameB, BirthB, "ACC-77123-ZZ", "121212"));
        var whole = DicomPhantoms.FromPng(dir.File("p2.png"), dir.File("whole.dcm"), Keys(PatientA, NameA, BirthA, "ACC-55823-XY", "131313"));
        var bytes = File.ReadAllBytes(whole);
        File.WriteAllBytes(Path.Combine(export, PatientA, "truncated.dcm"), bytes[..(bytes.Length - 300)]);
        return export;
    }
}
