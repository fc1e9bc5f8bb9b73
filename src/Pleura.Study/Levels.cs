using Pleura.Data;
using Pleura.Datasets;
using Pleura.Evaluation;
using Pleura.Explainability;
using Pleura.Grading;
using Pleura.Imaging.Roi;
using Pleura.Networks;
using Pleura.Networks.Weights;
using Pleura.Store;
using Pleura.Training;
using static TorchSharp.torch;

namespace Pleura.Study;

/// <summary>A combination's figures averaged over its sides (and for level 2, mean and SD over folds).</summary>
public sealed record CombinationScore(Combination Combination, IReadOnlyDictionary<string, double> Mean, IReadOnlyDictionary<string, double> Sd, int Folds, bool Complete);

/// <summary>The final model: one trained trial per side and its OOB predictions.</summary>
public sealed record FinalModel(Combination Combination, IReadOnlyDictionary<string, IReadOnlyList<SidePrediction>> Oob);

/// <summary>METHOD section 9's four levels.</summary>
public static class Levels
{
    public static readonly IReadOnlyList<string> Headline = new[] { MetricTable.MacroMae, "mae", "accuracy", MetricTable.F1Weighted, MetricTable.QuadraticKappa, "ma_hcs" };

    public const string Reader1 = ResultComparisons.ModelVsReader1, Reader2 = ResultComparisons.ModelVsReader2, ReaderVsReader = ResultComparisons.Reader2VsReader1;
    /// <summary>With an ensemble answer, the final model alone against reader 1.</summary>
    public const string SingleModel = ResultComparisons.SingleModelVsReader1;
    /// <summary>The artefact kind (and file name) of the final model's OOB predictions, followed by the side.</summary>
    public const string OobPredictionsKind = "oob_predictions_";

    internal static IReadOnlyList<TrialPlan> Trials(StudyContext context, IEnumerable<Combination> combinations, IEnumerable<int> folds, int level) =>
        (from c in combinations
         from fold in folds
         from side in context.Spec.Grid.Sides
         select TrialPlan.Create(c, side, fold, level, Config(context, c), TrainingLabels(context, side), context.DataFingerprint,
             context.SplitFingerprint, context.PretrainedFingerprint(c.Backbone))).ToList();

    /// <summary>What the side's models learn from, for the trial's identity: reader 1's column, or both readers'.</summary>
    internal static string TrainingLabels(StudyContext context, string side) => side == PooledSides.Name
        ? string.Join("+", PatientSides.Both.Select(s => TrainingLabels(context, s.Name())))
        : context.Spec.TrainOnBothReaders && context.Columns(side).Reader2 is { } second ? $"{context.Columns(side).Reader1}+{second}" : context.Columns(side).Reader1;

    static TrainingConfig Config(StudyContext context, Combination c) => (context.Spec.Training with
    {
        Architecture = c.Backbone, Balancing = c.Balancing, Seed = context.Spec.Seed, Head = c.Head,
    }).StartingFrom(context.Spec.Pretrained.GetValueOrDefault(c.Backbone));

    /// <summary>Level 1: every combination on fold 1 (or on every selection fold, <see cref="RankingFolds.AllFolds"/>), ranked by
    /// test macro MAE averaged over the sides (and folds).</summary>
    public static IReadOnlyList<CombinationScore> One(StudyContext context, CancellationToken cancel)
    {
        var combinations = Combination.Grid(context.Spec.Grid, context.Spec.Training.Head);
        var folds = context.Spec.Selection.RankOn == RankingFolds.AllFolds ? Enumerable.Range(1, context.Spec.Folds) : new[] { 1 };
        var trials = Trials(context, combinations, folds, 1);
        TrialQueue.RunAll(context, "1", trials, cancel);
        var ranked = Score(context, combinations, trials).OrderBy(s => s.Complete ? 0 : 1).ThenBy(s => s.Mean.GetValueOrDefault(MetricTable.MacroMae, double.MaxValue)).ToList();
        context.Store.ReplaceResults(context.Spec.Name, ResultLevels.Ranking, ranked.SelectMany((s, rank) => s.Mean.Select(m =>
            new ResultRecord(context.Spec.Name, ResultLevels.Ranking, ResultComparisons.CombinationGrouping, s.Combination.Key, "mean", Reader1, m.Key, m.Value, null, null, rank + 1,
                s.Complete ? (rank < context.Spec.TopK ? "top-k: goes on to level 2" : "") : "incomplete: a trial failed",
                Selected: s.Complete && rank < context.Spec.TopK))
            .Concat(TestLungs(context, s.Combination, trials, rank + 1, s.Complete && rank < context.Spec.TopK, ResultLevels.Ranking))));
        return ranked;
    }

