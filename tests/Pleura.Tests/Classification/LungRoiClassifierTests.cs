using System.Globalization;
using Pleura.Imaging;
using Pleura.Phantoms;
using Pleura.Tests.Cli;

namespace Pleura.Tests.Classification;

/// <summary>
/// Whole image against segmented lungs as one flag (`classify train --roi lung --lungs U-NET`). The class is a bright
/// marker burnt outside the lungs, as a source's label or border is in the pneumonia set: a whole-image classifier
/// learns it, one that sees only the lungs the U-Net finds cannot, which is what the cut is for.
/// </summary>
[Collection("console")]
public class LungRoiClassifierTests
{
    [Fact]
    public void AMarkerOutsideTheLungsIsLearntFromTheWholeImageButNotFromTheSegmentedLungs()
    {
        using var dir = new TempFolder();
        var manifest = PhantomDataset.Generate(new PhantomOptions { Count = 120, Size = 64, Seed = 5 }, dir.File("ph"));
        var lungs = dir.File("lungs.safetensors");
        var (segmented, segmentOutput) = CliRunner.RunCaptured("segment", "train", "--images", dir.File("ph/images"), "-o", lungs, "--size", "64", "--epochs", "8",
            "--lr", "0.005", "--arch", "unet-w8", "--test", "0.2", "--mask", "left_lung=" + dir.File("ph/masks/left_lung"), "--mask", "right_lung=" + dir.File("ph/masks/right_lung"));
        Assert.True(segmented == 0, segmentOutput);

        var rows = new List<string> { "path,class,patient" };
        Directory.CreateDirectory(dir.File("labelled"));
        foreach (var row in manifest.Rows)
        {
            bool marked = row.PatientId.GetHashCode(StringComparison.Ordinal) % 2 == 0;
            var picture = RadiographReader.Read(manifest.ResolvePath(row));
            var pixels = picture.Pixels.ToArray();
            // A white square in the top left corner, above and outside both lungs.
            if (marked)
                for (int y = 1; y < 9; y++)
                    for (int x = 1; x < 9; x++) pixels[y * picture.Width + x] = 1f;
            // Both classes written the same way: a class that alone was re-encoded would differ inside the lungs too.
            var path = dir.File($"labelled/{row.ImageId}.png");
            PngWriter.Write(new GreyImage(picture.Width, picture.Height, pixels), path);
            rows.Add($"{path},{(marked ? "marked" : "plain")},{row.PatientId}");
        }
        File.WriteAllLines(dir.File("labels.csv"), rows);

        string[] Args(string run, params string[] more) => new[] { "classify", "train", dir.File("labels.csv"), "-o", run, "--folds", "2", "--arch", "resnet10-w16",
            "--size", "64", "--epochs1", "2", "--epochs2", "6", "--batch", "8", "--lr1", "0.003", "--lr2", "0.001", "--unfreeze", "-1" }.Concat(more).ToArray();
        double MarkedAuc(string run) => double.Parse(File.ReadAllLines(Path.Combine(run, "report", "metrics.csv")).Select(l => l.Split(','))
            .First(f => f[0] == "marked" && f[1] == "auc")[2], CultureInfo.InvariantCulture);

        var whole = dir.File("whole");
        var (trainedWhole, wholeOutput) = CliRunner.RunCaptured(Args(whole));
        Assert.True(trainedWhole == 0, wholeOutput);
        var lungRun = dir.File("lung");
        var (trainedLung, lungOutput) = CliRunner.RunCaptured(Args(lungRun, "--roi", "lung", "--lungs", lungs));
        Assert.True(trainedLung == 0, lungOutput);

        Console.WriteLine($"AUC of the marker: whole image {MarkedAuc(whole):0.000}, segmented lungs {MarkedAuc(lungRun):0.000}");
        Assert.True(MarkedAuc(whole) > 0.95, wholeOutput);
        Assert.True(MarkedAuc(lungRun) < 0.8, lungOutput);
        // The U-Net found the lungs of nearly every image (the few it missed are listed and seen whole).
        var fallbacks = File.Exists(Path.Combine(lungRun, "roi-failures.txt")) ? File.ReadAllLines(Path.Combine(lungRun, "roi-failures.txt")).Length : 0;
        Assert.True(fallbacks <= 6, lungOutput);
        // The cut inputs are shown: a few per class, the marker gone from the marked ones.
        var examples = Directory.GetFiles(Path.Combine(lungRun, "roi-examples"), "marked-*.png");
        Assert.NotEmpty(examples);
        Assert.True(examples.Count(e => RadiographReader.Read(e).Pixels.Take(64 * 10).Max() >= 0.9f) <= fallbacks, string.Join('\n', examples));
        var info = Pleura.Networks.Weights.Checkpoint.ReadInfo(Pleura.Classification.ClassifierRun.CheckpointPath(lungRun, 1));
        Assert.Equal("lung", info.Roi);
        Assert.Equal(lungs, info.Metrics![Pleura.Classification.ClassifierModels.LungModelMetric]!.GetValue<string>());

        // The two runs share their test images, so the paired comparison answers.
        var (compared, compareOutput) = CliRunner.RunCaptured("classify", "compare", whole, lungRun, "-o", dir.File("compare"));
        Assert.True(compared == 0, compareOutput);

        // predict and explain cut the lungs as training did, with the U-Net the run was trained with.
        var image = manifest.ResolvePath(manifest.Rows[0]);
        var (predicted, predictOutput) = CliRunner.RunCaptured("classify", "predict", lungRun, image, "-o", dir.File("classes.csv"));
        Assert.True(predicted == 0, predictOutput);
        Assert.Equal(2, File.ReadAllLines(dir.File("classes.csv")).Length);
        var (explained, explainOutput) = CliRunner.RunCaptured("classify", "explain", lungRun, "--limit", "2");
        Assert.True(explained == 0, explainOutput);
        Assert.Equal(3, File.ReadAllLines(Path.Combine(lungRun, "explain", "explain.csv")).Length);

        // Refusals: a lung ROI without a U-Net, a ROI an image-level task has no use for, another ROI into the same folder.
        var (noUnet, noUnetOutput) = CliRunner.RunCaptured(Args(dir.File("no-unet"), "--roi", "lung"));
        Assert.Equal(2, noUnet);
        Assert.Contains("needs the lung U-Net", noUnetOutput);
        Assert.False(Directory.Exists(dir.File("no-unet")));
        var (spine, spineOutput) = CliRunner.RunCaptured(Args(dir.File("spine"), "--roi", "spine"));
        Assert.Equal(2, spine);
        Assert.Contains("Must be one of", spineOutput);
        var (mixed, mixedOutput) = CliRunner.RunCaptured(Args(whole, "--roi", "lung", "--lungs", lungs));
        Assert.Equal(1, mixed);
        Assert.Contains("trained on ROI 'none'", mixedOutput);
    }
}
