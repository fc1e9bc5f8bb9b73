using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Pleura.Data;
using Pleura.Datasets;
using Pleura.Evaluation;
using Pleura.Explainability;
using Pleura.Files;
using Pleura.Imaging.Roi;
using Pleura.Networks;
using Pleura.Store;
using Pleura.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pleura.Study;

/// <summary>A side model's output for one image: class probabilities and, with lung masks, its heatmap's HCS.</summary>
public sealed record SidePrediction(string ImageId, int Truth, int Predicted, float[] Probabilities, double? Hcs);

/// <summary>Trains and scores one trial; everything it writes lives in the trial's folder and the store.</summary>
public static class TrialRunner
{
    public const int Classes = OpacityGrade.Count;
    /// <summary>A trial's predictions on its fold's test part, in its folder.</summary>
    public const string TestPredictionsFile = "test_predictions.csv";

    public static void Run(StudyContext context, TrialPlan trial, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        string folder = context.TrialFolder(trial.Hash);
        Directory.CreateDirectory(folder);
        var roi = trial.Combination.Roi;
        // A per-lung trial trains on its side; a pooled one on every side, the left mirrored (PooledSides), and is scored per side.
        bool pooled = IsPooled(trial);
        var sides = Sides(trial);
        string reference = string.Join("+", sides.Select(s => context.Columns(s.Name()).Reader1));

        using var train = Merge(sides.SelectMany(side =>
        {
            var columns = context.Columns(side.Name());
            var parts = new List<Part> { Labelled(context, SplitPart.Train, trial.Fold, columns.Reader1, roi, side, pooled) };
            if (context.Spec.TrainOnBothReaders && columns.Reader2 is { } second) parts.Add(Labelled(context, SplitPart.Train, trial.Fold, second, roi, side, pooled));
            return parts;
        }).ToList());
        using var validation = Merge(sides.Select(side => Labelled(context, SplitPart.Validation, trial.Fold, context.Columns(side.Name()).Reader1, roi, side, pooled)).ToList());
        if (train.Set.Count == 0 || validation.Set.Count == 0)
            throw new InvalidDataException($"no graded images in the training or validation part of fold {trial.Fold} (column {reference})");

        var plan = new TrainingPlan(trial.Config, Classes, Start(context, trial.Combination.Backbone), Path.Combine(folder, "work")) { Cache = context.Cache };
        using var trained = ModelTraining.Train(plan, train.Set, validation.Set, cancel: cancel);
        var result = trained.Result;

        var tests = sides.ToDictionary(side => side, side => Predict(context, trained.Model, trial.Config, SplitPart.Test, trial.Fold, context.Columns(side.Name()).Reader1, roi, side, pooled: pooled));
        foreach (var (side, test) in tests) WritePredictions(TestPredictionsPath(folder, trial, side), test);
        var testMetrics = tests.Values.Where(t => t.Count > 0)
            .Select(t => (Metrics: GradeMetrics.Compute(t.Select(p => p.Truth).ToList(), t.Select(p => p.Predicted).ToList()), Predictions: t)).ToList();
        string checkpoint = Path.Combine(folder, "model.safetensors");
        trained.Save(checkpoint, trained.Describe(OpacityGrade.Names) with
        {
            Side = trial.Side, LabelColumn = reference, Roi = roi.Name(), Pooled = pooled, Fold = trial.Fold, SplitFingerprint = context.SplitFingerprint,
            DataFingerprint = context.DataFingerprint, SeenImages = train.Ids.Concat(validation.Ids).Distinct().Order(StringComparer.Ordinal).ToList(),
            Metrics = new JsonObject { ["test_macro_mae"] = testMetrics.Count > 0 ? testMetrics.Average(t => t.Metrics.MacroMae) : null },
        });

        var metrics = new List<MetricRecord>();
        var (_, valPredicted) = trained.Evaluate(validation.Set);
        metrics.AddRange(Summary(trial.Hash, "validation", GradeMetrics.Compute(validation.Set.Labels, valPredicted), null));
        // A pooled trial's test figures are the mean of its sides', as levels 1-2 average two per-lung trials.
        metrics.AddRange(testMetrics.SelectMany(t => Summary(trial.Hash, "test", t.Metrics, t.Predictions))
            .GroupBy(m => m.Metric).Select(g => g.First() with { Value = g.Average(m => m.Value), Count = g.Sum(m => m.Count) }));
        var epochs = result.History.Select(h => new EpochLog(trial.Hash, h.Stage, h.Epoch, h.LearningRate, h.TrainLoss, h.ValidationLoss,
            h.ValidationMacroMae, h.ValidationAccuracy, h.Seconds, h.ResidentMegabytes));
        context.Store.Finish(trial.Hash, clock.Elapsed.TotalSeconds, checkpoint, metrics, epochs);
    }

