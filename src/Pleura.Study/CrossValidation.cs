using System.Globalization;
using Pleura.Data;
using Pleura.Datasets;
using Pleura.Evaluation;
using Pleura.Grading;
using Pleura.Imaging.Roi;
using Pleura.Networks.Weights;
using Pleura.Store;

namespace Pleura.Study;

/// <summary>A combination's cross-validated lungs: every image predicted by the one fold model that never saw its patient.</summary>
public sealed record OutOfFold(Combination Combination, IReadOnlyList<GradedLung> Lungs);

/// <summary>
/// The estimate that can see a difference of 0.1 on a small data set: the recipe level 2 fixed (and, optionally, every
/// level-2 candidate) trained again on a patient-level cross-validation of ALL patients, the OOB set included, so that
/// every lung is scored by a model that never saw its patient; macro MAE against each reader with intervals over
/// patients, and each candidate paired against the chosen one on the same folds. Beside level 3's OOB figure, not
/// instead of it: the recipe was chosen on the non-OOB patients, so this estimate is slightly optimistic about the
/// choice itself (one of K candidates), never about the models, and level 3 stays the untouched check.
/// </summary>
public static class CrossValidation
{
    /// <summary>The trials' level in the store (after level 4, which trains nothing).</summary>
    public const int Level = 5;
    public const string SplitFile = "cv-split.json";
    /// <summary>Artefact kind of a combination's out-of-fold predictions, followed by the side; the artefact's owner is the combination.</summary>
    public const string PredictionsKind = "cv_predictions_";
    public const string SplitKind = "cv_split";
    public const string CandidateMinusChosen = "candidate_minus_chosen";

    /// <summary>The cross-validation split: every patient in one of K groups, stratified like the study's split; saved once and reused.</summary>
    public static (SplitPlan Plan, string Path) Split(StudyContext context)
    {
        var spec = context.Spec.CrossValidation;
        string path = System.IO.Path.Combine(context.Folder, SplitFile);
        if (File.Exists(path))
        {
            var saved = SplitPlan.Load(path);
            if (saved.ManifestFingerprint == context.Manifest.Fingerprint() && saved.FoldCount == spec.Folds && saved.Seed == (spec.Seed ?? context.Spec.Split.Seed))
                return (saved, path);
        }
        var plan = PatientSplitter.Split(context.Manifest, new SplitOptions
        {
            Seed = spec.Seed ?? context.Spec.Split.Seed, OutOfBoxFraction = 0, Folds = spec.Folds, Groups = spec.Folds,
            StratifyBy = context.Spec.Readers.Values.Select(r => r.Reader1).ToList(),
        });
        plan.Save(path);
        return (plan, path);
    }

    /// <summary>
    /// Trains <paramref name="chosen"/> and the other <paramref name="candidates"/> on every cross-validation fold,
    /// records their out-of-fold figures (level "cv") and each candidate minus the chosen one (level "cv-paired").
    /// </summary>
    public static IReadOnlyList<OutOfFold> Run(StudyContext context, Combination chosen, IReadOnlyList<Combination> candidates, CancellationToken cancel)
    {
        var (plan, path) = Split(context);
        var cv = context.WithSplit(plan, TrialPlan.FileFingerprint(path));
        var combinations = candidates.Prepend(chosen).Distinct().ToList();
        var folds = Enumerable.Range(1, context.Spec.CrossValidation.Folds).ToList();
        var trials = Levels.Trials(cv, combinations, folds, Level);
        context.Log($"cross-validation: {combinations.Count} combination(s) x {folds.Count} folds over all {plan.Patients.Count} patients");
        TrialQueue.RunAll(cv, "cv", trials, cancel);
        context.Store.AddArtefact(new ArtefactRecord(context.Spec.Name, "cv", SplitKind, path));

        var results = new List<OutOfFold>();
        foreach (var combination in combinations)
        {
            var mine = trials.Where(t => t.Combination == combination).ToList();
            var failed = mine.Where(t => context.Store.Trial(t.Hash)?.Status != TrialStatus.Done).ToList();
            if (failed.Count > 0)
            {
                context.Log($"cross-validation: {combination.Key} left out, {failed.Count} trial(s) did not finish ({failed[0].Label}: {context.Store.Trial(failed[0].Hash)?.Error})");
                continue;
            }
            results.Add(new OutOfFold(combination, Collect(context, combination, mine)));
        }
        // The bars on the same folds and lungs as the chosen recipe: a study whose recipe a baseline beats says so.
        var bars = results.Any(r => r.Combination == chosen)
            ? Baselines.OutOfFold(cv, trials.Where(t => t.Combination == chosen).OrderBy(t => t.Fold).ToList())
            : new Dictionary<string, IReadOnlyList<GradedLung>>();
        Record(context, chosen, results, bars);
        if (Reporting.BaselineWarning.Of(context.Store.Results(context.Spec.Name)) is { } warning)
        {
            context.Log("warning: " + warning);
            // The answer's model cards say it too (a study run with --cv-only has no answer).
            foreach (var side in Side.Both)
            {
                string answer = GradingRun.CheckpointPath(Path.Combine(context.Folder, "final"), side);
                if (File.Exists(answer)) Checkpoint.SaveInfo(answer, Checkpoint.ReadInfo(answer) with { Warnings = new[] { warning } });
            }
        }
        return results;
    }

