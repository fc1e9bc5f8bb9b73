using System.Globalization;
using System.Text.Json.Nodes;
using static Pleura.Tests.Cli.CliRunner;

namespace Pleura.Tests.Cli;

/// <summary>
/// One checkpoint, one answer: with test-time augmentation on, `train` (model.json's test figures), `evaluate` and
/// `predict` score the same images identically (they once differed: train without augmentation, evaluate with it).
/// </summary>
[Collection("console")]
public class ScoringConsistencyTests
{
    [Fact]
    public void TrainEvaluateAndPredictGiveOneCheckpointTheSameAnswerWithTestTimeAugmentation()
    {
        using var dir = new TempFolder();
        Assert.Equal(0, Run("phantoms", "--count", "120", "--size", "64", "--seed", "1", "--out", dir.File("data")));
        Assert.Equal(0, Run("split", dir.File("data/manifest.csv"), "--out", dir.File("split.json")));
        Assert.Equal(0, Run("train", "-m", dir.File("data/manifest.csv"), "-s", dir.File("split.json"), "-o", dir.File("run"),
            "--arch", "resnet10-w16", "--size", "64", "--epochs1", "1", "--epochs2", "1", "--tta", "4"));
        Assert.Equal(0, Run("evaluate", dir.File("run"), "-m", dir.File("data/manifest.csv"), "-s", dir.File("split.json"),
            "--part", "test", "--bootstrap", "0", "-o", dir.File("eval")));

        // model.json's test macro MAE (written by train) equals evaluate's, lung by lung.
        var evaluated = File.ReadAllLines(dir.File("eval/metrics.csv")).Skip(1).Select(l => l.Split(','))
            .Where(f => f.Contains("macro_mae")).ToDictionary(f => f[0], f => double.Parse(f[Array.IndexOf(f, "macro_mae") + 1], CultureInfo.InvariantCulture));
        foreach (var side in new[] { "left", "right" })
        {
            var model = JsonNode.Parse(File.ReadAllText(dir.File($"run/{side}/model.json")))!;
            Assert.Equal(4, (int)model["testTimeAugmentations"]!);
            Assert.Equal(1, (int)model["testTimeAugmentationSeed"]!);
            Assert.Equal((double)model["metrics"]!["test"]!["macro_mae"]!, evaluated[side], 6);
        }

        // predict on the test images: the same probabilities as evaluate, image by image.
        var rows = File.ReadAllLines(dir.File("eval/predictions.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        var images = rows.Select(r => r[0]).Distinct().ToList();
        var manifest = File.ReadAllLines(dir.File("data/manifest.csv"));
        int pathColumn = Array.IndexOf(manifest[0].Split(','), "path");
        var paths = manifest.Skip(1).Select(l => l.Split(',')).ToDictionary(f => f[0], f => dir.File("data/" + f[pathColumn]));
        Assert.Equal(0, Run(["predict", dir.File("run"), .. images.Select(i => paths[i]), "-o", dir.File("pred.csv"), "--precision", "fp32"]));
        var predicted = File.ReadAllLines(dir.File("pred.csv")).Skip(1).Select(l => l.Split(','))
            .ToDictionary(f => (Path.GetFileNameWithoutExtension(f[0]), f[1]), f => f[4..8]);
        foreach (var r in rows)
            Assert.Equal(r[4..8], predicted[(Path.GetFileNameWithoutExtension(paths[r[0]]), r[1])]);
    }
}
