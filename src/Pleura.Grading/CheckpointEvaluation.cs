using System.Globalization;
using System.Text;
using System.Text.Json;
using Pleura.Data;
using Pleura.Datasets;
using Pleura.Evaluation;
using Pleura.Files;
using Pleura.Imaging;
using Pleura.Networks;
using Pleura.Networks.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace Pleura.Grading;

/// <summary>One side's scores on a set, or the mean of the sides' scores (Side = "mean of sides").</summary>
public sealed record SideEvaluation(string Side, int Count, IReadOnlyList<MetricValue> Metrics, ConfusionMatrix? Confusion);

/// <summary>Per image and side: the truth, the predicted grade, the class probabilities and the expected grade.</summary>
public sealed record GradePrediction(string ImageId, string Side, int? Truth, int Predicted, float[] Probabilities)
{
    public double ExpectedGrade => Probabilities.Select((p, k) => p * k).Sum();
}

/// <summary>
/// `pleura evaluate`: scores a run's left and right checkpoints on a part of a fold (or the OOB set) with every
/// METHOD section 7 metric per side and averaged over the sides, with bootstrap intervals.
/// </summary>
public static class CheckpointEvaluation
{
    public const string MeanOfSides = "mean of sides";

    public static (IReadOnlyList<SideEvaluation> Results, IReadOnlyList<GradePrediction> Predictions, IReadOnlyList<ImageFailure> Failures) Evaluate(
        string runFolder, string manifestPath, string splitPath, SplitPart part, int fold, bool bfloat16 = false,
        int bootstrapIterations = 1000, int seed = 0, ErrorPolicy policy = ErrorPolicy.Continue, Action<string>? log = null, bool heatmaps = false,
        bool allowSeen = false, bool allowIncomplete = false)
    {
        var unfinished = RunRecord.RequireComplete(runFolder, allowIncomplete);
        var labelColumns = Side.Both.Select(s => GradingRun.CheckpointPath(runFolder, s)).Where(File.Exists).Select(p => Checkpoint.ReadInfo(p).LabelColumn).ToList();
        var (manifest, plan, warning) = SideData.Open(manifestPath, splitPath, labelColumns);
        var splitFingerprint = Fingerprints.OfFile(splitPath);
        if (warning is not null) log?.Invoke(warning);
        var results = new List<SideEvaluation>();
        var predictions = new List<GradePrediction>();
        var failures = new List<ImageFailure>();
        // The part's images are decoded once per input size and serve both sides.
        var ids = plan.Images(part, fold).ToHashSet();
        var caches = new Dictionary<int, RoiImages>();
        foreach (var side in Side.Both)
        {
            var path = GradingRun.CheckpointPath(runFolder, side);
            if (unfinished.Contains(side.Name)) continue;
            if (!File.Exists(path)) { log?.Invoke($"no {side.Name} model in {runFolder}; skipped"); continue; }
            var (model, info) = Checkpoint.LoadForInference(path, bfloat16);
            var rows = SideData.Rows(manifest, plan, part, fold, info.LabelColumn);
            if (rows.Count == 0) throw new InvalidDataException($"no graded images for {side.Name} ({info.LabelColumn}) in {part} of fold {fold}");
            int seen = SeenImages(info, path, rows.Select(r => r.Row.ImageId).ToList(), part, splitFingerprint, allowSeen, log);
            if (!caches.TryGetValue(info.InputSize, out var images))
            {
                images = caches[info.InputSize] = RoiImages.Load(manifest, manifest.Rows.Where(r => ids.Contains(r.ImageId)).ToList(), info.InputSize, policy);
                failures.AddRange(images.Unreadable);
            }
            rows = rows.Where(r => images.Contains(r.Row.ImageId)).ToList();
            // The checkpoint's ROI scheme, made from the manifest's lung masks as in training.
            var roi = Pleura.Imaging.Roi.RoiSchemes.Parse(info.Roi);
            using var set = Pleura.Training.LabelledImages.FromPixels(rows.Select(r => images.Input(r.Row.ImageId, roi, side.Patient, info.Pooled).Pixels).ToList(), info.InputSize, rows.Select(r => r.Grade).ToList());
            foreach (var f in images.RoiFailures.Where(f => f.Side == side.Name)) log?.Invoke($"{f.ImageId} {f.Side}: ROI {f.Roi} failed ({f.Reason}); {RoiFailure.Rule}");
            var (probabilities, predicted) = Pleura.Training.CheckpointScoring.Score(model, set.Images, info);
            var truth = rows.Select(r => r.Grade).ToArray();
            predictions.AddRange(rows.Select((r, i) => new GradePrediction(r.Row.ImageId, side.Name, r.Grade, predicted[i], probabilities[i])));
            var metrics = MetricTable.Score(truth, predicted, probabilities.Select(p => (IReadOnlyList<double>)p.Select(v => (double)v).ToArray()).ToArray(), OpacityGrade.Count, bootstrapIterations, seed);
            if (allowSeen) metrics = metrics.Append(new MetricValue(SeenMetric, seen, double.NaN, double.NaN)).ToList();
            results.Add(new SideEvaluation(side.Name, rows.Count, metrics, GradeMetrics.Compute(truth, predicted).Confusion));
        }
        if (results.Count == 0) throw new FileNotFoundException($"{runFolder}: no left/model.safetensors or right/model.safetensors");
        if (results.Count > 1)
        {
            // METHOD: "all reported per side and averaged over left and right".
            var mean = results[0].Metrics.Select((m, i) => new MetricValue(m.Name, results.Average(r => r.Metrics[i].Value), double.NaN, double.NaN)).ToList();
            if (heatmaps && caches.Values.Any(c => c.HasMasks))
            {
                // METHOD section 8: HCS and MA-HCS beside MAE, from the whole-image heatmaps and the manifest's lung masks.
                var (_, summary) = Explanation.Run(runFolder, manifestPath, splitPath, part, fold, outputFolder: null);
                mean.Add(new MetricValue("hcs_mean", summary.MeanHcs, double.NaN, double.NaN));
                mean.Add(new MetricValue("ma_hcs", summary.MaHcs, double.NaN, double.NaN));
                mean.Add(new MetricValue("hcs_count_mean", summary.MeanHcsCount, double.NaN, double.NaN));
                mean.Add(new MetricValue("opacity_concordance_mean", summary.MeanOpacityConcordance, double.NaN, double.NaN));
            }
            results.Add(new SideEvaluation(MeanOfSides, results.Sum(r => r.Count), mean, null));
        }
        // --allow-incomplete: a side that did not finish is named in every table, with no figures and no mean over sides.
        if (unfinished.Count > 0) log?.Invoke($"{runFolder}: {RunRecord.IncompleteNote(unfinished)}");
        foreach (var side in unfinished) results.Add(new SideEvaluation(side, 0, [new MetricValue(UnfinishedMetric, 1, double.NaN, double.NaN)], null));
        return (results, predictions, failures.DistinctBy(f => f.Path).ToList());
    }

