using System.Diagnostics;
using System.Text;
using Pleura.Dicom.Results;
using Pleura.Dicom.Writing;

namespace Pleura.Dicom.Tests;

/// <summary>The Part-10 writer and the result objects, read back by Pleura's reader and by dcmtk (and dciodvfy).</summary>
public class WriterTests
{
    static DicomDataset Sample() => new DicomDatasetBuilder()
        .Uid(DicomTag.SOPClassUID, "1.2.840.10008.5.1.4.1.1.1")
        .Uid(DicomTag.SOPInstanceUID, DicomUid.New())             // odd or even length: padded with NUL
        .Text(ResultTags.PatientName, "PN", "Müller^Zoë")             // non-ASCII: UTF-8 with ISO_IR 192
        .Text(DicomTag.PatientID, "LO", "P1")
        .Text(DicomTag.Modality, "CS", "CR")
        .Text(DicomTag.ViewPosition, "CS", "PA")
        .Text(DicomTag.BodyPartExamined, "CS", "CHEST")
        .Uid(DicomTag.StudyInstanceUID, "1.2.3.4.5")                  // odd: 9 characters
        .Uid(DicomTag.SeriesInstanceUID, "1.2.3.4.5.6")
        .Texts(DicomTag.ImageType, "CS", "ORIGINAL", "PRIMARY")
        .Decimal(DicomTag.WindowCenter, 127.5)
        .Integer(ResultTags.InstanceNumber, 7)
        .Text(DicomTag.PatientSex, "CS", null)                        // type 2: empty
        .Sequence(ResultTags.ReferencedSeriesSequence,
            new DicomDatasetBuilder().Uid(DicomTag.SeriesInstanceUID, "1.2.3")
                .Sequence(ResultTags.ReferencedSOPSequence, new DicomDatasetBuilder().Uid(ResultTags.ReferencedSOPInstanceUID, "1.2.3.4").Build()).Build(),
            new DicomDatasetBuilder().Text(ResultTags.SeriesDescription, "LO", "odd").Build())
        .Sequence(ResultTags.PerformedProcedureCodeSequence)          // empty sequence
        .UShort(DicomTag.SamplesPerPixel, 1)
        .Text(DicomTag.PhotometricInterpretation, "CS", "MONOCHROME2")
        .UShort(DicomTag.Rows, 3).UShort(DicomTag.Columns, 3)
        .UShort(DicomTag.BitsAllocated, 8).UShort(DicomTag.BitsStored, 8).UShort(DicomTag.HighBit, 7).UShort(DicomTag.PixelRepresentation, 0)
        .Bytes(DicomTag.PixelData, "OB", [0, 32, 64, 96, 128, 160, 192, 224, 255])  // 9 bytes: padded
        .Build();

