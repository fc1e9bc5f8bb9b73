using Pleura.Data;
using Pleura.DicomWorkflows;
using Pleura.Imaging;
using Pleura.Networks.Weights;
using Pleura.Tests.Dicom;
using Xunit.Abstractions;
using static Pleura.Tests.Cli.CliRunner;

namespace Pleura.Tests.Cli;

/// <summary>The negatives model: trained on phantoms inverted at random, measured on held-out phantoms, used by ingest.</summary>
[Collection("console")]
public class IngestNegativesTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void ANegativesModelTrainedOnPhantomsFindsBurnedInInversionsAndIngestFlipsThemBack()
    {
        using var dir = new TempFolder();
        var model = dir.File("negatives.safetensors");
        // "Real" images as displayed (here other phantoms, 8-bit PNGs at another size): a quarter is held out and measured both ways.
        for (int i = 0; i < 16; i++)
            PngWriter.Write(new GreyImage(96, 96, Pleura.Phantoms.PhantomDataset.RenderOne(30, i, 96, i % 4, 3 - i % 4).Image), dir.File($"real/{i}.png"));
        var outcome = NegativeDetector.Train(new NegativeTrainJob { Output = model, Phantoms = 200, HeldOut = 120, Epochs = 4, Seed = 2, Images = dir.File("real") }, output.WriteLine, p => { if (p.Batch == p.Batches) output.WriteLine($"epoch {p.Epoch}: loss {p.RunningLoss:0.000}"); });
        output.WriteLine($"held-out accuracy {outcome.Accuracy:P1} ({outcome.HeldOutCorrect}/{outcome.HeldOutImages}), 95% CI {outcome.Interval}");
        Assert.True(outcome.Accuracy > 0.95, $"held-out accuracy {outcome.Accuracy:P1}, 95% CI {outcome.Interval}");
        Assert.True(outcome.Interval.Low < outcome.Accuracy && outcome.Interval.High >= outcome.Accuracy);
        var real = Assert.IsType<HeldOutScore>(outcome.Images);
        Assert.Equal(8, real.Trials); // 4 held-out images, each as displayed and inverted
        Assert.Equal(212, outcome.TrainImages); // 200 phantoms and the 12 images not held out
        var info = Checkpoint.ReadInfo(model);
        Assert.Equal(new[] { NegativeDetector.Inverted, NegativeDetector.Upright }, info.Classes);
        Assert.Equal(outcome.Accuracy, info.Metrics!["heldout_accuracy"]!.GetValue<double>());
        Assert.Equal(real.Accuracy, info.Metrics!["heldout_images_accuracy"]!.GetValue<double>());
        Assert.False(Directory.Exists(dir.File("negatives.data")), "the generated training images are removed");
        Assert.False(Directory.Exists(dir.File("negatives.work")), "and the trainer's work folder");

        // An export with an upright phantom and one whose pixels are inverted though its attributes say MONOCHROME2.
        DicomPhantoms.RequireDcmtk();
        var upright = Pleura.Phantoms.PhantomDataset.RenderOne(21, 0, 128, 1, 0).Image;
        var negative = Pleura.Phantoms.PhantomDataset.RenderOne(21, 1, 128, 0, 2).Image.Select(v => 1 - v).ToArray();
        PngWriter.Write(new GreyImage(128, 128, upright), dir.File("upright.png"));
        PngWriter.Write(new GreyImage(128, 128, negative), dir.File("negative.png"));
        var export = dir.File("export");
        string[] Keys(string id) => ["Modality=CR", $"PatientID={id}", $"AccessionNumber={id}", "ContentTime=101010", "PatientAge=050Y"];
        DicomPhantoms.FromPng(dir.File("upright.png"), Path.Combine(export, "upright.dcm"), Keys("U1"));
        DicomPhantoms.FromPng(dir.File("negative.png"), Path.Combine(export, "negative.dcm"), Keys("N1"));
        var (code, text) = RunCaptured("ingest", export, "-o", dir.File("out"), "--keep-identifiers", "--negatives", model);
        Assert.True(code == 0, text);
        var flow = IngestTests.ReadFlow(dir.File("out/flow.csv"));
        Assert.Equal((2, 1, 0), (flow[DicomIngest.Ingested], flow[DicomIngest.InvertedByModel], flow[DicomIngest.InvertedByAttributes]));
        var rows = ManifestCsv.Read(dir.File("out/manifest.csv"), new ValidationReport()).Rows.ToDictionary(r => r.GetExtra("source"));
        Assert.EndsWith(", inverted back", rows["negative.dcm"].GetExtra("negatives_check"));
        Assert.EndsWith(", kept", rows["upright.dcm"].GetExtra("negatives_check"));
        var rendered = RadiographReader.RenderDicom(Path.Combine(export, "negative.dcm")).Pixels;
        Assert.Equal(rendered.Select(v => (ushort)(65535 - v)), DicomPhantoms.Png16(dir.File("out/" + rows["negative.dcm"].Path)));
        Assert.Equal(RadiographReader.RenderDicom(Path.Combine(export, "upright.dcm")).Pixels, DicomPhantoms.Png16(dir.File("out/" + rows["upright.dcm"].Path)));

        // A second run with the same model reuses both images and counts the same.
        (code, text) = RunCaptured("ingest", export, "-o", dir.File("out"), "--keep-identifiers", "--negatives", model);
        Assert.True(code == 0, text);
        Assert.Contains("2 images (0 rendered, 2 already there)", text);
        Assert.Equal(1, IngestTests.ReadFlow(dir.File("out/flow.csv"))[DicomIngest.InvertedByModel]);

        // The command trains the same way and reports both held-out scores.
        (code, text) = RunCaptured("ingest", "train-negatives", "-o", dir.File("cli.safetensors"), "--phantoms", "24", "--held-out", "10", "--epochs", "1",
            "--images", dir.File("real"));
        Assert.True(code == 0, text);
        Assert.Matches(@"held-out phantoms \(seed 1001, inverted at random\): [\d.]+ % \(\d+/10\), 95% CI", text);
        Assert.Contains("held-out real images (4 of", text);
        Assert.True(File.Exists(dir.File("cli.json")));

        // A model file that is not there stops the run, naming it.
        (code, text) = RunCaptured("ingest", export, "-o", dir.File("out2"), "--keep-identifiers", "--negatives", dir.File("missing.safetensors"));
        Assert.Equal(1, code);
        Assert.Contains("missing.safetensors", text);
    }
}
