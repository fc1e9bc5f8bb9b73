using Pleura.Imaging;
using Pleura.Phantoms;
using Pleura.Tests.Cli;

namespace Pleura.Tests.Classification;

/// <summary>`pleura classify train` end to end on phantoms whose class is known: upright radiographs against radiographs
/// turned by 90 degrees (an orientation check, like the view task's frontal against lateral).</summary>
[Collection("console")]
public class ClassifyCliTests
{
    [Fact]
    public void AClassifierOfUprightAgainstTurnedPhantomsLearnsAndIsEvaluatedOnItsHeldOutPatients()
    {
        using var dir = new TempFolder();
        var manifest = PhantomDataset.Generate(new PhantomOptions { Count = 120, Size = 64, Seed = 4 }, dir.File("ph"));
        var rows = new List<string> { "path,class,patient" };
        Directory.CreateDirectory(dir.File("turned"));
        foreach (var row in manifest.Rows)
        {
            // One class per patient, so that a patient never has images on both sides of the split.
            bool turned = row.PatientId.GetHashCode(StringComparison.Ordinal) % 2 == 0;
            var path = manifest.ResolvePath(row);
            if (turned)
            {
                path = dir.File($"turned/{row.ImageId}.png");
                PngWriter.Write(RobustnessTransforms.Rotate90(RadiographReader.Read(manifest.ResolvePath(row))), path);
            }
            rows.Add($"{path},{(turned ? "turned" : "upright")},{row.PatientId}");
        }
        File.WriteAllLines(dir.File("labels.csv"), rows);

        var run = dir.File("run");
        string[] args = { "classify", "train", dir.File("labels.csv"), "-o", run, "--folds", "2", "--arch", "resnet10-w16", "--size", "64",
                          "--epochs1", "2", "--epochs2", "10", "--batch", "8", "--lr1", "0.003", "--lr2", "0.001", "--unfreeze", "-1" };
        var (code, output) = CliRunner.RunCaptured(args);
        Assert.True(code == 0, output);

        // One checkpoint per fold, each recording what it learnt from; the split keeps patients whole.
        var split = Pleura.Data.ClassificationSplit.Load(Path.Combine(run, "split.json"));
        Assert.All(split.Images.GroupBy(i => i.Patient), g => Assert.Single(g.Select(i => i.Group).Distinct()));
        foreach (var fold in new[] { 1, 2 })
        {
            var info = Pleura.Networks.Weights.Checkpoint.ReadInfo(Pleura.Classification.ClassifierRun.CheckpointPath(run, fold));
            Assert.Equal(new[] { "turned", "upright" }, info.Classes);
            Assert.DoesNotContain(info.SeenImages!, id => split.Test.Any(t => t.ImageId == id));
        }
        // It learnt: the test AUC (printed and in the metrics) is high, and the report is written.
        var metrics = File.ReadAllLines(Path.Combine(run, "report", "metrics.csv"));
        var auc = metrics.Select(l => l.Split(',')).First(f => f[0] == "turned" && f[1] == "auc");
        Assert.True(double.Parse(auc[2], System.Globalization.CultureInfo.InvariantCulture) > 0.95, string.Join('\n', metrics));
        Assert.True(File.Exists(Path.Combine(run, "report", "report.html")));
        var testPredictions = File.ReadAllLines(Path.Combine(run, "report", "test_predictions.csv"));
        Assert.Equal(split.Test.Count + 1, testPredictions.Length);
        Assert.Equal("image,class,p_turned,p_upright", testPredictions[0]);

        // Predicting test images of each class gives their class back (the fold models together).
        var pair = new[] { split.Test.First(t => t.Class == "turned"), split.Test.First(t => t.Class == "upright") };
        var (predicted, predictOutput) = CliRunner.RunCaptured("classify", "predict", run, pair[0].ImageId, pair[1].ImageId, "-o", dir.File("classes.csv"));
        Assert.True(predicted == 0, predictOutput);
        Assert.Contains("images/s end to end", predictOutput);
        var answers = File.ReadAllLines(dir.File("classes.csv"));
        Assert.Equal("image,class,p_turned,p_upright", answers[0]);
        Assert.Equal(new[] { "turned", "upright" }, answers.Skip(1).Select(l => l.Split(',')[1]));

        // A copy of the run stopped before its last fold model was saved answers for no image: one fold model alone
        // would answer differently from the run's report.
        foreach (var file in Directory.GetFiles(run, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(Path.Combine("fold2", "model.safetensors"), StringComparison.Ordinal)))
        {
            var copy = Path.Combine(dir.File("stopped"), Path.GetRelativePath(run, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }
        var (stopped, stoppedOutput) = CliRunner.RunCaptured("classify", "predict", dir.File("stopped"), pair[0].ImageId, "-o", dir.File("stopped.csv"));
        Assert.Equal(1, stopped);
        Assert.Contains("is an incomplete run: fold model(s) 2 of 2 were not finished", stoppedOutput);
        Assert.False(File.Exists(dir.File("stopped.csv")));

        // Its throughput benchmark classifies a folder in float32 and bfloat16 with the models loaded once.
        var (benched, benchOutput) = CliRunner.RunCaptured("bench", "classify", run, "--input", "png=" + dir.File("turned"), "--limit", "6", "--rounds", "1");
        Assert.True(benched == 0, benchOutput);
        Assert.Contains("bf16", benchOutput);
        Assert.Contains("x seed (38/s)", benchOutput);
        var (noInput, noInputOutput) = CliRunner.RunCaptured("bench", "classify", run);
        Assert.Equal(2, noInput);
        Assert.Contains("--input", noInputOutput);

        // The robustness set: turning an upright image by 90 degrees makes it look like the other class, so that
        // transform must cost accuracy while the untouched originals stay right.
        var (robust, robustOutput) = CliRunner.RunCaptured("classify", "robustness", run);
        Assert.True(robust == 0, robustOutput);
        var accuracy = File.ReadAllLines(Path.Combine(run, "report", "robustness.csv")).Skip(1).Select(l => l.Split(','))
            .ToDictionary(f => f[0], f => double.Parse(f[1], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(9, accuracy.Count);
        Assert.True(accuracy["original"] > 0.9, robustOutput);
        Assert.True(accuracy["rotate90"] < accuracy["original"] - 0.3, robustOutput);

        // Explanations: overlays of the held-out images, classes in turn, with the fold models' answers.
        var (explained, explainOutput) = CliRunner.RunCaptured("classify", "explain", run, "--limit", "4");
        Assert.True(explained == 0, explainOutput);
        var explainTable = File.ReadAllLines(Path.Combine(run, "explain", "explain.csv"));
        Assert.Equal("image,truth,predicted,p_turned,p_upright,overlay", explainTable[0]);
        Assert.Equal(4, explainTable.Length - 1);
        Assert.Equal(new[] { "turned", "upright" }, explainTable.Skip(1).Select(l => l.Split(',')[1]).Distinct().Order());
        Assert.All(explainTable.Skip(1), l => Assert.True(File.Exists(l.Split(',')[^1]), l));
        Assert.True(explainTable.Skip(1).Count(l => l.Split(',')[1] == l.Split(',')[2]) >= 3, string.Join('\n', explainTable));
        var (missing, missingOutput) = CliRunner.RunCaptured("classify", "explain", dir.File("ph"));
        Assert.Equal(1, missing);
        Assert.Contains("no fold models", missingOutput);

        // External validation on other patients (another phantom seed), with the run's own cut-offs; the run's
        // training images are refused.
        var other = PhantomDataset.Generate(new PhantomOptions { Count = 40, Size = 64, Seed = 11 }, dir.File("other"));
        Directory.CreateDirectory(dir.File("other-turned"));
        var otherRows = new List<string> { "path,class,patient" };
        foreach (var (row, k) in other.Rows.Select((r, k) => (r, k)))
        {
            var path = other.ResolvePath(row);
            if (k % 2 == 0)
            {
                path = dir.File($"other-turned/{row.ImageId}.png");
                PngWriter.Write(RobustnessTransforms.Rotate90(RadiographReader.Read(other.ResolvePath(row))), path);
            }
            otherRows.Add($"{path},{(k % 2 == 0 ? "turned" : "upright")},x{row.PatientId}");
        }
        File.WriteAllLines(dir.File("other.csv"), otherRows);
        var (external, externalOutput) = CliRunner.RunCaptured("classify", "evaluate", run, dir.File("other.csv"), "-o", dir.File("external"));
        Assert.True(external == 0, externalOutput);
        var externalAuc = File.ReadAllLines(dir.File("external/metrics.csv")).Select(l => l.Split(',')).First(f => f[0] == "turned" && f[1] == "auc");
        Assert.True(double.Parse(externalAuc[2], System.Globalization.CultureInfo.InvariantCulture) > 0.9, externalOutput);
        Assert.Equal(41, File.ReadAllLines(dir.File("external/predictions.csv")).Length);
        Assert.True(File.Exists(dir.File("external/report.html")));
        var (seen, seenOutput) = CliRunner.RunCaptured("classify", "evaluate", run, dir.File("labels.csv"), "-o", dir.File("seen"));
        Assert.Equal(1, seen);
        Assert.Contains("were used to train or validate", seenOutput);

        // Two runs on the same split (same seed), paired: DeLong per class and McNemar, with a report; runs tested on
        // different images are refused.
        var runB = dir.File("run-b");
        var argsB = args.Select(x => x == run ? runB : x).ToArray();
        argsB[Array.IndexOf(argsB, "--epochs2") + 1] = "3";
        var (trainedB, outputB) = CliRunner.RunCaptured(argsB);
        Assert.True(trainedB == 0, outputB);
        var (compared, compareOutput) = CliRunner.RunCaptured("classify", "compare", run, runB, "-o", dir.File("compare"));
        Assert.True(compared == 0, compareOutput);
        var comparison = File.ReadAllLines(dir.File("compare/comparison.csv"));
        Assert.Equal("model_a,model_b,class,metric,a,b,difference,low,high,statistic,p", comparison[0]);
        Assert.Contains(comparison, l => l.Contains(",turned,auc_delong,", StringComparison.Ordinal));
        Assert.Contains(comparison, l => l.Contains(",all,accuracy_mcnemar_exact,", StringComparison.Ordinal));
        Assert.True(File.Exists(dir.File("compare/report.html")));
        var predictionsB = Path.Combine(runB, "report", "test_predictions.csv");
        File.WriteAllLines(predictionsB, File.ReadAllLines(predictionsB).SkipLast(1));
        var (refused, refusedOutput) = CliRunner.RunCaptured("classify", "compare", run, runB, "-o", dir.File("compare2"));
        Assert.Equal(1, refused);
        Assert.Contains("tested on different images", refusedOutput);

        // Running again resumes: every fold is done, the same figures come back.
        var (again, secondOutput) = CliRunner.RunCaptured(args);
        Assert.Equal(0, again);
        Assert.Equal(metrics, File.ReadAllLines(Path.Combine(run, "report", "metrics.csv")));
    }
}
