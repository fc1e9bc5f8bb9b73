using Pleura.Data;
using Pleura.DicomWorkflows;
using Pleura.Tests.Dicom;
using static Pleura.Tests.Cli.CliRunner;

namespace Pleura.Tests.Cli;

/// <summary>
/// `pleura ingest` on chest radiographs that dcmtk compressed as PACS archives do: lossless copies (JPEG process 14
/// SV1, JPEG-LS, RLE) are kept with the uncompressed file's pixels; lossy ones are kept and marked, or left out with
/// --exclude-lossy.
/// </summary>
[Collection("console")]
public class IngestCompressionTests
{
    static readonly string[] Tools = ["dcmcjpeg", "dcmcjpls", "dcmcrle"];

    static void RequireTools()
    {
        foreach (var tool in Tools)
            Skip.IfNot((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => d.Length > 0 && File.Exists(Path.Combine(d, tool))),
                $"{tool} is not installed (Debian: apt-get install dcmtk); the compression tests need it");
    }

    /// <summary>Phantom radiographs as DICOM (`pleura phantoms --dicom`), each copied through one dcmtk encoder.</summary>
    static (string Original, string Encoded) Export(TempFolder dir, string name, string tool, params string[] options)
    {
        var phantoms = dir.File("phantoms");
        if (!Directory.Exists(phantoms))
            Assert.Equal(0, Run("phantoms", "-n", "3", "-s", "128", "--dicom", "-o", phantoms));
        var original = Path.Combine(phantoms, "dicom");
        var encoded = dir.File(name);
        Directory.CreateDirectory(encoded);
        foreach (var file in Directory.GetFiles(original, "*.dcm"))
            DicomPhantoms.Run(tool, [.. options, file, Path.Combine(encoded, Path.GetFileName(file))]);
        return (original, encoded);
    }

    static Dictionary<string, ushort[]> Ingest(string export, string output, params string[] options)
    {
        var (code, text) = RunCaptured(["ingest", export, "-o", output, "--keep-identifiers", .. options]);
        Assert.True(code == 0, text);
        var manifest = ManifestCsv.Read(Path.Combine(output, DicomIngest.ManifestFile), new ValidationReport());
        return manifest.Rows.ToDictionary(r => r.GetExtra("sop_uid"), r => DicomPhantoms.Png16(Path.Combine(output, r.Path)));
    }

    [SkippableTheory]
    [InlineData("jpeg-lossless-sv1", "dcmcjpeg", "--encode-lossless-sv1")]
    [InlineData("jpeg-ls-lossless", "dcmcjpls", "--encode-lossless")]
    [InlineData("rle", "dcmcrle")]
    public void LosslessCompressedRadiographsAreKeptWithTheUncompressedPixels(string name, string tool, params string[] options)
    {
        RequireTools();
        using var dir = new TempFolder();
        var (original, encoded) = Export(dir, name, tool, options);
        var expected = Ingest(original, dir.File("out-original"));
        var ingested = Ingest(encoded, dir.File("out-" + name));

        Assert.Equal(3, expected.Count);
        Assert.Equal(expected.Keys.Order(), ingested.Keys.Order());
        foreach (var (uid, pixels) in expected) Assert.Equal(pixels, ingested[uid]);
        var flow = IngestTests.ReadFlow(Path.Combine(dir.File("out-" + name), DicomIngest.FlowFile));
        Assert.Equal((0, 0, 3), (flow[DicomIngest.PostProcessed], flow[DicomIngest.LossyKept], flow[DicomIngest.Ingested]));
    }

    [SkippableFact]
    public void LossyCompressedRadiographsAreKeptAndMarkedOrLeftOutWhenAsked()
    {
        RequireTools();
        using var dir = new TempFolder();
        var (_, encoded) = Export(dir, "jpeg-baseline", "dcmcjpeg", "--encode-baseline");

        var kept = dir.File("kept");
        Assert.Equal(3, Ingest(encoded, kept).Count);
        var manifest = ManifestCsv.Read(Path.Combine(kept, DicomIngest.ManifestFile), new ValidationReport());
        Assert.All(manifest.Rows, r => Assert.Equal("yes", r.GetExtra("lossy_compression")));
        var flow = IngestTests.ReadFlow(Path.Combine(kept, DicomIngest.FlowFile));
        Assert.Equal((0, 0, 3, 3), (flow[DicomIngest.PostProcessed], flow[DicomIngest.LossyExcluded], flow[DicomIngest.Ingested], flow[DicomIngest.LossyKept]));

        var strict = dir.File("strict");
        Assert.Empty(Ingest(encoded, strict, "--exclude-lossy"));
        flow = IngestTests.ReadFlow(Path.Combine(strict, DicomIngest.FlowFile));
        Assert.Equal((0, 3, 0), (flow[DicomIngest.PostProcessed], flow[DicomIngest.LossyExcluded], flow[DicomIngest.Ingested]));
    }
}