    [Theory]
    [InlineData(SequenceLengths.Undefined)]
    [InlineData(SequenceLengths.Defined)]
    public void Round_trips_through_pleuras_reader(SequenceLengths sequences)
    {
        var written = Sample();
        var bytes = DicomFileWriter.ToBytes(written, sequences);
        Assert.Equal(0, bytes.Length % 2);
        var file = DicomFileReader.Read(bytes, "written");
        Assert.True(file.HasPreamble);
        Assert.Equal(TransferSyntax.ExplicitVRLittleEndian, file.TransferSyntax);
        Assert.Equal(written.SOPInstanceUID, file.FileMeta.GetString(new DicomTag(0x0002, 0x0003)));
        // The group length counts exactly the meta elements after it.
        int metaEnd = 132 + 12 + (int)file.FileMeta.GetInts(DicomTag.FileMetaInformationGroupLength)[0];
        Assert.Equal((byte)0x08, bytes[metaEnd]); // the dataset's first element, group 0008
        var read = file.Dataset;
        Assert.Equal("ISO_IR 192", read.GetString(new DicomTag(0x0008, 0x0005)));
        Assert.Equal("Müller^Zoë", read.GetString(ResultTags.PatientName));
        Assert.Equal("1.2.3.4.5", read.StudyInstanceUID);
        Assert.Equal(10, read.Get(DicomTag.StudyInstanceUID)!.Value.Length);
        Assert.Equal(0, read.Get(DicomTag.StudyInstanceUID)!.Value.Span[^1]);
        Assert.Equal(["ORIGINAL", "PRIMARY"], read.ImageType);
        Assert.Equal(127.5, read.GetDouble(DicomTag.WindowCenter));
        Assert.Equal(7, read.GetInt(ResultTags.InstanceNumber));
        Assert.Null(read.PatientSex);
        Assert.True(read.Contains(DicomTag.PatientSex));
        var series = read.GetSequence(ResultTags.ReferencedSeriesSequence);
        Assert.Equal(2, series.Count);
        Assert.Equal("1.2.3.4", series[0].GetSequence(ResultTags.ReferencedSOPSequence)[0].GetString(ResultTags.ReferencedSOPInstanceUID));
        Assert.Equal("odd", series[1].GetString(ResultTags.SeriesDescription));
        Assert.Empty(read.GetSequence(ResultTags.PerformedProcedureCodeSequence));
        Assert.Equal(3, read.Rows);
        var pixels = read.Get(DicomTag.PixelData)!.Value.ToArray();
        Assert.Equal(10, pixels.Length);
        Assert.Equal(255, pixels[8]);
        // Elements are in ascending tag order.
        Assert.Equal(read.Elements.Select(e => e.Tag).Order(), read.Elements.Select(e => e.Tag));
    }

    [SkippableTheory]
    [InlineData(SequenceLengths.Undefined)]
    [InlineData(SequenceLengths.Defined)]
    public void Dcmdump_parses_the_written_file_without_complaint(SequenceLengths sequences)
    {
        Tools.Require("dcmdump");
        using var temp = new TempFolder();
        var path = temp.File("written.dcm");
        DicomFileWriter.Write(path, Sample(), sequences);
        var dump = Dcmtk("dcmdump", "-dc", "+E", path);
        Assert.Contains("(0010,0010) PN [Müller^Zoë]", dump);
        Assert.Contains("(0002,0010) UI =LittleEndianExplicit", dump);
        Assert.Contains("(0020,000d) UI [1.2.3.4.5", dump);
        Assert.Contains(sequences == SequenceLengths.Undefined ? "(Sequence with undefined length #=2)" : "(Sequence with explicit length #=2)", dump);
    }

    [Fact]
    public void Uids_are_2_25_decimal_integers_unique_and_short_enough()
    {
        var uids = Enumerable.Range(0, 200).Select(_ => DicomUid.New()).ToList();
        Assert.All(uids, u => Assert.Matches(@"^2\.25\.(0|[1-9][0-9]*)$", u));
        Assert.All(uids, u => Assert.InRange(u.Length, 6, 64));
        Assert.Equal(uids.Count, uids.Distinct().Count());
        Assert.Equal("2.25.0", DicomUid.FromGuid(Guid.Empty));
        Assert.Equal("2.25.340282366920938463463374607431768211455", DicomUid.FromGuid(new Guid("ffffffff-ffff-ffff-ffff-ffffffffffff")));
        Assert.Equal(DicomUid.FromName("a"), DicomUid.FromName("a"));
        Assert.NotEqual(DicomUid.FromName("a"), DicomUid.FromName("b"));
    }

    [Fact]
    public void A_value_too_long_for_its_vr_is_refused_with_the_tag()
    {
        var dataset = new DicomDatasetBuilder().Uid(DicomTag.SOPClassUID, "1.2").Uid(DicomTag.SOPInstanceUID, "1.3")
            .Text(ResultTags.SeriesDescription, "LO", new string('x', 70000)).Build();
        var e = Assert.Throws<ArgumentException>(() => DicomFileWriter.ToBytes(dataset));
        Assert.Contains("SeriesDescription (0008,103E)", e.Message);
    }

    // ---- result objects ----

