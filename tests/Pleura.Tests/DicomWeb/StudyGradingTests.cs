using System.Text.RegularExpressions;
using Pleura.Cli.Commands;
using Pleura.Dicom;
using Pleura.Dicom.Results;
using Pleura.Dicom.Writing;
using Pleura.DicomWeb;
using Pleura.Grading;
using Pleura.Tests.Cli;

namespace Pleura.Tests.DicomWeb;

/// <summary>A tiny trained grading run and phantoms written as DICOM, for grading studies on a PACS.</summary>
public sealed class StudyGradingWorld : IDisposable
{
    readonly TempFolder root = new();
    public string File(string name) => Path.Combine(root.Path, name);
    public string Run => File("run");

    public StudyGradingWorld()
    {
        Check(CliRunner.Run("phantoms", "--count", "40", "--size", "64", "--seed", "3", "--dicom", "--out", File("ph")));
        Check(CliRunner.Run("split", File("ph/manifest.csv"), "--out", File("split.json"), "--seed", "1"));
        Check(CliRunner.Run("train", "-m", File("ph/manifest.csv"), "-s", File("split.json"), "-o", Run, "--arch", "resnet10-w16", "--size", "64",
            "--epochs1", "1", "--epochs2", "1", "--batch", "16", "--seed", "1"));
    }

    /// <summary>
    /// A phantom's DICOM file moved into <paramref name="studyUid"/> of one patient (a PACS keys a study by patient and
    /// study UID), a new series and instance each, optionally with another view.
    /// </summary>
    public DicomDataset PhantomInStudy(int index, string studyUid, string? view = null)
    {
        var original = DicomFileReader.Read(File($"ph/dicom/ph{index:D5}.dcm")).Dataset;
        var builder = new DicomDatasetBuilder();
        foreach (var e in original.Elements) builder.Add(e);
        builder.Uid(DicomTag.StudyInstanceUID, studyUid).Uid(DicomTag.SeriesInstanceUID, DicomUid.New()).Uid(DicomTag.SOPInstanceUID, DicomUid.New())
            .Text(DicomTag.PatientID, "LO", "pt-study").Text(ResultTags.PatientName, "PN", "Phantom^Study");
        if (view is not null) builder.Text(DicomTag.ViewPosition, "CS", view);
        return builder.Build();
    }

    static void Check(int code)
    {
        if (code != 0) throw new InvalidOperationException($"setting up the study grading world failed (exit {code})");
    }

    public void Dispose() => root.Dispose();
}