    /// <summary>
    /// Level 2: the top K on every fold; mean and SD per metric; the choice balances macro MAE and MA-HCS: each
    /// combination's rank by MAE (lower is better) and by MA-HCS (higher is better) are combined with the study's
    /// weights, lowest wins, ties go to the lower MAE. Without lung masks there is no MA-HCS and MAE alone decides.
    /// </summary>
    public static Combination? Two(StudyContext context, IReadOnlyList<CombinationScore> level1, CancellationToken cancel)
    {
        var top = level1.Where(s => s.Complete).Take(context.Spec.TopK).Select(s => s.Combination).ToList();
        if (top.Count == 0) { context.Log("level 2: no complete combination from level 1"); return null; }
        var trials = Trials(context, top, Enumerable.Range(1, context.Spec.Folds), 2);
        TrialQueue.RunAll(context, "2", trials, cancel);
        var scores = Score(context, top, trials).Where(s => s.Complete).ToList();
        if (scores.Count == 0) return null;

        bool hcs = scores.All(s => s.Mean.ContainsKey("ma_hcs"));
        var byMae = scores.OrderBy(s => s.Mean[MetricTable.MacroMae]).Select((s, i) => (s.Combination, Rank: i + 1)).ToDictionary(x => x.Combination, x => x.Rank);
        var byHcs = hcs ? scores.OrderByDescending(s => s.Mean["ma_hcs"]).Select((s, i) => (s.Combination, Rank: i + 1)).ToDictionary(x => x.Combination, x => x.Rank) : null;
        double Selection(CombinationScore s) => hcs
            ? (context.Spec.Selection.MaeWeight * byMae[s.Combination] + context.Spec.Selection.HcsWeight * byHcs![s.Combination]) / (context.Spec.Selection.MaeWeight + context.Spec.Selection.HcsWeight)
            : byMae[s.Combination];
        var ordered = scores.OrderBy(Selection).ThenBy(s => s.Mean[MetricTable.MacroMae]).ToList();
        var chosen = ordered[0].Combination;
        string rule = hcs
            ? $"chosen by rank: {context.Spec.Selection.MaeWeight:0.##} x rank by macro MAE + {context.Spec.Selection.HcsWeight:0.##} x rank by MA-HCS (weights normalised), ties to the lower MAE"
            : $"chosen by macro MAE alone (no MA-HCS: {(context.Spec.Heatmaps ? "the manifest has no lung masks" : "heatmaps are off in the study file")})";
        var rows = new List<ResultRecord>();
        foreach (var s in ordered)
        {
            bool selected = s.Combination == chosen;
            string note = selected ? "chosen; " + rule : "";
            ResultRecord Row(string metric, double value) =>
                new(context.Spec.Name, ResultLevels.Selection, ResultComparisons.CombinationGrouping, s.Combination.Key, "mean", Reader1, metric, value, null, null, s.Folds, note, selected);
            foreach (var (metric, mean) in s.Mean)
            {
                rows.Add(Row(metric, mean));
                rows.Add(Row(metric + "_sd", s.Sd[metric]));
            }
            rows.Add(Row("selection_rank", Selection(s)));
            rows.AddRange(TestLungs(context, s.Combination, trials, s.Folds, selected, ResultLevels.Selection).Select(r => r with { Note = note }));
        }
        context.Store.ReplaceResults(context.Spec.Name, ResultLevels.Selection, rows);
        context.Log($"level 2: {chosen.Key} ({rule})");
        return chosen;
    }

    /// <summary>The metric name of <see cref="TestLungs"/>' rows.</summary>
    public const string TestLungsMacroMae = "macro_mae_test_lungs";