    static DicomDataset SourceImage() => new DicomDatasetBuilder()
        .Uid(DicomTag.SOPClassUID, "1.2.840.10008.5.1.4.1.1.1")
        .Uid(DicomTag.SOPInstanceUID, "1.2.826.0.1.3680043.2.1125.7.1")
        .Uid(DicomTag.StudyInstanceUID, "1.2.826.0.1.3680043.2.1125.7")
        .Uid(DicomTag.SeriesInstanceUID, "1.2.826.0.1.3680043.2.1125.7.0")
        .Text(ResultTags.PatientName, "PN", "Phantom^One")
        .Text(DicomTag.PatientID, "LO", "PH-0001")
        .Text(DicomTag.PatientSex, "CS", "F")
        .Text(DicomTag.StudyDate, "DA", "20240102")
        .Text(DicomTag.AccessionNumber, "SH", "ACC1")
        .Text(DicomTag.Modality, "CS", "CR")
        .Build();

    static readonly ObserverDevice Model = new("2.25.1234", "pleura grading run r1", "Pleura", "resnet10-w16", "fold 0, checkpoint 3f2a");

    static DicomDataset Report(DicomDataset source) => MeasurementReport.Build(source,
        [
            new LungMeasurement(LungSide.Right, 2, [0.05, 0.15, 0.6, 0.2], 1.95, 48.5),
            new LungMeasurement(LungSide.Left, 0, [0.7, 0.2, 0.07, 0.03], 0.43),
        ], Model, SeriesPlacement.NewSeries(9001, "Pleura opacity grades", new DateTime(2026, 11, 30, 12, 0, 0)));

    [Fact]
    public void The_report_is_in_the_source_study_in_a_new_series_and_names_the_image()
    {
        var source = SourceImage();
        var sr = DicomFileReader.Read(DicomFileWriter.ToBytes(Report(source)), "sr").Dataset;
        Assert.Equal(MeasurementReport.ComprehensiveSrSopClassUid, sr.SOPClassUID);
        Assert.Equal(source.StudyInstanceUID, sr.StudyInstanceUID);
        Assert.NotEqual(source.SeriesInstanceUID, sr.SeriesInstanceUID);
        Assert.Equal("SR", sr.Modality);
        Assert.Equal("PH-0001", sr.PatientID);
        Assert.Equal("ACC1", sr.AccessionNumber);
        var evidence = Assert.Single(sr.GetSequence(ResultTags.CurrentRequestedProcedureEvidenceSequence));
        Assert.Equal(source.StudyInstanceUID, evidence.StudyInstanceUID);
        var series = Assert.Single(evidence.GetSequence(ResultTags.ReferencedSeriesSequence));
        Assert.Equal(source.SeriesInstanceUID, series.SeriesInstanceUID);
        Assert.Equal(source.SOPInstanceUID, Assert.Single(series.GetSequence(ResultTags.ReferencedSOPSequence)).GetString(ResultTags.ReferencedSOPInstanceUID));
    }