    /// <summary>Whether a trial is one model for both lungs (`sides: [pooled]` in the grid).</summary>
    public static bool IsPooled(TrialPlan trial) => trial.Side == PooledSides.Name;

    /// <summary>The lungs a trial's model grades: its side, or both for a pooled trial.</summary>
    public static IReadOnlyList<PatientSide> Sides(TrialPlan trial) => IsPooled(trial) ? PatientSides.Both : new[] { Enum.Parse<PatientSide>(trial.Side, true) };

    /// <summary>Where a trial wrote its test predictions for a side (a pooled trial writes one file per side).</summary>
    public static string TestPredictionsPath(string trialFolder, TrialPlan trial, PatientSide side) =>
        Path.Combine(trialFolder, IsPooled(trial) ? $"test_predictions_{side.Name()}.csv" : TestPredictionsFile);

    /// <summary>
    /// A trial's start: pretrained weights for the backbone when the study names them, over one seeded initialisation
    /// per backbone. Every trial of a backbone starts from the same weights: comparisons differ only in what the grid
    /// varies, and trials share cached frozen-prefix activations.
    /// </summary>
    public static ModelStart Start(StudyContext context, string backbone) =>
        new(context.Spec.Seed * 7919 + backbone.Sum(c => c), context.Spec.Pretrained.GetValueOrDefault(backbone));

    internal sealed record Part(LabelledImages Set, IReadOnlyList<string> Ids, IReadOnlyList<float[]> Pixels, IReadOnlyList<RoiCut> Cuts) : IDisposable
    {
        public void Dispose() => Set.Dispose();
    }

    internal static Part Labelled(StudyContext context, SplitPart part, int fold, string labelColumn, RoiScheme roi, PatientSide side, bool pooled = false)
    {
        var rows = SideData.Rows(context.Manifest, context.Plan, part, fold, labelColumn, context.Images.Whole);
        var inputs = rows.Select(r => context.Images.Input(r.Row.ImageId, roi, side, pooled)).ToList();
        // The activation cache's key: a mirrored input is another input.
        string sideKey = (roi == RoiScheme.None ? "" : side.Name()) + (pooled && PooledSides.Mirrors(side) ? "|mirrored" : "");
        var pixels = inputs.Select(i => i.Pixels).ToList();
        var set = LabelledImages.FromPixels(pixels, context.Images.InputSize, rows.Select(r => r.Grade).ToList(),
            rows.Select(r => $"{r.Row.ImageId}|{roi.Name()}|{sideKey}").ToList());
        return new Part(set, rows.Select(r => r.Row.ImageId).ToList(), pixels, inputs.Select(i => i.Cut).ToList());
    }

    /// <summary>One part from several (label columns, sides): every image once per part it is in. A single part is returned as it is.</summary>
    static Part Merge(IReadOnlyList<Part> parts)
    {
        if (parts.Count == 1) return parts[0];
        try
        {
            var pixels = parts.SelectMany(p => p.Pixels).ToList();
            var set = LabelledImages.FromPixels(pixels, (int)parts[0].Set.Images.shape[2], parts.SelectMany(p => p.Set.Labels).ToList(),
                parts.SelectMany(p => p.Set.Keys ?? Array.Empty<string>()).ToList());
            return new Part(set, parts.SelectMany(p => p.Ids).ToList(), pixels, parts.SelectMany(p => p.Cuts).ToList());
        }
        finally
        {
            foreach (var p in parts) p.Dispose();
        }
    }

