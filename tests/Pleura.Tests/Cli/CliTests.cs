using System.Text.Json;
using Pleura.Cli;
using Pleura.Data;

namespace Pleura.Tests.Cli;

/// <summary>The command line end to end, in-process: exit codes and the files each command writes.</summary>
[Collection("console")]
public class CliTests
{
    static int Run(params string[] args) => CliRunner.Run(args);

    [Fact]
    public void HelpWorksForEveryCommand()
    {
        Assert.Equal(0, Run("--help"));
        foreach (var command in new[] { "phantoms", "manifest", "manifest import", "manifest validate", "split", "metrics", "bench", "bench io", "info", "export", "export onnx" })
            Assert.Equal(0, Run(command.Split(' ').Append("--help").ToArray()));
    }

    [Fact]
    public void PhantomsThenValidateThenSplit()
    {
        using var dir = new TempFolder();
        Assert.Equal(0, Run("phantoms", "--count", "30", "--size", "48", "--seed", "2", "--out", dir.File("ph")));
        var manifestPath = dir.File("ph/manifest.csv");
        Assert.Equal(0, Run("manifest", "validate", manifestPath));
        Assert.Equal(0, Run("split", manifestPath, "--out", dir.File("split.json"), "--seed", "3"));
        var plan = SplitPlan.Load(dir.File("split.json"));
        Assert.Equal(30, plan.Patients.Sum(p => p.Images.Count));

        File.Delete(dir.File("ph/images/ph00003.png"));
        Assert.Equal(Pleura.Cli.Cli.ExitInvalidData, Run("manifest", "validate", manifestPath));
    }

    [Fact]
    public void ImportWritesAManifestAndAReportAndStrictModeWritesNothing()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("a.png"), new byte[] { 1 });
        File.WriteAllText(dir.File("t.csv"), "File,Pid,L\na.png,P1,2\nb.png,P2,7\n");
        int code = Run("manifest", "import", dir.File("t.csv"), "--map", "path=File", "--map", "patient_id=Pid", "--map", "left_grade=L", "--out", dir.File("m.csv"));
        Assert.Equal(Pleura.Cli.Cli.ExitInvalidData, code);
        Assert.True(File.Exists(dir.File("m.csv")));
        var report = File.ReadAllText(dir.File("m.validation.csv"));
        Assert.Contains("MissingFile", report);
        Assert.Contains("GradeOutOfRange", report);

        Run("manifest", "import", dir.File("t.csv"), "--map", "path=File", "--map", "patient_id=Pid", "--out", dir.File("strict.csv"), "--strict");
        Assert.False(File.Exists(dir.File("strict.csv")));
    }

    [Fact]
    public void MetricsScoresATableOverallAndPerGroup()
    {
        using var dir = new TempFolder();
        var lines = new List<string> { "truth,pred,sex,p0,p1,p2,p3" };
        var random = new Random(1);
        for (int i = 0; i < 60; i++)
        {
            int t = i % 4, p = Math.Clamp(t + random.Next(-1, 2), 0, 3);
            var probs = Enumerable.Range(0, 4).Select(c => c == p ? 0.7 : 0.1).ToArray();
            lines.Add($"{t},{p},{(i % 2 == 0 ? "F" : "M")},{string.Join(",", probs)}");
        }
        lines.Add("x,1,F,0.25,0.25,0.25,0.25"); // not a grade: reported and skipped
        File.WriteAllLines(dir.File("scores.csv"), lines);
        Assert.Equal(0, Run("metrics", dir.File("scores.csv"), "--truth", "truth", "--pred", "pred", "--by", "sex",
            "--proba", "p0", "p1", "p2", "p3", "--bootstrap", "100", "--out", dir.File("out")));
        var json = JsonDocument.Parse(File.ReadAllText(dir.File("out/metrics.json"))).RootElement;
        Assert.Equal(new[] { "all", "sex=F", "sex=M" }, json.EnumerateArray().Select(g => g.GetProperty("group").GetString()));
        Assert.Equal(60, json[0].GetProperty("n").GetInt32());
        Assert.True(json[0].GetProperty("metrics").GetProperty("roc_auc_ovr_macro").GetProperty("value").GetDouble() > 0.5);
        Assert.Contains("macro_mae", File.ReadAllText(dir.File("out/metrics.csv")));

        Assert.Equal(Pleura.Cli.Cli.ExitInvalidData, Run("metrics", dir.File("scores.csv"), "--truth", "nope", "--pred", "pred"));
        Assert.Equal(Pleura.Cli.Cli.ExitInvalidData, Run("metrics", dir.File("missing.csv"), "--truth", "t", "--pred", "p"));
    }
}

[Collection("console")]
public class WeightsCliTests
{
    static int Run(params string[] args) => CliRunner.Run(args);
    static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    [Fact]
    public void InspectAndImport()
    {
        using var dir = new TempFolder();
        Assert.Equal(0, Run("weights", "inspect", Fixture("zip-mixed.pth")));
        Assert.Equal(0, Run("weights", "inspect", Fixture("chexnet-legacy.pth.tar")));
        // A partial DenseNet cannot become a densenet121 checkpoint: refused, nothing written.
        Assert.Equal(Pleura.Cli.Cli.ExitInvalidData, Run("weights", "import", Fixture("chexnet-legacy.pth.tar"), "--arch", "densenet121", "-o", dir.File("d.safetensors")));
        Assert.False(File.Exists(dir.File("d.safetensors")));

        // A Pleura checkpoint converts to itself.
        using (var scope = TorchSharp.torch.NewDisposeScope())
        {
            var model = Pleura.Networks.Architectures.Get("resnet10-w16").Create(4, 3);
            Pleura.Networks.Weights.Safetensors.Write(dir.File("w.safetensors"), Pleura.Networks.StateDicts.Ordered(model));
        }
        Assert.Equal(0, Run("weights", "import", dir.File("w.safetensors"), "--arch", "resnet10-w16", "-o", dir.File("c.safetensors")));
        Assert.True(File.Exists(dir.File("c.json")));
    }

    [Fact]
    public void TheImageNetResNetBecomesACheckpointThatCarriesItsInputRecipe()
    {
        using var dir = new TempFolder();
        var onnx = Pleura.Networks.Weights.ImageNetWeights.OnnxPath();
        Assert.Equal(0, Run("weights", "inspect", onnx));
        Assert.Equal(0, Run("weights", "imagenet", "-o", dir.File("imagenet.safetensors")));
        var info = Pleura.Networks.Weights.Checkpoint.ReadInfo(dir.File("imagenet.safetensors"));
        Assert.Equal("resnet18-cntk", info.Architecture);
        Assert.Equal(255, info.Recipe.Scale);
        Assert.Equal("BGR", info.Recipe.ChannelOrder);
        Assert.Contains("minus mean", info.Normalisation);
        // Training from it takes the recipe along.
        var config = new Pleura.Training.TrainingConfig { Architecture = "resnet18-cntk" }.StartingFrom(dir.File("imagenet.safetensors"));
        Assert.Equal(info.Recipe.Mean, config.Recipe.Mean);
        // The wrong architecture for the graph is refused with the one to use; nothing is written.
        Assert.Equal(Pleura.Cli.Cli.ExitInvalidData, Run("weights", "import", onnx, "--arch", "resnet18", "-o", dir.File("wrong.safetensors")));
        Assert.False(File.Exists(dir.File("wrong.safetensors")));
    }
}
