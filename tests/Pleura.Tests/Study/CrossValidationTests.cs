using Pleura.Data;
using Pleura.Phantoms;
using Pleura.Store;
using Pleura.Study;
using Pleura.Tests.Cli;

namespace Pleura.Tests.Study;

/// <summary>The cross-validated estimate over every patient, on a reduced phantom study.</summary>
public class CrossValidationTests
{
    static string WriteStudy(string folder, string name, int cvSeed, string sides = "[left, right]", bool ensemble = false)
    {
        if (!Directory.Exists(Path.Combine(folder, "data")))
            PhantomDataset.Generate(new PhantomOptions { Count = 90, Size = 32, Seed = 11 }, Path.Combine(folder, "data"));
        string path = Path.Combine(folder, $"{name}.yaml");
        File.WriteAllText(path, $"""
            name: {name}
            manifest: data/manifest.csv
            grid: {"{"} roi: [none, lung], balancing: [over], backbones: [resnet10-w16], sides: {sides} {"}"}
            folds: 2
            training: {"{"} image_size: 32, input_channels: 1, batch_size: 32, stage1_epochs: 1, stage2_epochs: 1, unfreeze_conv_layers: 5 {"}"}
            cross_validation: {"{"} folds: 3, seed: {cvSeed} {"}"}
            heatmaps: false
            bootstrap: 50
            ensemble: {(ensemble ? "true" : "false")}
            """);
        return path;
    }

    [Fact]
    public void EveryImageIsPredictedOnceByAFoldModelThatNeverSawItsPatientAndCandidatesPair()
    {
        using var dir = new TempFolder();
        var file = WriteStudy(dir.Path, "cv", cvSeed: 4);
        Assert.Equal(0, CliRunner.Run("study", "run", file, "--cv-only", "--report", "true"));
        var spec = StudySpec.Load(file);
        string folder = StudyRunner.DefaultFolder(file, spec);
        var manifest = ManifestInput.Open(spec.Manifest, null);
        var plan = SplitPlan.Load(Path.Combine(folder, CrossValidation.SplitFile));
        Assert.DoesNotContain(plan.Patients, p => p.OutOfBox);   // every patient, the OOB set included

        using (var store = StudyRunner.OpenStore(folder))
        {
            var trials = store.Trials(spec.Name);
            Assert.Equal(2 * 3 * 2, trials.Count);                // 2 combinations x 3 folds x 2 sides, nothing else
            Assert.All(trials, t => Assert.Equal(CrossValidation.Level, t.Level));
            foreach (var trial in trials)
            {
                // The trial tested exactly its fold's test patients, none of whom it trained or validated on.
                var tested = TrialRunner.ReadPredictions(Path.Combine(folder, "trials", trial.Hash, TrialRunner.TestPredictionsFile)).Select(p => p.ImageId).ToList();
                Assert.Equal(plan.Images(SplitPart.Test, trial.Fold).Order(StringComparer.Ordinal), tested.Order(StringComparer.Ordinal));
                var seen = Pleura.Networks.Weights.Checkpoint.ReadInfo(trial.Checkpoint).SeenImages!;
                var testedPatients = tested.Select(i => manifest.Rows.Single(r => r.ImageId == i).PatientId).ToHashSet();
                Assert.DoesNotContain(seen, i => testedPatients.Contains(manifest.Rows.Single(r => r.ImageId == i).PatientId));
            }
            // The out-of-fold file of each side holds every image once.
            var predictions = store.Artefacts(spec.Name).Where(a => a.Kind.StartsWith(CrossValidation.PredictionsKind, StringComparison.Ordinal)).ToList();
            Assert.Equal(4, predictions.Count);
            foreach (var artefact in predictions)
                Assert.Equal(manifest.Rows.Select(r => r.ImageId).Order(StringComparer.Ordinal),
                    TrialRunner.ReadPredictions(artefact.Path).Select(p => p.ImageId).Order(StringComparer.Ordinal));

            var results = store.Results(spec.Name);
            var chosen = results.Where(r => r.Level == ResultLevels.CrossValidated && r.Selected).Select(r => r.Group).Distinct().Single();
            Assert.Equal("resnet10-w16 / roi none / over", chosen);  // --cv-only: the grid's first combination is the reference
            foreach (var comparison in new[] { Levels.Reader1, Levels.Reader2, Levels.ReaderVsReader })
            {
                var mean = results.Single(r => r.Level == ResultLevels.CrossValidated && r.Group == chosen && r.Side == "mean" && r.Comparison == comparison && r.Metric == "macro_mae");
                Assert.Equal(2 * manifest.Rows.Count, mean.Count);
                Assert.True(mean.Low <= mean.Value && mean.Value <= mean.High, $"{mean.Low} {mean.Value} {mean.High}");
            }
            var paired = results.Single(r => r.Level == ResultLevels.CrossValidatedPaired && r.Grouping == "combination" && r.Metric == "macro_mae");
            Assert.Equal("resnet10-w16 / roi lung / over", paired.Group);
            double Mean(string group) => results.Single(r => r.Level == ResultLevels.CrossValidated && r.Group == group && r.Side == "mean" && r.Comparison == Levels.Reader1 && r.Metric == "macro_mae").Value;
            Assert.Equal(Mean(paired.Group) - Mean(chosen), paired.Value, 9);
            // The baselines on the chosen recipe's folds and lungs: every lung once, paired against it.
            foreach (var baseline in new[] { Baselines.IntensityName, Baselines.ProbeName })
            {
                var mean = results.Single(r => r.Level == ResultLevels.CrossValidated && r.Grouping == CrossValidation.BaselineGrouping && r.Group == baseline
                                               && r.Side == "mean" && r.Comparison == Levels.Reader1 && r.Metric == "macro_mae");
                Assert.Equal(2 * manifest.Rows.Count, mean.Count);
                var difference = results.Single(r => r.Level == ResultLevels.CrossValidatedPaired && r.Grouping == CrossValidation.BaselineGrouping && r.Group == baseline && r.Metric == "macro_mae");
                Assert.Equal(mean.Value - Mean(chosen), difference.Value, 9);
            }
            Assert.DoesNotContain(results, r => r.Grouping == CrossValidation.BaselineGrouping && r.Comparison == Levels.ReaderVsReader);
            // The warning follows the rule: said exactly when a baseline's estimate is at or below the model's.
            double best = new[] { Baselines.IntensityName, Baselines.ProbeName }.Min(Mean);
            Assert.Equal(best <= Mean(chosen), Pleura.Reporting.BaselineWarning.Of(results) is not null);
        }
        Assert.Contains("Cross-validated over every patient", File.ReadAllText(Path.Combine(folder, "report", "report.html")));

        // A second study on the same folds pairs with the first (here the same recipe: a difference of exactly 0);
        // one dealt with another seed does not.
        var same = WriteStudy(dir.Path, "cv-again", cvSeed: 4);
        Assert.Equal(0, CliRunner.Run("study", "run", same, "--cv-only", "--report", "false"));
        using (var a = StudyRunner.OpenStore(folder))
        using (var b = StudyRunner.OpenStore(StudyRunner.DefaultFolder(same, StudySpec.Load(same))))
        {
            var d = CrossValidation.Compare(a, "cv", b, "cv-again").Single(r => r.Metric == "macro_mae");
            Assert.Equal((0.0, 0.0, 0.0), (d.Difference.Estimate, d.Difference.Low, d.Difference.High));
        }
        Assert.Equal(0, CliRunner.Run("study", "compare", file, same));
        var other = WriteStudy(dir.Path, "cv-other", cvSeed: 5);
        Assert.Equal(0, CliRunner.Run("study", "run", other, "--cv-only", "--report", "false"));
        Assert.NotEqual(0, CliRunner.Run("study", "compare", file, other));
    }