    /// <summary>
    /// Macro MAE (mean of sides) over the test lungs of all the combination's trials at once (the folds' test parts are
    /// disjoint), with a 95% interval that resamples patients: how far a ranking on these few lungs can be trusted.
    /// </summary>
    static IEnumerable<ResultRecord> TestLungs(StudyContext context, Combination combination, IReadOnlyList<TrialPlan> trials, int count, bool selected, string level)
    {
        var mine = trials.Where(t => t.Combination == combination && context.Store.Trial(t.Hash)?.Status == TrialStatus.Done).ToList();
        var patients = context.Manifest.Rows.ToDictionary(r => r.ImageId, r => r.PatientId);
        var lungs = mine.SelectMany(t => TrialRunner.Sides(t).SelectMany(side =>
        {
            string path = TrialRunner.TestPredictionsPath(context.TrialFolder(t.Hash), t, side);
            return File.Exists(path)
                ? TrialRunner.ReadPredictions(path).Select(p => new GradedLung(p.ImageId, patients[p.ImageId], side.Name(), p.Truth, p.Predicted))
                : Enumerable.Empty<GradedLung>();
        })).ToList();
        if (lungs.Count == 0) yield break;
        var e = PatientBootstrap.Estimate(lungs, Math.Max(1, context.Spec.Bootstrap), context.Spec.Seed).Single(x => x.Metric == MetricTable.MacroMae && x.Side == "mean").Estimate;
        yield return new ResultRecord(context.Spec.Name, level, ResultComparisons.CombinationGrouping, combination.Key, "mean", Reader1, TestLungsMacroMae, e.Estimate,
            double.IsNaN(e.Low) ? null : e.Low, double.IsNaN(e.High) ? null : e.High, count, Selected: selected);
    }

    /// <summary>Per combination: for each fold the mean over sides of each test metric, then mean and SD over folds.</summary>
    static List<CombinationScore> Score(StudyContext context, IReadOnlyList<Combination> combinations, IReadOnlyList<TrialPlan> trials)
    {
        var metrics = context.Store.Metrics(context.Spec.Name).Where(m => m.Set == "test").ToLookup(m => m.TrialHash);
        var result = new List<CombinationScore>();
        foreach (var c in combinations)
        {
            var mine = trials.Where(t => t.Combination == c).ToList();
            bool complete = mine.All(t => context.Store.Trial(t.Hash)?.Status == TrialStatus.Done && metrics[t.Hash].Any());
            var perFold = mine.GroupBy(t => t.Fold).Select(fold => Headline.Select(name => (name, values: fold.Select(t => metrics[t.Hash].FirstOrDefault(m => m.Metric == name)).ToList()))
                    .Where(x => x.values.All(v => v is not null))
                    .ToDictionary(x => x.name, x => x.values.Average(v => v!.Value))).ToList();
            var names = Headline.Where(n => perFold.Count > 0 && perFold.All(f => f.ContainsKey(n))).ToList();
            result.Add(new CombinationScore(c,
                names.ToDictionary(n => n, n => perFold.Average(f => f[n])),
                names.ToDictionary(n => n, n => perFold.Count < 2 ? 0 : Math.Sqrt(perFold.Sum(f => Math.Pow(f[n] - perFold.Average(g => g[n]), 2)) / (perFold.Count - 1))),
                perFold.Count, complete));
        }
        return result;
    }

