using Pleura.Benchmarks;
using Pleura.Imaging;
using Pleura.Tests.Dicom;
using static Pleura.Tests.Cli.CliRunner;

namespace Pleura.Tests.Benchmarks;

/// <summary>`pleura bench dicom`: throughput per transfer syntax, Pleura and the dcm2pnm flavour that decodes it.</summary>
[Collection("console")]
public class BenchDicomTests
{
    [SkippableFact]
    public void BenchDicomMeasuresEachTransferSyntaxAgainstDcmtk()
    {
        DicomPhantoms.RequireDcmtk();
        using var dir = new TempFolder();
        PngWriter.Write(new GreyImage(64, 64, Pleura.Phantoms.PhantomDataset.RenderOne(3, 0, 64, 1, 1).Image), dir.File("p.png"));
        var jpeg = DicomPhantoms.FromPng(dir.File("p.png"), dir.File("set/a"), "Modality=CR");
        DicomPhantoms.Run("dcmdjpeg", jpeg, dir.File("set/native.dcm"));
        File.WriteAllText(dir.File("set/notes.txt"), "not DICOM");

        var rows = DicomBenchmark.Run(dir.File("set"), [1, 2], seconds: 0.05);
        Assert.Equal(new[] { "Explicit VR Little Endian", "JPEG Baseline (Process 1)" }, rows.Select(r => r.TransferSyntax).Distinct());
        Assert.Equal(new[] { 1, 2, 1, 2 }, rows.Select(r => r.Threads));
        Assert.All(rows, r => Assert.True(r.PleuraImagesPerSecond > 0 && r.DcmtkImagesPerSecond > 0, $"{r}"));
        Assert.Equal(new[] { "dcm2pnm", "dcm2pnm", "dcmj2pnm", "dcmj2pnm" }, rows.Select(r => r.DcmtkTool));

        var (code, text) = RunCaptured("bench", "dicom", "--dir", dir.File("set"), "--seconds", "0.05", "--csv", dir.File("bench.csv"));
        Assert.True(code == 0, text);
        Assert.Contains("JPEG Baseline (Process 1)", text);
        Assert.Equal(5, File.ReadAllLines(dir.File("bench.csv")).Length);
        (code, text) = RunCaptured("bench", "dicom", "--dir", dir.File("missing"));
        Assert.Equal(1, code);
        Assert.Contains("missing: folder not found", text);
    }
}