    /// <summary>The test predictions of a combination's fold trials, joined: with K folds every graded lung once.</summary>
    static IReadOnlyList<GradedLung> Collect(StudyContext context, Combination combination, IReadOnlyList<TrialPlan> trials)
    {
        var patients = context.Manifest.Rows.ToDictionary(r => r.ImageId, r => r.PatientId);
        var lungs = new List<GradedLung>();
        foreach (var patientSide in trials.SelectMany(TrialRunner.Sides).Distinct())
        {
            string side = patientSide.Name();
            var predictions = trials.Where(t => TrialRunner.Sides(t).Contains(patientSide))
                .SelectMany(t => TrialRunner.ReadPredictions(TrialRunner.TestPredictionsPath(context.TrialFolder(t.Hash), t, patientSide))).ToList();
            string file = Path.Combine(context.Folder, "cv", $"{Slug(combination)}-{side}.csv");
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            TrialRunner.WritePredictions(file, predictions);
            context.Store.AddArtefact(new ArtefactRecord(context.Spec.Name, combination.Key, PredictionsKind + side, file));
            lungs.AddRange(predictions.Select(p => new GradedLung(p.ImageId, patients[p.ImageId], side, p.Truth, p.Predicted)));
        }
        return lungs;
    }

    static string Slug(Combination c) => $"{c.Backbone}-{c.RoiName}-{c.BalancingName}";

    /// <summary>The grouping of the baselines' rows at the cross-validated levels (beside combinations').</summary>
    public const string BaselineGrouping = ResultComparisons.BaselineGrouping;

    static void Record(StudyContext context, Combination chosen, IReadOnlyList<OutOfFold> results, IReadOnlyDictionary<string, IReadOnlyList<GradedLung>> bars)
    {
        var rows = new List<ResultRecord>();
        foreach (var (name, lungs) in bars)
            foreach (var (comparison, compared) in Comparisons(context, lungs).Where(c => c.Comparison != Levels.ReaderVsReader))
                foreach (var (metric, side, e) in PatientBootstrap.Estimate(compared, Math.Max(1, context.Spec.Bootstrap), context.Spec.Seed))
                    rows.Add(new ResultRecord(context.Spec.Name, ResultLevels.CrossValidated, BaselineGrouping, name, side, comparison, metric, e.Estimate,
                        Interval(e.Low), Interval(e.High), side == "mean" ? compared.Count : compared.Count(l => l.Side == side),
                        $"baseline on the chosen combination's folds and inputs ({chosen.Key})"));
        foreach (var oof in results)
        {
            bool selected = oof.Combination == chosen;
            string note = selected ? "level 2's choice" : "";
            foreach (var (comparison, lungs) in Comparisons(context, oof.Lungs))
                foreach (var (metric, side, e) in PatientBootstrap.Estimate(lungs, Math.Max(1, context.Spec.Bootstrap), context.Spec.Seed))
                    rows.Add(new ResultRecord(context.Spec.Name, ResultLevels.CrossValidated, ResultComparisons.CombinationGrouping, oof.Combination.Key, side, comparison, metric, e.Estimate,
                        Interval(e.Low), Interval(e.High), side == "mean" ? lungs.Count : lungs.Count(l => l.Side == side), note, selected));
        }
        context.Store.ReplaceResults(context.Spec.Name, ResultLevels.CrossValidated, rows);

        var paired = new List<ResultRecord>();
        if (results.FirstOrDefault(r => r.Combination == chosen) is { } reference)
            foreach (var other in results.Where(r => r.Combination != chosen))
                foreach (var d in PatientBootstrap.Paired(reference.Lungs, other.Lungs, Math.Max(1, context.Spec.Bootstrap), context.Spec.Seed))
                    paired.Add(new ResultRecord(context.Spec.Name, ResultLevels.CrossValidatedPaired, ResultComparisons.CombinationGrouping, other.Combination.Key, "mean", CandidateMinusChosen,
                        d.Metric, d.Difference.Estimate, Interval(d.Difference.Low), Interval(d.Difference.High), other.Lungs.Count,
                        FormattableString.Invariant($"{d.Metric}: candidate {d.Second:0.000}, chosen ({chosen.Key}) {d.First:0.000}; same folds, patients resampled together")));
        if (results.FirstOrDefault(r => r.Combination == chosen) is { } chosenLungs)
            foreach (var (name, lungs) in bars)
                foreach (var d in PatientBootstrap.Paired(chosenLungs.Lungs, lungs, Math.Max(1, context.Spec.Bootstrap), context.Spec.Seed))
                    paired.Add(new ResultRecord(context.Spec.Name, ResultLevels.CrossValidatedPaired, BaselineGrouping, name, "mean", CandidateMinusChosen,
                        d.Metric, d.Difference.Estimate, Interval(d.Difference.Low), Interval(d.Difference.High), lungs.Count,
                        FormattableString.Invariant($"{d.Metric}: baseline {d.Second:0.000}, chosen ({chosen.Key}) {d.First:0.000}; same folds, patients resampled together")));
        context.Store.ReplaceResults(context.Spec.Name, ResultLevels.CrossValidatedPaired, paired);
        foreach (var r in rows.Where(r => r.Side == "mean" && r.Metric == MetricTable.MacroMae))
            context.Log(FormattableString.Invariant($"cross-validation: {r.Group}, {r.Comparison}: macro MAE {r.Value:0.000} [{r.Low:0.000}, {r.High:0.000}] over {r.Count} lungs"));
    }