/// <summary>
/// `pleura grade-study` end to end against a real Orthanc: phantoms uploaded as one study, graded, and the SR and SC
/// found by Orthanc in that same study; the SR read back by dsrdump says the grades Pleura's predict gives.
/// </summary>
public class StudyGradingTests(OrthancServer orthanc, StudyGradingWorld world) : IClassFixture<OrthancServer>, IClassFixture<StudyGradingWorld>
{
    [SkippableFact]
    public async Task Grades_a_study_and_stores_the_report_and_overlay_in_the_same_study()
    {
        DicomTools.Require("dcmdump", "dsrdump");
        orthanc.Start();
        using var client = orthanc.Client();
        var studyUid = DicomUid.New();
        var frontal = new[] { 1, 2, 3 }.Select(i => world.PhantomInStudy(i, studyUid)).ToList();
        var lateral = world.PhantomInStudy(4, studyUid, view: "LL");
        var report = MeasurementReport.Build(frontal[0], [new LungMeasurement(LungSide.Left, 1, [0, 1, 0, 0], 1)],
            new ObserverDevice("2.25.1", "someone else", "x", "y", "z"), SeriesPlacement.NewSeries(5, "an earlier report", DateTime.Now));
        var uploads = frontal.Append(lateral).Append(report).ToList();
        var stored = await client.StoreAsync(uploads.Select(d => DicomFileWriter.ToBytes(d)).ToList(), studyUid);
        Assert.Empty(stored.Failed);

        // Pleura's own predict on the same bytes: the grades the reports must carry.
        var local = world.File("uploaded-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(local);
        var files = frontal.Select(d => { var f = Path.Combine(local, d.SOPInstanceUID + ".dcm"); DicomFileWriter.Write(f, d); return f; }).ToList();
        var (expected, failures, _) = ImagePrediction.Predict(world.Run, files);
        Assert.Empty(failures);
        int Expected(string sop, string side) => expected.Single(p => p.ImageId.EndsWith(sop + ".dcm", StringComparison.Ordinal) && p.Side == side).Predicted;

        var output = world.File("out-" + Guid.NewGuid().ToString("N")[..6]);
        var (code, printed) = WithPassword(() => CliRunner.RunCaptured("grade-study", "--pacs", orthanc.DicomWebRoot.ToString(), "--study", studyUid,
            "--run", world.Run, "--overlay", "-o", output, "--user", OrthancServer.User));
        Assert.True(code == 0, printed);
        Assert.Contains($"not graded: {lateral.SOPInstanceUID}: lateral view (LL)", printed, StringComparison.Ordinal);
        Assert.Contains($"not graded: {report.SOPInstanceUID}: not a radiograph (modality SR", printed, StringComparison.Ordinal);
        Assert.Contains("3 image(s) graded, 2 skipped; 6 object(s) stored", printed, StringComparison.Ordinal);
        Assert.Equal(3, Regex.Count(printed, "stored SR "));
        Assert.Equal(3, Regex.Count(printed, "stored SC "));
        Assert.True(System.IO.File.Exists(Path.Combine(output, "grade-study.json")));

        // Orthanc's REST API: one study holds the 4 images, the earlier report and the new SR and SC series.
        var studyId = FindStudy(studyUid);
        var series = orthanc.Rest($"studies/{studyId}/series").EnumerateArray().ToList();
        var byModality = series.GroupBy(s => s.GetProperty("MainDicomTags").GetProperty("Modality").GetString()).ToDictionary(g => g.Key!, g => g.ToList());
        Assert.Equal(4, byModality["CR"].Count);
        Assert.Equal(2, byModality["SR"].Count); // the earlier report's series and Pleura's
        var ours = byModality["SR"].Single(s => s.GetProperty("MainDicomTags").GetProperty("SeriesDescription").GetString() == "Pleura lung opacity grades");
        Assert.Equal(3, ours.GetProperty("Instances").GetArrayLength());
        Assert.Equal(3, Assert.Single(byModality["OT"]).GetProperty("Instances").GetArrayLength());

        // The SRs retrieved over WADO-RS, read by dsrdump: each names its image and carries predict's grades.
        var srSeries = (await client.SearchSeriesAsync(studyUid)).Single(s => s.Modality == "SR" && s.GetString(ResultTags.SeriesDescription) == "Pleura lung opacity grades");
        var reports = await client.RetrieveSeriesAsync(studyUid, srSeries.SeriesInstanceUID!);
        Assert.Equal(3, reports.Count);
        foreach (var bytes in reports)
        {
            var path = Path.Combine(local, "sr.dcm");
            await System.IO.File.WriteAllBytesAsync(path, bytes);
            DicomTools.Run("dcmdump", "-dc", "+E", path);
            var tree = DicomTools.Run("dsrdump", "-Ee", "-Ec", "+Pc", "+Pu", path);
            var sr = DicomFileReader.Read(bytes, "sr").Dataset;
            Assert.Equal(studyUid, sr.StudyInstanceUID);
            var source = sr.GetSequence(ResultTags.CurrentRequestedProcedureEvidenceSequence)[0].GetSequence(ResultTags.ReferencedSeriesSequence)[0]
                .GetSequence(ResultTags.ReferencedSOPSequence)[0].GetString(ResultTags.ReferencedSOPInstanceUID)!;
            Assert.Contains(frontal, f => f.SOPInstanceUID == source);
            Assert.Contains($"<contains IMAGE:=(CR image,\"{source}\")>", tree, StringComparison.Ordinal);
            Assert.Equal([Expected(source, "right"), Expected(source, "left")], Grades(tree));
            Assert.Contains("<has obs context TEXT:(121015,DCM,\"Device Observer Model Name\")=\"resnet10-w16\">", tree, StringComparison.Ordinal);
        }

        // The overlays: RGB Secondary Captures naming their source image, parsed by dcmdump without complaint.
        var scSeries = (await client.SearchSeriesAsync(studyUid)).Single(s => s.Modality == "OT");
        foreach (var bytes in await client.RetrieveSeriesAsync(studyUid, scSeries.SeriesInstanceUID!))
        {
            var path = Path.Combine(local, "sc.dcm");
            await System.IO.File.WriteAllBytesAsync(path, bytes);
            DicomTools.Run("dcmdump", "-dc", "+E", path);
            var sc = DicomFileReader.Read(bytes, "sc").Dataset;
            Assert.Equal(SecondaryCapture.SopClassUid, sc.SOPClassUID);
            Assert.Equal("RGB", sc.PhotometricInterpretation);
            Assert.Contains(frontal, f => f.SOPInstanceUID == sc.GetSequence(ResultTags.SourceImageSequence)[0].GetString(ResultTags.ReferencedSOPInstanceUID));
            Assert.True(sc.Rows >= 256);
        }

        // Graded again: Pleura's own reports and overlays are passed over (not radiographs), the images graded alike.
        var (again, printedAgain) = WithPassword(() => CliRunner.RunCaptured("grade-study", "--pacs", orthanc.DicomWebRoot.ToString(), "--study", studyUid,
            "--run", world.Run, "--user", OrthancServer.User));
        Assert.True(again == 0, printedAgain);
        Assert.Contains("3 image(s) graded, 8 skipped; 3 object(s) stored", printedAgain, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void An_unknown_study_is_a_clear_error()
    {
        orthanc.Start();
        var (code, printed) = WithPassword(() => CliRunner.RunCaptured("grade-study", "--pacs", orthanc.DicomWebRoot.ToString(), "--study", "1.2.3.4.999",
            "--run", world.Run, "--user", OrthancServer.User));
        Assert.Equal(1, code);
        Assert.Contains("study 1.2.3.4.999 is not on the PACS", printed, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pacs_that_is_down_is_a_clear_error()
    {
        var url = $"http://127.0.0.1:{OrthancServer.FreePort()}/dicom-web/";
        var (code, printed) = CliRunner.RunCaptured("grade-study", "--pacs", url, "--study", "1.2.3", "--run", world.Run);
        Assert.Equal(1, code);
        Assert.Contains($"the PACS at {url} cannot be reached (connection refused: is the PACS running?)", printed, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pacs_that_does_not_answer_in_time_is_a_clear_error()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var url = $"http://127.0.0.1:{((System.Net.IPEndPoint)listener.LocalEndpoint).Port}/dicom-web/";
            var (code, printed) = CliRunner.RunCaptured("grade-study", "--pacs", url, "--study", "1.2.3", "--run", world.Run, "--timeout", "1");
            Assert.Equal(1, code);
            Assert.Contains($"the PACS at {url} did not answer GET {url}studies/1.2.3/instances within 1 s", printed, StringComparison.Ordinal);
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public void A_url_that_is_not_http_is_a_usage_error()
    {
        var (code, printed) = CliRunner.RunCaptured("grade-study", "--pacs", "pacs.example:8042", "--study", "1.2.3", "--run", world.Run);
        Assert.Equal(2, code);
        Assert.Contains("is not an http(s) URL", printed, StringComparison.Ordinal);
    }

    /// <summary>The opacity grades of a dsrdump tree in order: the right lung's group first, as Pleura writes them.</summary>
    static List<int> Grades(string tree) => Regex.Matches(tree, "\\(OPACITY-GRADE,99PLEURA,\"Lung opacity grade\"\\)=\\(GRADE-(\\d),").Select(m => int.Parse(m.Groups[1].Value)).ToList();

    string FindStudy(string studyUid)
    {
        foreach (var id in orthanc.Rest("studies").EnumerateArray().Select(s => s.GetString()!))
            if (orthanc.Rest($"studies/{id}").GetProperty("MainDicomTags").GetProperty("StudyInstanceUID").GetString() == studyUid) return id;
        throw new InvalidOperationException($"Orthanc has no study {studyUid}");
    }

    (int, string) WithPassword(Func<(int, string)> run)
    {
        var before = Environment.GetEnvironmentVariable(GradeStudyCommand.PasswordVariable);
        Environment.SetEnvironmentVariable(GradeStudyCommand.PasswordVariable, orthanc.Password);
        try { return run(); }
        finally { Environment.SetEnvironmentVariable(GradeStudyCommand.PasswordVariable, before); }
    }
}
