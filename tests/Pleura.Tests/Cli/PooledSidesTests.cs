using System.Globalization;
using System.Text.Json.Nodes;
using Pleura.Imaging.Roi;

namespace Pleura.Tests.Cli;

/// <summary>One model for both lungs: the left lung's input mirrored in training, evaluation and heatmaps alike.</summary>
[Collection("console")]
public class PooledSidesTests
{
    static int Run(params string[] args) => CliRunner.Run(args);

    [Fact]
    public void OnlyAPooledModelsLeftSideIsMirroredAndItsHeatmapsMapBackOntoThePixelsTheyExplain()
    {
        Assert.True(PooledSides.For(RoiCut.Whole(4, 4), PatientSide.Left, pooled: true).Mirrored);
        Assert.False(PooledSides.For(RoiCut.Whole(4, 4), PatientSide.Right, pooled: true).Mirrored);
        Assert.False(PooledSides.For(RoiCut.Whole(4, 4), PatientSide.Left, pooled: false).Mirrored);

        var image = Enumerable.Range(0, 16).Select(i => (float)i).ToArray();
        var mirrored = RoiCut.Whole(4, 4).Mirror();
        var input = mirrored.Apply(image, 4);
        Assert.Equal(new float[] { 3, 2, 1, 0 }, input.Take(4));
        // A map over the mirrored input that marks input pixel (0, 0) lands on the image's pixel (3, 0), the one that input pixel shows.
        var map = new float[16];
        map[0] = 1;
        var back = mirrored.MapBack(map, 4);
        Assert.Equal(1, back[3]);
        Assert.Equal(image, mirrored.MapBack(input, 4));
        Assert.False(mirrored.Mirror().Mirrored);
    }

    [Fact]
    public void APooledRunTrainsOneModelScoredPerLungAndEvaluationFeedsItAsTrainingDid()
    {
        using var dir = new TempFolder();
        Assert.Equal(0, Run("phantoms", "--count", "80", "--size", "48", "--seed", "7", "--out", dir.File("data")));
        Assert.Equal(0, Run("split", dir.File("data/manifest.csv"), "--out", dir.File("split.json")));
        Assert.Equal(0, Run("train", "-m", dir.File("data/manifest.csv"), "-s", dir.File("split.json"), "-o", dir.File("run"), "--roi", "lung", "--sides", "pooled",
            "--arch", "resnet10-w16", "--size", "48", "--epochs1", "1", "--epochs2", "1", "--unfreeze", "-1", "--batch", "16", "--grey", "sum"));
        Assert.True(File.Exists(dir.File("run/pooled/work/epochs.csv")));     // one training
        Assert.Equal(File.ReadAllBytes(dir.File("run/left/model.safetensors")), File.ReadAllBytes(dir.File("run/right/model.safetensors")));
        foreach (var side in new[] { "left", "right" })
        {
            var info = JsonNode.Parse(File.ReadAllText(dir.File($"run/{side}/model.json")))!;
            Assert.Equal(side, (string)info["side"]!);
            Assert.True((bool)info["pooled"]!);
        }

        // `evaluate` on the test part gives the figures training recorded on the same lungs: it mirrored the same inputs.
        Assert.Equal(0, Run("evaluate", dir.File("run"), "-m", dir.File("data/manifest.csv"), "-s", dir.File("split.json"), "--part", "test", "--bootstrap", "0", "-o", dir.File("eval")));
        foreach (var side in new[] { "left", "right" })
        {
            var recorded = (double)JsonNode.Parse(File.ReadAllText(dir.File($"run/{side}/model.json")))!["metrics"]!["test"]!["macro_mae"]!;
            var evaluated = File.ReadAllLines(dir.File("eval/metrics.csv")).Select(l => l.Split(',')).Single(f => f[0] == side && f[2] == "macro_mae")[3];
            Assert.Equal(recorded, double.Parse(evaluated, CultureInfo.InvariantCulture), 6);
        }

        // The same weights told they are not pooled see the left lung unmirrored: the left side's outputs change, the right's do not.
        Directory.CreateDirectory(dir.File("plain/left"));
        Directory.CreateDirectory(dir.File("plain/right"));
        foreach (var side in new[] { "left", "right" })
        {
            File.Copy(dir.File($"run/{side}/model.safetensors"), dir.File($"plain/{side}/model.safetensors"));
            var info = JsonNode.Parse(File.ReadAllText(dir.File($"run/{side}/model.json")))!.AsObject();
            info.Remove("pooled");
            File.WriteAllText(dir.File($"plain/{side}/model.json"), info.ToJsonString());
        }
        Assert.Equal(0, Run("evaluate", dir.File("plain"), "-m", dir.File("data/manifest.csv"), "-s", dir.File("split.json"), "--part", "test", "--bootstrap", "0", "-o", dir.File("eval-plain")));
        Dictionary<(string, string), string> Probabilities(string folder) => File.ReadAllLines(dir.File($"{folder}/predictions.csv")).Skip(1).Select(l => l.Split(','))
            .ToDictionary(f => (f[0], f[1]), f => string.Join(',', f.Skip(4).Take(4)));
        var pooled = Probabilities("eval");
        var plain = Probabilities("eval-plain");
        Assert.All(pooled.Where(p => p.Key.Item2 == "right"), p => Assert.Equal(p.Value, plain[p.Key]));
        Assert.Contains(pooled.Where(p => p.Key.Item2 == "left"), p => p.Value != plain[p.Key]);
    }
}
