using Pleura.Data;
using Pleura.Evaluation;
using Pleura.Imaging.Roi;
using Pleura.Networks;
using Pleura.Store;
using Pleura.Training;
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

        var truth = oob.Set.Labels.ToArray();
        var (model, _) = TrialRunner.Start(context, trial.Combination.Backbone).Create(trial.Config, TrialRunner.Classes);
        using (model)
        {
            var compute = FeaturesOf(model, trial.Config);
            var (intensity, probe) = FitAndGrade(new[] { train }, validation, oob, compute is null ? null : part => compute(part.Set.Images));
            result[Intensity] = (truth, intensity, "nearest class centroid of image mean and spread");
            string start = context.Spec.Pretrained.TryGetValue(trial.Combination.Backbone, out var path) ? Path.GetFileName(path) : "seeded random weights";
            if (probe is { } p)
                result[Probe] = (truth, p.Grades, $"ridge on frozen {trial.Combination.Backbone} features ({start}), alpha {p.Alpha:0.###}");
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
        var compute = FeaturesOf(model, first.Config);
        using (model)
            foreach (var side in foldTrials.SelectMany(TrialRunner.Sides).Distinct())
            {
                string column = cv.Columns(side.Name()).Reader1;
                // Features once per image and side, whichever folds' parts it is in.
                var features = new Dictionary<string, float[]>(StringComparer.Ordinal);
                IReadOnlyList<float[]> Cached(TrialRunner.Part part)
                {
                    var missing = part.Ids.Select((id, i) => (Id: id, Index: (long)i)).Where(x => !features.ContainsKey(x.Id)).ToList();
                    if (missing.Count > 0)
                    {
                        using var index = tensor(missing.Select(m => m.Index).ToArray());
                        using var images = part.Set.Images.index_select(0, index);
                        var computed = compute!(images);
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
                    var (intensity, probe) = FitAndGrade(train2 is null ? new[] { train } : new[] { train, train2 }, validation, test,
                        compute is null || validation.Set.Count == 0 ? null : Cached);
                    GradedLung Lung(int i, int predicted) => new(test.Ids[i], patients[test.Ids[i]], side.Name(), test.Set.Labels[i], predicted);
                    lungs[IntensityName].AddRange(intensity.Select((g, i) => Lung(i, g)));
                    if (probe is { } p) lungs[ProbeName].AddRange(p.Grades.Select((g, i) => Lung(i, g)));
                }
            }
        return lungs.Where(l => l.Value.Count > 0).ToDictionary(l => l.Key, l => (IReadOnlyList<GradedLung>)l.Value);
    }

    /// <summary>
    /// Both bars fit on the training parts (the probe's strength on the validation part) and graded on the test part;
    /// the probe only where <paramref name="features"/> gives the frozen features of a part.
    /// </summary>
    static (int[] Intensity, (int[] Grades, double Alpha)? Probe) FitAndGrade(IReadOnlyList<TrialRunner.Part> train, TrialRunner.Part validation,
        TrialRunner.Part test, Func<TrialRunner.Part, IReadOnlyList<float[]>>? features)
    {
        var labels = train.SelectMany(p => p.Set.Labels).ToList();
        var intensity = GlobalIntensityBaseline.Fit(train.SelectMany(p => p.Pixels).Select(GlobalIntensityBaseline.Features).ToList(), labels);
        var intensityGrades = test.Pixels.Select(p => intensity.Predict(GlobalIntensityBaseline.Features(p))).ToArray();
        if (features is null) return (intensityGrades, null);
        var probe = RidgeProbe.FitChoosingStrength(train.SelectMany(features).ToList(), labels, features(validation), validation.Set.Labels);
        return (intensityGrades, (features(test).Select(probe.Predict).ToArray(), probe.Alpha));
    }

    /// <summary>Pooled features (every stage but the head) of a batch of grey images, fed by the weights' recipe; null
    /// for a network that cannot be cut before its head.</summary>
    static Func<Tensor, IReadOnlyList<float[]>>? FeaturesOf(nn.Module<Tensor, Tensor> model, TrainingConfig config) => model is IStagedNetwork staged
        ? images => NetworkStages.HeadInputs(staged, images, x => config.Recipe.Feed(x, config.InputChannels), batchSize: 16)
        : null;
}
