using System.Globalization;
using Pleura.Grading;
using Pleura.Training;

namespace Pleura.Tests.Cli;

/// <summary>The training commands end to end on a small phantom set.</summary>
[Collection("console")]
public class TrainingCliTests
{
    static int Run(params string[] args) => CliRunner.Run(args);

    [Fact]
    public void TrainEvaluatePredictAndResume()
    {
        using var dir = new TempFolder();
        Assert.Equal(0, Run("phantoms", "--count", "120", "--size", "48", "--seed", "4", "--out", dir.File("data")));
        Assert.Equal(0, Run("split", dir.File("data/manifest.csv"), "--out", dir.File("split.json")));
        string[] train = { "train", "-m", dir.File("data/manifest.csv"), "-s", dir.File("split.json"), "-o", dir.File("run"),
            "--arch", "resnet10-w16", "--size", "48", "--epochs1", "1", "--epochs2", "2", "--unfreeze", "-1", "--batch", "16", "--grey", "sum" };
        Assert.Equal(0, Run(train));
        foreach (var side in new[] { "left", "right" })
        {
            Assert.True(File.Exists(dir.File($"run/{side}/model.safetensors")));
            Assert.Contains("\"side\": \"" + side + "\"", File.ReadAllText(dir.File($"run/{side}/model.json")));
            Assert.Equal(4, File.ReadAllLines(dir.File($"run/{side}/work/epochs.csv")).Length);
        }
        // The bfloat16 check `--precision auto` reads: both lungs of every test image, scored both ways.
        var check = Pleura.Grading.PrecisionCheck.Read(dir.File("run"))!;
        Assert.True(check.Lungs > 0 && check.Lungs % 2 == 0, check.ToString());
        Assert.InRange(check.SameGrade, 0, 1);
        Assert.Equal("test part of fold 1", check.Part);
        // Running the same command again finds the finished run and does not train again.
        var before = File.GetLastWriteTimeUtc(dir.File("run/left/work/state.json"));
        Assert.Equal(0, Run(train));
        Assert.Equal(before, File.GetLastWriteTimeUtc(dir.File("run/left/work/state.json")));

        Assert.Equal(0, Run("evaluate", dir.File("run"), "-m", dir.File("data/manifest.csv"), "-s", dir.File("split.json"), "--part", "oob", "--bootstrap", "50", "-o", dir.File("eval")));
        var metrics = File.ReadAllLines(dir.File("eval/metrics.csv"));
        Assert.Contains(metrics, l => l.StartsWith("mean of sides,") && l.Contains(",macro_mae,"));
        Assert.Contains(metrics, l => l.StartsWith("left,") && l.Contains(",roc_auc_ovr_macro,"));

        File.WriteAllText(dir.File("data/images/broken.png"), "not an image");
        int code = Run("predict", dir.File("run"), dir.File("data/images"), "-o", dir.File("pred.csv"));
        Assert.Equal(Pleura.Cli.Cli.ExitInvalidData, code); // one unreadable file is reported, the rest are graded
        var rows = File.ReadAllLines(dir.File("pred.csv"));
        Assert.Equal(1 + 2 * 120, rows.Length);
        var probabilities = rows[1].Split(',').Skip(4).Take(4).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(1.0, probabilities.Sum(), 4);
        Assert.Contains("broken.png", File.ReadAllText(dir.File("pred.json")));

        Assert.Equal(Pleura.Cli.Cli.ExitUsage, Run("train", "-m", dir.File("data/manifest.csv"), "-s", dir.File("split.json"), "-o", dir.File("run2"), "--arch", "alexnet"));
    }

    [Fact]
    public void ARunTrainedOnLungRoisIsScoredAndExplainedOnTheSameRois()
    {
        using var dir = new TempFolder();
        Assert.Equal(0, Run("phantoms", "--count", "80", "--size", "48", "--seed", "7", "--out", dir.File("data")));
        Assert.Equal(0, Run("split", dir.File("data/manifest.csv"), "--out", dir.File("split.json")));
        Assert.Equal(0, Run("train", "-m", dir.File("data/manifest.csv"), "-s", dir.File("split.json"), "-o", dir.File("run"), "--roi", "lung",
            "--arch", "resnet10-w16", "--size", "48", "--epochs1", "1", "--epochs2", "1", "--unfreeze", "-1", "--batch", "16", "--grey", "sum"));
        Assert.Contains("\"roi\": \"lung\"", File.ReadAllText(dir.File("run/left/model.json")));
        Assert.Equal(0, Run("evaluate", dir.File("run"), "-m", dir.File("data/manifest.csv"), "-s", dir.File("split.json"), "--part", "oob", "--bootstrap", "0", "-o", dir.File("eval")));
        Assert.Equal(0, Run("explain", dir.File("run"), "-m", dir.File("data/manifest.csv"), "-s", dir.File("split.json"), "--part", "oob", "-o", dir.File("explain")));
        Assert.True(File.Exists(dir.File("explain/matrix.png")));
        // Prediction on bare image files has no lung masks to cut with: refused with a message, not silently wrong.
        Assert.Equal(Pleura.Cli.Cli.ExitInvalidData, Run("predict", dir.File("run"), dir.File("data/images"), "-o", dir.File("pred.csv")));
    }

    [Fact]
    public void ShortDemoTrainsModelsThatBeatTheGlobalIntensityBaseline()
    {
        using var dir = new TempFolder();
        var options = new DemoOptions
        {
            Images = 300, Size = 64, BootstrapIterations = 0,
            Training = new DemoOptions().Training with { Architecture = "resnet10-w16", ImageSize = 64, Stage2Epochs = 12, BatchSize = 16 },
        };
        var result = DemoRun.Run(options, dir.Path);
        double model = DemoRun.SideAverage(result.Metrics, "test", DemoRun.ModelVsReader1, "macro_mae");
        double baseline = DemoRun.SideAverage(result.Metrics, "test", DemoRun.BaselineVsReader1, "macro_mae");
        Assert.True(model < baseline - 0.3, $"model macro MAE {model:0.000}, baseline {baseline:0.000}");
        Assert.True(File.Exists(Path.Combine(dir.Path, "report.md")));
        Assert.InRange(result.Bf16.SameGrade, 0.9, 1.0);
    }
}
