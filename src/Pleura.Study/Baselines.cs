using Pleura.Data;
using Pleura.Evaluation;
using Pleura.Imaging.Roi;
using Pleura.Networks;
using Pleura.Store;
using static TorchSharp.torch;

namespace Pleura.Study;

/// <summary>
/// The bars the final model must clear at level 3, fit on the final trial's training part (strengths chosen on its
/// validation part) with the model's own inputs, scored on the OOB set against reader 1: a global-intensity grader (can
/// the grade be read without the lungs?) and a linear probe, ridge regression on the frozen features of the backbone
/// the model starts from (does fine-tuning beat a linear read-out of its starting features?).
/// </summary>
public static class Baselines
{
    public const string Probe = ResultComparisons.ProbeVsReader1, Intensity = ResultComparisons.IntensityVsReader1;
    /// <summary>The baselines' names in the cross-validated tables, where they stand beside combinations.</summary>
    public const string ProbeName = "ridge probe", IntensityName = "global intensity";

    /// <summary>Per baseline, its OOB grades for one side (truth = reader 1), fit on that side's images of the trial's parts
    /// (a pooled trial's baselines stay per side: the bars are those of the per-lung method).</summary>
    public static IReadOnlyDictionary<string, (int[] Truth, int[] Predicted, string Note)> Score(StudyContext context, TrialPlan trial, RoiScheme roi, PatientSide side)
    {
        string column = context.Columns(side.Name()).Reader1;
        using var train = TrialRunner.Labelled(context, SplitPart.Train, trial.Fold, column, roi, side);
        using var validation = TrialRunner.Labelled(context, SplitPart.Validation, trial.Fold, column, roi, side);
        using var oob = TrialRunner.Labelled(context, SplitPart.OutOfBox, 1, column, roi, side);
        var result = new Dictionary<string, (int[], int[], string)>();
        if (oob.Set.Count == 0 || train.Set.Count == 0) return result;

        var intensity = GlobalIntensityBaseline.Fit(train.Pixels.Select(GlobalIntensityBaseline.Features).ToList(), train.Set.Labels);
        result[Intensity] = (oob.Set.Labels.ToArray(), oob.Pixels.Select(p => intensity.Predict(GlobalIntensityBaseline.Features(p))).ToArray(),
            "nearest class centroid of image mean and spread");

        var (model, _) = TrialRunner.Start(context, trial.Combination.Backbone).Create(trial.Config, TrialRunner.Classes);
        using (model)
        {
            if (model is not IStagedNetwork staged) return result;
            IReadOnlyList<float[]> FeaturesOf(Tensor images) => Features(staged, trial.Config.Recipe, trial.Config.InputChannels, images);
            var probe = RidgeProbe.FitChoosingStrength(FeaturesOf(train.Set.Images), train.Set.Labels, FeaturesOf(validation.Set.Images), validation.Set.Labels);
            string start = context.Spec.Pretrained.TryGetValue(trial.Combination.Backbone, out var path) ? Path.GetFileName(path) : "seeded random weights";
            result[Probe] = (oob.Set.Labels.ToArray(), FeaturesOf(oob.Set.Images).Select(probe.Predict).ToArray(),
                $"ridge on frozen {trial.Combination.Backbone} features ({start}), alpha {probe.Alpha:0.###}");
        }
        return result;
    }