    [Fact]
    public void APooledStudyTrainsOneModelPerFoldAndGradesAndDeploysItPerLung()
    {
        using var dir = new TempFolder();
        var file = WriteStudy(dir.Path, "pooled", cvSeed: 4, sides: "[pooled]", ensemble: true);
        Assert.Equal(0, CliRunner.Run("study", "run", file, "--report", "false"));
        var spec = StudySpec.Load(file);
        string folder = StudyRunner.DefaultFolder(file, spec);
        var manifest = ManifestInput.Open(spec.Manifest, null);
        using var store = StudyRunner.OpenStore(folder);
        var trials = store.Trials(spec.Name);
        Assert.All(trials, t => Assert.Equal("pooled", t.Side));
        Assert.Equal(2 + 2 + 1 + 3, trials.Count);   // level 1: 2 combinations; level 2: fold 2 of both; level 3; CV: the chosen one on 3 folds
        foreach (var side in new[] { "left", "right" })
        {
            var info = Pleura.Networks.Weights.Checkpoint.ReadInfo(Path.Combine(folder, "final", side, "model.safetensors"));
            Assert.True(info.Pooled);
            Assert.Equal(side, info.Side);
            Assert.Equal(3, info.EnsembleMembers?.Count);   // the answer: the final model and the two level-2 fold models
            Assert.Contains(store.Results(spec.Name), r => r.Level == "3" && r.Side == side && r.Comparison == Levels.Reader1 && r.Metric == "macro_mae");
        }
        Assert.Contains(store.Results(spec.Name), r => r.Level == "3" && r.Side == "mean" && r.Comparison == Levels.Reader1 && r.Metric == "macro_mae");
        // Levels 1 and 2 show each combination's test lungs pooled with an interval over patients; level 2 pools the lungs of both folds.
        foreach (var level in new[] { ResultLevels.Ranking, ResultLevels.Selection })
        {
            var pooledTest = store.Results(spec.Name).Where(r => r.Level == level && r.Metric == Levels.TestLungsMacroMae).ToList();
            Assert.Equal(2, pooledTest.Count);
            Assert.All(pooledTest, r => Assert.True(r.Low <= r.Value && r.Value <= r.High));
        }
        // The cross-validated lungs of both sides, every image once per side.
        var oof = store.Artefacts(spec.Name).Where(a => a.Kind.StartsWith(CrossValidation.PredictionsKind, StringComparison.Ordinal)).GroupBy(a => a.Kind).ToList();
        Assert.Equal(2, oof.Count);
        foreach (var kind in oof)
            foreach (var artefact in kind)
                Assert.Equal(manifest.Rows.Count, TrialRunner.ReadPredictions(artefact.Path).Select(p => p.ImageId).Distinct().Count());
        Assert.Throws<InvalidDataException>(() => StudySpec.Load(WriteStudy(dir.Path, "mixed", cvSeed: 4, sides: "[pooled, left]")));
    }
}
