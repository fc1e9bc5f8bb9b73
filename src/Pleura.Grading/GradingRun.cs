using System.Text.Json.Nodes;
using Pleura.Data;
using Pleura.Datasets;
using Pleura.Evaluation;
using Pleura.Imaging.Roi;
using Pleura.Training;

namespace Pleura.Grading;

/// <summary>One side's trained model and how it did.</summary>
public sealed record SideOutcome(Side Side, string CheckpointPath, TrainingResult Training, GradeMetrics? Test, int TrainImages, int ValidationImages, int TestImages);

/// <summary>
/// `pleura train`: reads the fold's images once (in parallel, at the model's input size), then trains the left and the
/// right model in turn, each in its own resumable folder, and saves each as a checkpoint with its sidecar.
/// </summary>
public static class GradingRun
{
    public static readonly IReadOnlyList<string> ClassNames = OpacityGrade.Names;

    public static string CheckpointPath(string runFolder, Side side) => Path.Combine(runFolder, side.Name, "model.safetensors");

    public static IReadOnlyList<SideOutcome> Train(GradingJob job, Action<string>? log = null, Action<Side, TrainingProgress>? progress = null,
        Action<int, int>? loading = null, CancellationToken cancel = default)
    {
        log ??= _ => { };
        job.Training.Check();
        var (manifest, plan, warning) = SideData.Open(job.ManifestPath, job.SplitPath, job.Sides.Select(s => s.Reader1Column).ToList());
        if (warning is not null) log("warning: " + warning);
        if (job.Roi != RoiScheme.None && !RoiImages.ManifestHasMasks(manifest))
            throw new InvalidDataException($"ROI {job.Roi.Name()} needs lung masks: {job.ManifestPath} has no left_lung_mask / right_lung_mask or lung_mask column (run `pleura segment predict --manifest` with a lung model)");
        var (dataFingerprint, splitFingerprint) = (manifest.Fingerprint(), Fingerprints.OfFile(job.SplitPath));
        RunRecord.Claim(job, dataFingerprint, splitFingerprint);

        var parts = new[] { SplitPart.Train, SplitPart.Validation, SplitPart.Test };
        var needed = parts.SelectMany(p => plan.Images(p, job.Fold)).ToHashSet();
        var rows = manifest.Rows.Where(r => needed.Contains(r.ImageId)).ToList();
        log($"reading {rows.Count} images of fold {job.Fold} at {job.Training.ImageSize}x{job.Training.ImageSize}");
        var images = RoiImages.Load(manifest, rows, job.Training.ImageSize, job.OnUnreadableImage, done => loading?.Invoke(done, rows.Count));
        var cache = images.Whole;
        if (cache.Failures.Count > 0)
        {
            cache.WriteFailures(Path.Combine(job.RunFolder, "unreadable.csv"));
            foreach (var f in cache.Failures.Take(10)) log($"unreadable, left out: {f.Path}: {f.Reason}");
            log($"{cache.Failures.Count} unreadable image(s) listed in unreadable.csv");
        }

        var outcomes = new List<SideOutcome>();
        // Per-lung models (METHOD): one model per side. Pooled: one model for every side, under its own work folder.
        var models = job.Pooled
            ? new[] { (Name: PooledSides.Name, Sides: job.Sides) }
            : job.Sides.Select(s => (s.Name, Sides: (IReadOnlyList<Side>)new[] { s })).ToArray();
        foreach (var (name, sides, index) in models.Select((m, i) => (m.Name, m.Sides, i)))
        {
            var rowsBySide = sides.ToDictionary(side => side, side => (
                Train: SideData.Rows(manifest, plan, SplitPart.Train, job.Fold, side.Reader1Column, cache),
                Validation: SideData.Rows(manifest, plan, SplitPart.Validation, job.Fold, side.Reader1Column, cache),
                Test: SideData.Rows(manifest, plan, SplitPart.Test, job.Fold, side.Reader1Column, cache)));
            foreach (var (side, part) in rowsBySide)
                if (part.Train.Count == 0 || part.Validation.Count == 0)
                    throw new InvalidDataException($"{side.Name}: no graded images in the training or validation part of fold {job.Fold} (column {side.Reader1Column})");
            LabelledImages Tensors(IEnumerable<(Side Side, List<(ManifestRow Row, int Grade)> Rows)> of)
            {
                var list = of.ToList();
                if (job.Roi == RoiScheme.None && !job.Pooled) return SideData.Tensors(list.Single().Rows, cache);
                return LabelledImages.FromPixels(list.SelectMany(x => x.Rows.Select(r => images.Input(r.Row.ImageId, job.Roi, x.Side.Patient, job.Pooled).Pixels)).ToList(),
                    cache.Size, list.SelectMany(x => x.Rows.Select(r => r.Grade)).ToList());
            }
            using var train = Tensors(rowsBySide.Select(p => (p.Key, p.Value.Train)));
            using var validation = Tensors(rowsBySide.Select(p => (p.Key, p.Value.Validation)));
            var config = (job.Training with { Seed = job.Training.Seed + 1000 * index }).StartingFrom(job.Pretrained);
            log($"{name}: {train.Count} training, {validation.Count} validation lungs{(job.Pooled ? " (every side's, the left mirrored)" : "")}; {config.Architecture}, balancing {config.Balancing}");
            var trainingPlan = new TrainingPlan(config, ClassNames.Count, new ModelStart(config.Seed, job.Pretrained), Path.Combine(job.RunFolder, name, "work"));
            using var trained = ModelTraining.Train(trainingPlan, train, validation, p => { foreach (var side in sides) progress?.Invoke(side, p); }, m => log($"{name}: {m}"), cancel);
            var result = trained.Result;
            log($"{name}: {result.StopReason}");

            foreach (var (side, part) in rowsBySide)
            {
                foreach (var f in images.RoiFailures.Where(f => f.Side == side.Name)) log($"{f.ImageId} {f.Side}: ROI {f.Roi} failed ({f.Reason}); {RoiFailure.Rule}");
                // Scored as every command scores the checkpoint (recipe, test-time augmentation, decision rule).
                var described = trained.Describe(ClassNames) with { Pooled = job.Pooled };
                using var sideValidation = Tensors(new[] { (side, part.Validation) });
                var metrics = new JsonObject { ["validation"] = Summary(GradeMetrics.Compute(sideValidation.Labels, CheckpointScoring.Score(trained.Model, sideValidation.Images, described).Grades)) };
                GradeMetrics? test = null;
                if (part.Test.Count > 0)
                {
                    using var testSet = Tensors(new[] { (side, part.Test) });
                    test = GradeMetrics.Compute(testSet.Labels, CheckpointScoring.Score(trained.Model, testSet.Images, described).Grades);
                    metrics["test"] = Summary(test);
                }
                var path = CheckpointPath(job.RunFolder, side);
                trained.Save(path, described with
                {
                    Side = side.Name,
                    LabelColumn = side.Reader1Column,
                    Roi = job.Roi.Name(),
                    Metrics = metrics,
                    SplitFile = Path.GetFullPath(job.SplitPath),
                    Fold = job.Fold,
                    SplitFingerprint = splitFingerprint,
                    DataFingerprint = dataFingerprint,
                    SeenImages = rowsBySide.Values.SelectMany(p => p.Train.Concat(p.Validation)).Select(r => r.Row.ImageId).Distinct().Order(StringComparer.Ordinal).ToList(),
                });
                RunRecord.MarkFinished(job.RunFolder, side);
                outcomes.Add(new SideOutcome(side, path, result, test, part.Train.Count, part.Validation.Count, part.Test.Count));
            }
        }
        // The bfloat16 check `--precision auto` relies on, on the test part both sides were scored on.
        if (outcomes.Count > 0 && outcomes.All(o => o.TestImages > 0))
        {
            var agreement = PrecisionCheck.Measure(job.RunFolder, job.ManifestPath, job.SplitPath, SplitPart.Test, job.Fold);
            log($"bfloat16 against float32: {agreement}{(agreement.Holds ? "" : "; --precision auto will keep float32")}");
        }
        return outcomes;
    }

    internal static JsonObject Summary(GradeMetrics m) => new()
    {
        ["n"] = m.Count,
        [MetricTable.MacroMae] = m.MacroMae,
        ["mae"] = m.Mae,
        ["accuracy"] = m.Accuracy,
        [MetricTable.F1Weighted] = m.Report.F1Weighted,
        [MetricTable.QuadraticKappa] = double.IsNaN(m.QuadraticKappa) ? null : m.QuadraticKappa,
    };
}