    /// <summary>With --allow-incomplete: the metric a side whose training did not finish has instead of figures (1).</summary>
    public const string UnfinishedMetric = "training_not_finished";

    /// <summary>With --allow-seen: how many scored images the model was trained or validated on.</summary>
    public const string SeenMetric = "images_seen_in_training";

    /// <summary>
    /// Test or OOB figures on images the model learnt from or was chosen on would overstate it: refused, or with
    /// <paramref name="allowSeen"/> counted and announced. The training and validation parts are asked for by name.
    /// </summary>
    static int SeenImages(CheckpointInfo info, string checkpoint, IReadOnlyList<string> ids, SplitPart part, string splitFingerprint, bool allowSeen, Action<string>? log)
    {
        if (part is not (SplitPart.Test or SplitPart.OutOfBox)) return 0;
        if (info.SeenImages is null)
        {
            if (info.SplitFingerprint != splitFingerprint)
                log?.Invoke($"warning: {checkpoint} does not record the images it learnt from (an older checkpoint) and was trained on another split file; overlap with its training images cannot be checked");
            return 0;
        }
        var learnt = info.SeenImages.ToHashSet(StringComparer.Ordinal);
        int overlap = ids.Count(learnt.Contains);
        if (overlap == 0) return 0;
        var message = $"{overlap} of the {ids.Count} {PartName(part)} images were used to train or validate {checkpoint} (trained on {info.SplitFile}, fold {info.Fold})";
        if (!allowSeen)
            throw new InvalidDataException(message + "; evaluate it with the split and fold it was trained on, or pass --allow-seen to score anyway with the overlap reported");
        log?.Invoke($"{message}; scored anyway (--allow-seen): these figures overstate the model");
        return overlap;
    }

    static string PartName(SplitPart part) => part == SplitPart.OutOfBox ? "OOB" : part.ToString().ToLowerInvariant();

    public static void Write(string folder, IReadOnlyList<SideEvaluation> results, IReadOnlyList<GradePrediction> predictions)
    {
        Directory.CreateDirectory(folder);
        CsvOutput.Write(Path.Combine(folder, "metrics.csv"), ["side", "n", "metric", "value", "ci_low", "ci_high"],
            results.SelectMany(r => r.Metrics.Select(m => new[] { r.Side, CsvOutput.Integer(r.Count), m.Name, CsvText.Number(m.Value), CsvText.Number(m.Low), CsvText.Number(m.High) })));
        var json = results.Select(r => new
        {
            side = r.Side,
            n = r.Count,
            metrics = r.Metrics.ToDictionary(m => m.Name, m => new { value = CsvText.OrNull(m.Value), ci_low = CsvText.OrNull(m.Low), ci_high = CsvText.OrNull(m.High) }),
            confusion_matrix = r.Confusion?.ToRows(),
        });
        AtomicFile.WriteAllText(Path.Combine(folder, "metrics.json"), JsonSerializer.Serialize(json, JsonText.Indented));
        WritePredictions(Path.Combine(folder, "predictions.csv"), predictions,
            results.Where(r => r.Metrics.Any(m => m.Name == UnfinishedMetric)).Select(r => r.Side).ToList());
    }

    /// <summary>
    /// The predictions table; each side in <paramref name="unfinished"/> (--allow-incomplete) has a row per image with
    /// no grade and <see cref="UnfinishedMetric"/> in the grade's place, so that the table says which lung is missing.
    /// </summary>
    public static void WritePredictions(string path, IReadOnlyList<GradePrediction> predictions, IReadOnlyList<string>? unfinished = null)
    {
        var missing = (unfinished ?? []).SelectMany(side => predictions.Select(p => p.ImageId).Distinct()
            .Select(image => new[] { image, side, "", UnfinishedMetric, "", "", "", "", "" }));
        CsvOutput.Write(path, ["image", "side", "truth", "grade", "p_clear", "p_mild", "p_moderate", "p_severe", "expected_grade"],
            predictions.Select(p => new[] { p.ImageId, p.Side, CsvOutput.Integer(p.Truth), CsvOutput.Integer(p.Predicted) }
                .Concat(p.Probabilities.Select(v => v.ToString("0.000000", CultureInfo.InvariantCulture)))
                .Append(p.ExpectedGrade.ToString("0.0000", CultureInfo.InvariantCulture))).Concat(missing));
    }

}