    [SkippableFact]
    public void Dsrdump_prints_the_measurement_report_tree()
    {
        Tools.Require("dsrdump", "dcmdump");
        using var temp = new TempFolder();
        var path = temp.File("sr.dcm");
        DicomFileWriter.Write(path, Report(SourceImage()));
        Dcmtk("dcmdump", "-dc", "+E", path);
        var tree = Dcmtk("dsrdump", "-Ee", "-Ec", "+Pc", "+Pu", "+Pt", path);
        Assert.Contains("Comprehensive SR Document", tree);
        Assert.Contains("<CONTAINER:(126000,DCM,\"Imaging Measurement Report\")=SEPARATE>  # TID 1500 (DCMR)", tree);
        Assert.Contains("<has obs context CODE:(121005,DCM,\"Observer Type\")=(121007,DCM,\"Device\")>", tree);
        Assert.Contains("<has obs context TEXT:(121015,DCM,\"Device Observer Model Name\")=\"resnet10-w16\">", tree);
        Assert.Contains("<has obs context UIDREF:(121012,DCM,\"Device Observer UID\")=\"2.25.1234\">", tree);
        Assert.Contains("<has concept mod CODE:(363698007,SCT,\"Finding Site\")=(3341006,SCT,\"Right lung structure\")>", tree);
        Assert.Contains("<contains CODE:(OPACITY-GRADE,99PLEURA,\"Lung opacity grade\")=(GRADE-2,99PLEURA,\"Grade 2: one to two thirds opaque\")>", tree);
        Assert.Contains("<contains CODE:(OPACITY-GRADE,99PLEURA,\"Lung opacity grade\")=(GRADE-0,99PLEURA,\"Grade 0: no opacity\")>", tree);
        Assert.Contains("<contains NUM:(P-GRADE-2,99PLEURA,\"Probability of opacity grade 2\")=\"0.6\" (1,UCUM,\"no units\")>", tree);
        Assert.Contains("<contains NUM:(EXPECTED-GRADE,99PLEURA,\"Expected lung opacity grade\")=\"1.95\" ({grade},UCUM,\"grade\")>", tree);
        Assert.Contains("<contains NUM:(OPACITY-PERCENT,99PLEURA,\"Percent of lung opaque\")=\"48.5\" (%,UCUM,\"percent\")>", tree);
        Assert.Contains("<contains IMAGE:=(CR image,\"1.2.826.0.1.3680043.2.1125.7.1\")>", tree);
        Assert.Equal(2, tree.Split('\n').Count(l => l.Contains("<inferred from IMAGE:=(CR image,\"1.2.826.0.1.3680043.2.1125.7.1\")>", StringComparison.Ordinal)));
        Assert.Single(tree.Split('\n'), l => l.Contains("OPACITY-PERCENT", StringComparison.Ordinal)); // only the right lung had one
    }

    [SkippableFact]
    public void Dciodvfy_finds_no_errors_in_the_report_and_the_secondary_capture()
    {
        Tools.Require("dciodvfy");
        using var temp = new TempFolder();
        var sr = temp.File("sr.dcm");
        DicomFileWriter.Write(sr, Report(SourceImage()));
        var sc = temp.File("sc.dcm");
        DicomFileWriter.Write(sc, Capture(SourceImage()));
        foreach (var path in new[] { sr, sc })
        {
            var (_, output) = Execute("dciodvfy", path);
            var errors = output.Split('\n').Where(l => l.StartsWith("Error", StringComparison.Ordinal)).ToList();
            Assert.True(errors.Count == 0, $"{Path.GetFileName(path)}:\n{output}");
        }
    }

    static DicomDataset Capture(DicomDataset source)
    {
        const int width = 5, height = 4;
        var rgb = Enumerable.Range(0, width * height * 3).Select(i => (byte)(i * 4)).ToArray();
        return SecondaryCapture.Build(source, rgb, width, height, SeriesPlacement.NewSeries(9002, "Pleura heatmaps", DateTime.UtcNow), "Grad-CAM overlay");
    }

    [SkippableFact]
    public void The_secondary_capture_is_rgb_in_the_source_study_and_references_the_source()
    {
        var source = SourceImage();
        using var temp = new TempFolder();
        var path = temp.File("sc.dcm");
        DicomFileWriter.Write(path, Capture(source));
        var sc = DicomFileReader.Read(path).Dataset;
        Assert.Equal(SecondaryCapture.SopClassUid, sc.SOPClassUID);
        Assert.Equal(source.StudyInstanceUID, sc.StudyInstanceUID);
        Assert.Equal("RGB", sc.PhotometricInterpretation);
        Assert.Equal((4, 5), (sc.Rows, sc.Columns));
        Assert.Equal(source.SOPInstanceUID, Assert.Single(sc.GetSequence(ResultTags.SourceImageSequence)).GetString(ResultTags.ReferencedSOPInstanceUID));
        Assert.Equal(60, sc.Get(DicomTag.PixelData)!.Value.Length);

        Tools.Require("dcmdump", "dcm2pnm");
        Dcmtk("dcmdump", "-dc", "+E", path);
        var ppm = temp.File("sc.ppm");
        Tools.Run("dcm2pnm", temp.Path, "+op", path, ppm);
        var bytes = File.ReadAllBytes(ppm);
        Assert.Equal(Enumerable.Range(0, 60).Select(i => (byte)(i * 4)), bytes[^60..]);
    }