    static double? Interval(double v) => double.IsNaN(v) ? null : v;

    /// <summary>The model against reader 1 and reader 2, and reader 2 against reader 1 on the same lungs (the human benchmark).</summary>
    static IEnumerable<(string Comparison, IReadOnlyList<GradedLung> Lungs)> Comparisons(StudyContext context, IReadOnlyList<GradedLung> vsReader1)
    {
        yield return (Levels.Reader1, vsReader1);
        var rows = context.Manifest.Rows.ToDictionary(r => r.ImageId);
        var withSecond = vsReader1.Select(l => (Lung: l, Second: context.Columns(l.Side).Reader2 is { } c ? Manifest.Grade(rows[l.ImageId], c) : null))
            .Where(x => x.Second is >= 0 and <= 3).ToList();
        if (withSecond.Count == 0) yield break;
        yield return (Levels.Reader2, withSecond.Select(x => x.Lung with { Truth = x.Second!.Value }).ToList());
        yield return (Levels.ReaderVsReader, withSecond.Select(x => x.Lung with { Predicted = x.Second!.Value }).ToList());
    }

    /// <summary>Whether the study has cross-validated its chosen combination (out-of-fold predictions in the store).</summary>
    public static bool HasEstimate(IExperimentStore store, string study) => Chosen(store, study) is not null;

    static string? Chosen(IExperimentStore store, string study) =>
        store.Results(study).FirstOrDefault(r => r.Level == ResultLevels.CrossValidated && r.Selected)?.Group;

    /// <summary>
    /// Two studies' chosen recipes on the same cross-validation folds, paired patient by patient: the difference
    /// (second − first) of each metric, mean of sides, with a bootstrap over patients. Studies pair when they dealt
    /// the same patients into the same folds (same patients and images, cross-validation folds and seed; other manifest columns,
    /// such as lung masks from another model, may differ).
    /// </summary>
    public static IReadOnlyList<(string Metric, bool HigherIsBetter, double First, double Second, BootstrapEstimate Difference)> Compare(
        IExperimentStore first, string firstStudy, IExperimentStore second, string secondStudy, int iterations = 2000, int seed = 1)
    {
        var (a, splitA) = ChosenLungs(first, firstStudy);
        var (b, splitB) = ChosenLungs(second, secondStudy);
        if (!SplitPlan.Load(splitA).AssignsAlike(SplitPlan.Load(splitB)))
            throw new InvalidDataException($"studies '{firstStudy}' and '{secondStudy}' cross-validated on different folds ({splitA} and {splitB} deal patients differently): " +
                                           "give both the same cross_validation folds and seed on the same patients and images");
        return PatientBootstrap.Paired(a, b, iterations, seed);
    }

    static (IReadOnlyList<GradedLung> Lungs, string SplitPath) ChosenLungs(IExperimentStore store, string study)
    {
        var chosen = Chosen(store, study) ?? throw new InvalidDataException($"study '{study}' has no cross-validated estimate (cross_validation.folds in the study file)");
        var artefacts = store.Artefacts(study);
        string split = artefacts.LastOrDefault(x => x.Kind == SplitKind)?.Path ?? throw new InvalidDataException($"study '{study}' recorded no cross-validation split");
        var plan = SplitPlan.Load(split);
        var patients = plan.Patients.SelectMany(p => p.Images.Select(i => (i, p.PatientId))).ToDictionary(x => x.i, x => x.PatientId);
        var lungs = new List<GradedLung>();
        // A study run again records its files again: the last record of each side counts.
        foreach (var artefact in artefacts.Where(x => x.Owner == chosen && x.Kind.StartsWith(PredictionsKind, StringComparison.Ordinal)).GroupBy(x => x.Kind).Select(g => g.Last()))
        {
            string side = artefact.Kind[PredictionsKind.Length..];
            lungs.AddRange(TrialRunner.ReadPredictions(artefact.Path).Select(p => new GradedLung(p.ImageId, patients[p.ImageId], side, p.Truth, p.Predicted)));
        }
        return (lungs, split);
    }
}