    /// <summary>
    /// The same two bars on the cross-validation folds of <paramref name="foldTrials"/> (one combination's trials: one
    /// per fold, or per fold and side): on each fold, fit on its training part (the probe's strength on its validation part) with the combination's
    /// inputs and graded on its test part, per side against reader 1. Every lung once, as the combination's own
    /// out-of-fold predictions, so the two pair lung by lung. Frozen features are computed once per image and side.
    /// </summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<GradedLung>> OutOfFold(StudyContext cv, IReadOnlyList<TrialPlan> foldTrials)
    {
        var first = foldTrials[0];
        var roi = first.Combination.Roi;
        var patients = cv.Manifest.Rows.ToDictionary(r => r.ImageId, r => r.PatientId);
        var lungs = new Dictionary<string, List<GradedLung>> { [IntensityName] = new(), [ProbeName] = new() };
        var (model, _) = TrialRunner.Start(cv, first.Combination.Backbone).Create(first.Config, TrialRunner.Classes);
        using (model)
            foreach (var side in foldTrials.SelectMany(TrialRunner.Sides).Distinct())
            {
                string column = cv.Columns(side.Name()).Reader1;
                var features = new Dictionary<string, float[]>(StringComparer.Ordinal);
                IReadOnlyList<float[]> FeaturesOf(IStagedNetwork staged, TrialRunner.Part part)
                {
                    var missing = part.Ids.Select((id, i) => (Id: id, Index: (long)i)).Where(x => !features.ContainsKey(x.Id)).ToList();
                    if (missing.Count > 0)
                    {
                        using var index = tensor(missing.Select(m => m.Index).ToArray());
                        using var images = part.Set.Images.index_select(0, index);
                        var computed = Features(staged, first.Config.Recipe, first.Config.InputChannels, images);
                        for (int k = 0; k < missing.Count; k++) features[missing[k].Id] = computed[k];
                    }
                    return part.Ids.Select(id => features[id]).ToList();
                }
                foreach (int fold in foldTrials.Select(t => t.Fold).Distinct().Order())
                {
                    using var train = TrialRunner.Labelled(cv, SplitPart.Train, fold, column, roi, side);
                    using var validation = TrialRunner.Labelled(cv, SplitPart.Validation, fold, column, roi, side);
                    using var test = TrialRunner.Labelled(cv, SplitPart.Test, fold, column, roi, side);
                    if (train.Set.Count == 0 || test.Set.Count == 0) continue;
                    // With train_on_both_readers the bars learn from both readers' grades, as the model does.
                    string? second = cv.Spec.TrainOnBothReaders ? cv.Columns(side.Name()).Reader2 : null;
                    using var train2 = second is null ? null : TrialRunner.Labelled(cv, SplitPart.Train, fold, second, roi, side);
                    var trainPixels = train.Pixels.Concat(train2?.Pixels ?? Array.Empty<float[]>()).ToList();
                    var trainLabels = train.Set.Labels.Concat(train2?.Set.Labels ?? Array.Empty<int>()).ToList();
                    GradedLung Lung(int i, int predicted) => new(test.Ids[i], patients[test.Ids[i]], side.Name(), test.Set.Labels[i], predicted);
                    var intensity = GlobalIntensityBaseline.Fit(trainPixels.Select(GlobalIntensityBaseline.Features).ToList(), trainLabels);
                    lungs[IntensityName].AddRange(test.Pixels.Select((p, i) => Lung(i, intensity.Predict(GlobalIntensityBaseline.Features(p)))));
                    if (model is not IStagedNetwork staged || validation.Set.Count == 0) continue;
                    var trainFeatures = FeaturesOf(staged, train).Concat(train2 is null ? Array.Empty<float[]>() : FeaturesOf(staged, train2)).ToList();
                    var probe = RidgeProbe.FitChoosingStrength(trainFeatures, trainLabels, FeaturesOf(staged, validation), validation.Set.Labels);
                    lungs[ProbeName].AddRange(FeaturesOf(staged, test).Select((f, i) => Lung(i, probe.Predict(f))));
                }
            }
        return lungs.Where(l => l.Value.Count > 0).ToDictionary(l => l.Key, l => (IReadOnlyList<GradedLung>)l.Value);
    }

    /// <summary>Pooled features (every stage but the head) of grey images, fed by the weights' recipe.</summary>
    static IReadOnlyList<float[]> Features(IStagedNetwork network, InputRecipe recipe, int channels, Tensor images, int batch = 16)
    {
        ((nn.Module)network).eval();
        using var _ = no_grad();
        var stages = network.Stages;
        var rows = new List<float[]>();
        for (long start = 0; start < images.shape[0]; start += batch)
        {
            using var scope = NewDisposeScope();
            var x = recipe.Feed(images.narrow(0, start, Math.Min(batch, images.shape[0] - start)), channels);
            var pooled = NetworkStages.Run(stages, x, 0, stages.Count - 1).flatten(1).to_type(ScalarType.Float32).contiguous();
            var values = pooled.data<float>().ToArray();
            int d = (int)pooled.shape[1];
            for (int i = 0; i < pooled.shape[0]; i++) rows.Add(values.AsSpan(i * d, d).ToArray());
        }
        return rows;
    }
}