    /// <summary>
    /// Level 3: the chosen combination trained on the fold after the selection folds (an arrangement no selection
    /// trial used), scored on the OOB set, untouched until now, against reader 1, reader 2, and reader 2 against reader 1.
    /// </summary>
    public static FinalModel Three(StudyContext context, Combination chosen, CancellationToken cancel)
    {
        var trials = Trials(context, new[] { chosen }, new[] { context.FinalFold }, 3);
        TrialQueue.RunAll(context, "3", trials, cancel);
        var roi = chosen.Roi;
        var oob = new Dictionary<string, IReadOnlyList<SidePrediction>>();
        var heatmaps = new Dictionary<(string Id, string Side), float[]>();
        var rows = new List<ResultRecord>();
        // A pooled trial is one model graded per side: its left side sees mirrored inputs (PooledSides). Its model (and
        // ensemble members) are loaded once and written as each side's answer.
        foreach (var trial in trials)
        {
            bool pooled = TrialRunner.IsPooled(trial);
            var record = context.Store.Trial(trial.Hash);
            if (record?.Status != TrialStatus.Done) throw new InvalidOperationException($"level 3: {trial.Label} did not finish: {record?.Error}");
            var (model, trained) = Checkpoint.Load(record.Checkpoint);
            using var finalModel = model;
            using var ensemble = context.Spec.Ensemble ? FinalEnsemble.Of(context, trial, model, trained) : null;
            foreach (var side in TrialRunner.Sides(trial))
            {
                string sideName = side.Name();
                // The study's answer as a run folder, for `pleura evaluate|predict|explain|serve|export FOLDER/final`: one checkpoint
                // per side, holding the final model or, with `ensemble: true`, the ensemble that level 3 scores.
                string final = GradingRun.CheckpointPath(Path.Combine(context.Folder, "final"), Side.Parse(sideName));
                Directory.CreateDirectory(Path.GetDirectoryName(final)!);
                var info = trained with { Side = sideName, LabelColumn = context.Columns(sideName).Reader1 };
                if (context.Spec.Ensemble)
                {
                    var single = TrialRunner.Predict(context, model, trial.Config, SplitPart.OutOfBox, 1, context.Columns(sideName).Reader1, roi, side, explain: false, pooled: pooled);
                    rows.AddRange(Agreement(context, sideName, single, "oob", "all").Where(r => r.Comparison == Reader1)
                        .Select(r => r with { Comparison = SingleModel, Note = "the final model alone" }));
                }
                // Without a finished fold model (a study stopped before level 2 completed) the answer is the final model alone.
                if (ensemble?.Network is { } network) Checkpoint.Save(final, network, ensemble.Describe(info));
                else Checkpoint.Save(final, model, info);
                // Scored from the saved answer itself: `pleura evaluate FOLDER/final` on the OOB set gives these figures.
                var (answer, _) = Checkpoint.Load(final);
                var predictions = TrialRunner.Predict(context, answer, trial.Config, SplitPart.OutOfBox, 1, context.Columns(sideName).Reader1, roi, side,
                    (id, heatmap) => heatmaps[(id, sideName)] = heatmap, pooled: pooled);
                answer.Dispose();
                oob[sideName] = predictions;
                string oobFile = Path.Combine(context.Folder, $"{OobPredictionsKind}{sideName}.csv");
                TrialRunner.WritePredictions(oobFile, predictions);
                context.Store.AddArtefact(new ArtefactRecord(context.Spec.Name, "level3", OobPredictionsKind + sideName, oobFile));
                context.Store.AddArtefact(new ArtefactRecord(context.Spec.Name, "level3", $"checkpoint_{sideName}", record.Checkpoint));
                rows.AddRange(Agreement(context, sideName, predictions, "oob", "all"));
                foreach (var (name, (truth, predicted, note)) in Baselines.Score(context, trial, roi, side))
                    rows.AddRange(MetricTable.Score(truth, predicted, null, OpacityGrade.Count, context.Spec.Bootstrap, context.Spec.Seed).Select(m =>
                        new ResultRecord(context.Spec.Name, "", "oob", "all", sideName, name, m.Name, m.Value,
                            double.IsNaN(m.Low) ? null : m.Low, double.IsNaN(m.High) ? null : m.High, truth.Length, note)));
            }
        }
        rows.AddRange(SideMeans(rows));
        context.Store.ReplaceResults(context.Spec.Name, "3", rows);
        WriteHeatmapMatrix(context, oob, heatmaps);
        return new FinalModel(chosen, oob);
    }