    /// <summary>Runs a dcmtk tool and fails on a non-zero exit or any error / warning line (dcmtk prefixes them "E:" / "W:").</summary>
    internal static string Dcmtk(string tool, params string[] args)
    {
        var (code, output) = Execute(tool, args);
        Assert.True(code == 0, $"{tool} exited {code}:\n{output}");
        var complaints = output.Split('\n').Where(l => l.StartsWith("E: ", StringComparison.Ordinal) || l.StartsWith("W: ", StringComparison.Ordinal)).ToList();
        Assert.True(complaints.Count == 0, $"{tool} complained:\n{string.Join('\n', complaints)}");
        return output;
    }

    static (int Code, string Output) Execute(string tool, params string[] args)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, StandardOutputEncoding = Encoding.UTF8 };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout + stderr.Result);
    }
}

/// <summary>Real files of ../shared/data/dicom moved to another study by the writer: same pixels, dcmtk content.</summary>
public class RewriteTests
{
    [SkippableTheory]
    [InlineData("c64d5667-a776-4f95-9e21-bfabafb07740.dcm")] // JPEG baseline: fragments kept
    [InlineData("RG3_JLSL.dcm")]                             // JPEG-LS lossless
    [InlineData("CR-MONO1-10-chest")]                        // a bare implicit VR dataset, native pixels
    public void A_file_rewritten_into_another_study_keeps_its_pixels(string name)
    {
        var path = SharedDicom.Require(name);
        var original = DicomFileReader.Read(path);
        var builder = new DicomDatasetBuilder();
        foreach (var e in original.Dataset.Elements) builder.Add(e);
        var study = DicomUid.New();
        builder.Uid(DicomTag.StudyInstanceUID, study);
        if (original.Dataset.SOPClassUID is null) builder.Uid(DicomTag.SOPClassUID, "1.2.840.10008.5.1.4.1.1.1");
        if (original.Dataset.SOPInstanceUID is null) builder.Uid(DicomTag.SOPInstanceUID, DicomUid.New());
        var syntax = original.TransferSyntax.Pixels == PixelEncoding.Native ? TransferSyntax.ExplicitVRLittleEndian : original.TransferSyntax;
        using var temp = new TempFolder();
        var copy = temp.File("copy.dcm");
        DicomFileWriter.Write(copy, builder.Build(), syntax: syntax);

        var read = DicomFileReader.Read(copy);
        Assert.Equal(study, read.Dataset.StudyInstanceUID);
        Assert.Equal(syntax, read.TransferSyntax);
        Assert.Equal(PixelDataDecoder.DecodeFrame(original).Values, PixelDataDecoder.DecodeFrame(read).Values);
        if (Tools.Available("dcmdump")) WriterTests.Dcmtk("dcmdump", "-dc", "+E", copy);
    }

    [Fact]
    public void Compressed_pixels_under_a_native_syntax_are_refused()
    {
        var dataset = new DicomDatasetBuilder().Uid(DicomTag.SOPClassUID, "1.2").Uid(DicomTag.SOPInstanceUID, "1.3")
            .Add(new DicomElement(DicomTag.PixelData, DicomVR.OB, ReadOnlyMemory<byte>.Empty) { Fragments = new EncapsulatedPixelData([], [new byte[] { 1, 2 }]) })
            .Build();
        var e = Assert.Throws<ArgumentException>(() => DicomFileWriter.ToBytes(dataset));
        Assert.Contains("name its transfer syntax", e.Message, StringComparison.Ordinal);
        Assert.NotEmpty(DicomFileWriter.ToBytes(dataset, syntax: TransferSyntax.JpegBaseline));
    }
}