    /// <summary>
    /// Probabilities for every graded image of a part, and with lung masks and heatmaps enabled, the HCS of the side's
    /// Grad-CAM heatmap mapped back to the whole image; <paramref name="heatmapSink"/> receives that map at the input size.
    /// </summary>
    public static IReadOnlyList<SidePrediction> Predict(StudyContext context, nn.Module<Tensor, Tensor> model, TrainingConfig config, SplitPart part, int fold,
        string labelColumn, RoiScheme roi, PatientSide side, Action<string, float[]>? heatmapSink = null, bool explain = true, bool pooled = false)
    {
        using var data = Labelled(context, part, fold, labelColumn, roi, side, pooled);
        int size = context.Images.InputSize;
        bool heatmaps = explain && context.Spec.Heatmaps && context.Images.HasMasks;
        // The Grad-CAM pass below gives the plain probabilities; a separate pass is needed without it or with augmented copies.
        var probabilities = !heatmaps || config.TestTimeAugmentations > 0
            ? CheckpointScoring.Probabilities(model, data.Set.Images, config.RecordedIn(new Pleura.Networks.Weights.CheckpointInfo
                { Architecture = config.Architecture, Classes = OpacityGrade.Names, InputSize = config.ImageSize, InputChannels = config.InputChannels }))
            : null;
        if (!heatmaps)
            return data.Ids.Select((id, i) => new SidePrediction(id, data.Set.Labels[i], config.Decision.Decide(probabilities![i]), probabilities[i], null)).ToList();
        var result = new List<SidePrediction>();
        const int batch = 16;
        for (int start = 0; start < data.Ids.Count; start += batch)
        {
            var ids = data.Ids.Skip(start).Take(batch).ToList();
            var explained = SideHeatmap.Explain(side.Name(), model, GradCam.DefaultLayer(config.Architecture),
                data.Pixels.Skip(start).Take(batch).ToList(), size, config.InputChannels, config.Recipe);
            for (int k = 0; k < ids.Count; k++)
            {
                var cut = data.Cuts[start + k];
                var lungs = context.Images.LungMask(ids[k], cut.Width);
                double? hcs = lungs is null ? null : HeatmapConcordance.Weighted(cut.MapBack(explained[k].Heatmap, size), lungs.Select(v => v > 0.5f).ToArray());
                heatmapSink?.Invoke(ids[k], cut.MapBackAtInputSize(explained[k].Heatmap, size));
                // The heatmap explains the image itself; with augmented copies the grade comes from their averaged probabilities.
                var p = probabilities?[start + k] ?? explained[k].Probabilities;
                result.Add(new SidePrediction(ids[k], data.Set.Labels[start + k], config.Decision.Decide(p), p, hcs));
            }
        }
        return result;
    }

    static IEnumerable<MetricRecord> Summary(string hash, string set, GradeMetrics m, IReadOnlyList<SidePrediction>? predictions)
    {
        yield return new(hash, set, MetricTable.MacroMae, m.MacroMae, m.Count);
        yield return new(hash, set, "mae", m.Mae, m.Count);
        yield return new(hash, set, "accuracy", m.Accuracy, m.Count);
        yield return new(hash, set, MetricTable.F1Weighted, m.Report.F1Weighted, m.Count);
        if (!double.IsNaN(m.QuadraticKappa)) yield return new(hash, set, MetricTable.QuadraticKappa, m.QuadraticKappa, m.Count);
        if (!double.IsNaN(m.R2)) yield return new(hash, set, "r2", m.R2, m.Count);
        var scored = predictions?.Where(p => p.Hcs.HasValue).ToList();
        if (scored is { Count: > 0 })
        {
            yield return new(hash, set, "hcs", scored.Average(p => p.Hcs!.Value), scored.Count);
            yield return new(hash, set, "ma_hcs", HeatmapConcordance.MacroAveraged(scored.Select(p => (p.Truth, p.Hcs!.Value))), scored.Count);
        }
    }

    /// <summary>What <see cref="WritePredictions"/> wrote.</summary>
    public static IReadOnlyList<SidePrediction> ReadPredictions(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: a trial's predictions are missing", path);
        static int Int(string v) => int.Parse(v, CultureInfo.InvariantCulture);
        static float Float(string v) => float.Parse(v, CultureInfo.InvariantCulture);
        return CsvTable.Read(path).Rows.Select(r => new SidePrediction(r["image_id"], Int(r["truth"]), Int(r["predicted"]),
            Enumerable.Range(0, Classes).Select(k => Float(r[$"p{k}"])).ToArray(), r["hcs"] == "" ? null : double.Parse(r["hcs"], CultureInfo.InvariantCulture))).ToList();
    }

    public static void WritePredictions(string path, IEnumerable<SidePrediction> predictions)
    {
        var text = new StringBuilder("image_id,truth,predicted,p0,p1,p2,p3,hcs\n");
        foreach (var p in predictions)
            text.AppendLine(string.Join(',', new[] { CsvText.Field(p.ImageId), p.Truth.ToString(CultureInfo.InvariantCulture), p.Predicted.ToString(CultureInfo.InvariantCulture) }
                .Concat(p.Probabilities.Select(v => v.ToString("0.######", CultureInfo.InvariantCulture)))
                .Append(p.Hcs is { } h ? h.ToString("0.######", CultureInfo.InvariantCulture) : "")));
        AtomicFile.WriteAllText(path, text.ToString());
    }
}