    /// <summary>Model vs reader 1, model vs reader 2, reader 2 vs reader 1 on the given predictions, with bootstrap intervals.</summary>
    static IEnumerable<ResultRecord> Agreement(StudyContext context, string side, IReadOnlyList<SidePrediction> predictions, string grouping, string group,
        IReadOnlyList<string>? only = null, string note = "")
    {
        var rows = context.Manifest.Rows.ToDictionary(r => r.ImageId);
        var columns = context.Columns(side);
        var comparisons = new List<(string Name, int[] Truth, int[] Predicted, IReadOnlyList<IReadOnlyList<double>>? Probabilities)>
        {
            (Reader1, predictions.Select(p => p.Truth).ToArray(), predictions.Select(p => p.Predicted).ToArray(),
                predictions.Select(p => (IReadOnlyList<double>)p.Probabilities.Select(v => (double)v).ToArray()).ToList()),
        };
        if (columns.Reader2 is { } r2)
        {
            var withR2 = predictions.Select(p => (p, g: Manifest.Grade(rows[p.ImageId], r2))).Where(x => x.g is >= 0 and <= 3).ToList();
            if (withR2.Count > 0)
            {
                comparisons.Add((Reader2, withR2.Select(x => x.g!.Value).ToArray(), withR2.Select(x => x.p.Predicted).ToArray(), null));
                comparisons.Add((ReaderVsReader, withR2.Select(x => x.p.Truth).ToArray(), withR2.Select(x => x.g!.Value).ToArray(), null));
            }
        }
        foreach (var (name, truth, predicted, probabilities) in comparisons)
        {
            if (truth.Length == 0) continue;
            foreach (var m in MetricTable.Score(truth, predicted, probabilities, OpacityGrade.Count, context.Spec.Bootstrap, context.Spec.Seed))
                if (only is null || only.Contains(m.Name))
                    yield return new ResultRecord(context.Spec.Name, "", grouping, group, side, name, m.Name, m.Value,
                        double.IsNaN(m.Low) ? null : m.Low, double.IsNaN(m.High) ? null : m.High, truth.Length, note);
        }
    }

    /// <summary>The METHOD's "averaged over left and right" rows (no interval: the sides' intervals are shown beside them).</summary>
    static IEnumerable<ResultRecord> SideMeans(IReadOnlyList<ResultRecord> rows) =>
        rows.GroupBy(r => (r.Grouping, r.Group, r.Comparison, r.Metric))
            .Where(g => g.Select(r => r.Side).Distinct().Count() > 1 && g.All(r => !double.IsNaN(r.Value)))
            .Select(g => g.First() with { Side = "mean", Value = g.Average(r => r.Value), Low = null, High = null, Count = g.Sum(r => r.Count) });

    /// <summary>Level 4: the final model per subgroup of each grouping column, with intervals and counts; small groups are marked.</summary>
    public static void Four(StudyContext context, FinalModel final)
    {
        var rows = context.Manifest.Rows.ToDictionary(r => r.ImageId);
        var results = new List<ResultRecord>();
        var metrics = new[] { MetricTable.MacroMae, "mae", "accuracy", MetricTable.F1Weighted };
        foreach (var grouping in context.Spec.Groups)
        {
            Func<ManifestRow, string> key = Subgroups.Key(grouping, context.Manifest);
            foreach (var (side, predictions) in final.Oob)
                foreach (var group in predictions.GroupBy(p => key(rows[p.ImageId])).OrderBy(g => g.Key, StringComparer.Ordinal))
                {
                    int n = group.Count();
                    string note = n < context.Spec.MinGroupSize ? $"too small to judge (n = {n} < {context.Spec.MinGroupSize})" : "";
                    results.AddRange(Agreement(context, side, group.ToList(), grouping, group.Key, metrics, note).Where(r => r.Comparison == Reader1));
                }
        }
        // A mean-of-sides row is as small as its smallest side.
        results.AddRange(SideMeans(results).Select(r => r with
        {
            Note = results.FirstOrDefault(x => x.Grouping == r.Grouping && x.Group == r.Group && x.Note != "")?.Note ?? "",
        }));
        context.Store.ReplaceResults(context.Spec.Name, "4", results);
    }

    static void WriteHeatmapMatrix(StudyContext context, IReadOnlyDictionary<string, IReadOnlyList<SidePrediction>> oob, Dictionary<(string Id, string Side), float[]> heatmaps)
    {
        string leftName = PatientSide.Left.Name(), rightName = PatientSide.Right.Name();
        if (!oob.ContainsKey(leftName) || !oob.ContainsKey(rightName) || heatmaps.Count == 0) return;
        var left = oob[leftName].ToDictionary(p => p.ImageId);
        var right = oob[rightName].ToDictionary(p => p.ImageId);
        var rows = context.Manifest.Rows.ToDictionary(r => r.ImageId);
        string folder = Path.Combine(context.Folder, "explain");
        var explained = left.Keys.Where(right.ContainsKey).Where(id => heatmaps.ContainsKey((id, leftName)) && heatmaps.ContainsKey((id, rightName)))
            .OrderBy(id => id, StringComparer.Ordinal)
            .Select(id => Explanation.Describe(context.Manifest, rows[id], context.Images.Whole[id], context.Images.InputSize,
                new SideExplanation(leftName, left[id].Probabilities, heatmaps[(id, leftName)]),
                new SideExplanation(rightName, right[id].Probabilities, heatmaps[(id, rightName)]),
                context.Columns(leftName).Reader1, context.Columns(rightName).Reader1, folder))
            .ToList();
        var summary = Explanation.Summarise(explained, folder);
        context.Store.AddArtefact(new ArtefactRecord(context.Spec.Name, "level3", "heatmap_matrix", Path.Combine(folder, "matrix.png")));
        context.Store.ReplaceResults(context.Spec.Name, ResultLevels.FinalHeatmaps, new[]
        {
            new ResultRecord(context.Spec.Name, ResultLevels.FinalHeatmaps, "oob", "all", "whole image", "", "hcs", summary.MeanHcs, null, null, summary.Images),
            new ResultRecord(context.Spec.Name, ResultLevels.FinalHeatmaps, "oob", "all", "whole image", "", "ma_hcs", summary.MaHcs, null, null, summary.Images),
            new ResultRecord(context.Spec.Name, ResultLevels.FinalHeatmaps, "oob", "all", "whole image", "", "opacity_concordance", summary.MeanOpacityConcordance, null, null, summary.Images),
        }.Where(r => !double.IsNaN(r.Value)));
    }
}

/// <summary>
/// The final model and the chosen combination's level-2 fold models of the same trial side (each trained on another
/// arrangement of the same non-OOB patients) as one network answering the mean of their probabilities, described by the
/// final model's description, its members named and every image any member saw. Owns the members it loaded; the final
/// model stays the caller's.
/// </summary>
sealed class FinalEnsemble : IDisposable
{
    readonly List<nn.Module<Tensor, Tensor>> _members = new();
    readonly List<string> _names = new();
    readonly HashSet<string> _seen = new(StringComparer.Ordinal);

    /// <summary>The ensemble, or null when no fold model finished (a study stopped before level 2 completed).</summary>
    public EnsembleNetwork? Network { get; private set; }

    public static FinalEnsemble Of(StudyContext context, TrialPlan final, nn.Module<Tensor, Tensor> finalModel, CheckpointInfo finalInfo)
    {
        var ensemble = new FinalEnsemble();
        try
        {
            ensemble._seen.UnionWith(finalInfo.SeenImages ?? Array.Empty<string>());
            ensemble._names.Add($"final model (level 3, fold {final.Fold}, trial {final.Hash})");
            // This study's level-2 trials of the combination, by hash: never a model the store kept from other settings.
            foreach (var plan in Levels.Trials(context, new[] { final.Combination }, Enumerable.Range(1, context.Spec.Folds), 2).Where(t => t.Side == final.Side))
            {
                if (context.Store.Trial(plan.Hash) is not { Status: TrialStatus.Done } record) continue;
                var (model, info) = Checkpoint.Load(record.Checkpoint);
                ensemble._members.Add(model);
                ensemble._names.Add($"fold {plan.Fold} model (level 2, trial {plan.Hash})");
                ensemble._seen.UnionWith(info.SeenImages ?? Array.Empty<string>());
            }
            if (ensemble._members.Count > 0) ensemble.Network = new EnsembleNetwork(ensemble._members.Prepend(finalModel).ToList());
            return ensemble;
        }
        catch
        {
            ensemble.Dispose();
            throw;
        }
    }

    /// <summary>A side's sidecar for the ensemble: the final model's, with the members and every image any of them saw.</summary>
    public CheckpointInfo Describe(CheckpointInfo finalInfo) => finalInfo with
    {
        EnsembleMembers = _names, SeenImages = _seen.Order(StringComparer.Ordinal).ToList(), Metrics = null,
    };

    public void Dispose()
    {
        // The final model inside the ensemble is the caller's; it disposes it after this (a second dispose is harmless).
        Network?.Dispose();
        foreach (var member in _members) member.Dispose();
        _members.Clear();
    }
}
