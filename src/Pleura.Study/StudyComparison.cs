using Pleura.Evaluation;
using Pleura.Store;

namespace Pleura.Study;

/// <summary>One combination and metric of two studies, paired by side and fold (difference = second − first).</summary>
public sealed record StudyComparisonRow(string Combination, string Metric, bool HigherIsBetter, double First, double Second, PairedDifference Difference)
{
    /// <summary>Pairs in which the second study did better.</summary>
    public int SecondBetter => HigherIsBetter ? Difference.Positive : Difference.Negative;
}

/// <summary>
/// Two studies that differ in one setting (e.g. pretrained against scratch weights) compared trial by trial: every
/// combination both ran, on the same side and fold, scored on that fold's test part, paired. When the setting is the
/// backbone itself (each study has one, and they differ), trials pair by ROI and balancing. The selection levels'
/// folds share images between the two sides, so the pairs are not fully independent; the interval is a guide.
/// </summary>
public static class StudyComparison
{
    public const string TestSet = "test";
    /// <summary>The row that pools the pairs of every combination.</summary>
    public const string AllCombinations = "all combinations";

    static readonly (string Metric, bool HigherIsBetter)[] Metrics =
    {
        (MetricTable.MacroMae, false), ("mae", false), ("accuracy", true), (MetricTable.F1Weighted, true), (MetricTable.QuadraticKappa, true),
    };

    /// <param name="allowNone">No pairs is an answer, not an error (the caller has the final models to compare).</param>
    public static List<StudyComparisonRow> Compare(IExperimentStore first, string firstStudy, IExperimentStore second, string secondStudy, bool allowNone = false)
    {
        var backbones = new[] { (first, firstStudy), (second, secondStudy) }
            .Select(s => s.Item1.Trials(s.Item2).Select(t => t.Backbone).Distinct().ToList()).ToList();
        bool acrossBackbones = backbones.All(b => b.Count == 1) && backbones[0][0] != backbones[1][0];
        var a = TestMetrics(first, firstStudy, acrossBackbones);
        var b = TestMetrics(second, secondStudy, acrossBackbones);
        var rows = new List<StudyComparisonRow>();
        // Each combination on its own, then (with two or more) every pair of every combination together: more pairs,
        // the overall answer.
        var combinations = a.Keys.Select(k => k.Combination).Where(c => b.Keys.Any(k => k.Combination == c)).Distinct()
            .OrderBy(c => c, StringComparer.Ordinal).ToList();
        if (combinations.Count > 1) combinations.Add(AllCombinations);
        foreach (var combination in combinations)
            foreach (var (metric, higher) in Metrics)
            {
                var pairs = a.Where(kv => (combination == AllCombinations || kv.Key.Combination == combination) && b.ContainsKey(kv.Key)
                                          && kv.Value.ContainsKey(metric) && b[kv.Key].ContainsKey(metric))
                    .Select(kv => (A: kv.Value[metric], B: b[kv.Key][metric])).ToList();
                if (pairs.Count < 2) continue;
                rows.Add(new StudyComparisonRow(combination, metric, higher, pairs.Average(p => p.A), pairs.Average(p => p.B),
                    PairedDifference.Of(pairs.Select(p => p.A).ToList(), pairs.Select(p => p.B).ToList())));
            }
        if (rows.Count == 0 && !allowNone)
            throw new InvalidDataException($"studies '{firstStudy}' and '{secondStudy}' have no finished trials of the same combination, side and fold to pair");
        return rows;
    }

    /// <summary>Test-part metrics of the finished selection trials (levels 1 and 2), by combination, side and fold.</summary>
    /// <param name="withoutBackbone">Name combinations by ROI and balancing only (two studies of different backbones).</param>
    static Dictionary<(string Combination, string Side, int Fold), Dictionary<string, double>> TestMetrics(IExperimentStore store, string study, bool withoutBackbone)
    {
        string Name(TrialRecord t) => withoutBackbone ? $"roi {t.Roi} / {t.Balancing}" : t.Combination;
        // A study file edited in place continues in its folder, so its store may hold a trial of the earlier settings
        // beside today's for one combination, side and fold: the one finished last is of the settings the study ran last.
        var trials = store.Trials(study).Where(t => t.Status == TrialStatus.Done && t.Level <= 2)
            .GroupBy(t => (Name(t), t.Side, t.Fold)).Select(g => g.MaxBy(t => t.FinishedUtc)!).ToDictionary(t => t.Hash);
        return store.Metrics(study).Where(m => m.Set == TestSet && trials.ContainsKey(m.TrialHash))
            .GroupBy(m => (Name(trials[m.TrialHash]), trials[m.TrialHash].Side, trials[m.TrialHash].Fold))
            .ToDictionary(g => g.Key, g => g.ToDictionary(m => m.Metric, m => m.Value));
    }
}

/// <summary>One metric of two studies' final models on the same OOB lungs (difference = second − first, mean of sides).</summary>
public sealed record OobComparisonRow(string Metric, bool HigherIsBetter, double First, double Second, BootstrapEstimate Difference, int Images);

/// <summary>
/// The two studies' final models (level 3) on the OOB lungs both scored, paired image by image: a percentile bootstrap
/// over images (both lungs of an image drawn together) of the difference in each metric averaged over the sides. Two
/// studies with the same manifest and split seed have the same OOB set.
/// </summary>
public static class OobComparison
{
    static readonly (string Metric, bool HigherIsBetter, Func<GradeMetrics, double> Value)[] Metrics =
    {
        (MetricTable.MacroMae, false, m => m.MacroMae), ("mae", false, m => m.Mae), ("accuracy", true, m => m.Accuracy),
        (MetricTable.F1Weighted, true, m => m.Report.F1Weighted), (MetricTable.QuadraticKappa, true, m => m.QuadraticKappa),
    };

    /// <summary>Whether the study finished level 3: its final models' OOB predictions are in the store.</summary>
    public static bool HasFinalModels(IExperimentStore store, string study) =>
        store.Artefacts(study).Any(x => x.Kind.StartsWith(Levels.OobPredictionsKind, StringComparison.Ordinal));

    public static List<OobComparisonRow> Compare(IExperimentStore first, string firstStudy, IExperimentStore second, string secondStudy, int iterations = 2000, int seed = 1)
    {
        var a = Predictions(first, firstStudy);
        var b = Predictions(second, secondStudy);
        var images = a.Keys.Select(k => k.Image).Intersect(b.Keys.Select(k => k.Image)).OrderBy(i => i, StringComparer.Ordinal).ToList();
        var sides = a.Keys.Select(k => k.Side).Distinct().Where(s => images.All(i => a.ContainsKey((i, s)) && b.ContainsKey((i, s)))).ToList();
        if (images.Count < 2 || sides.Count == 0)
            throw new InvalidDataException($"studies '{firstStudy}' and '{secondStudy}' have no OOB lungs in common (finished level 3 with the same manifest and split)");
        foreach (var key in images.SelectMany(i => sides.Select(s => (i, s))))
            if (a[key].Truth != b[key].Truth)
                throw new InvalidDataException($"the two studies' reader-1 grades differ for {key.i} ({key.s}): not the same labels");

        double[] Values(Dictionary<(string Image, string Side), (int Truth, int Predicted)> model, IReadOnlyList<int> draw) =>
            Metrics.Select(m => sides.Average(s => m.Value(GradeMetrics.Compute(draw.Select(i => model[(images[i], s)].Truth).ToList(),
                draw.Select(i => model[(images[i], s)].Predicted).ToList())))).ToArray();
        var all = Enumerable.Range(0, images.Count).ToList();
        var first0 = Values(a, all);
        var second0 = Values(b, all);
        var differences = Bootstrap.PercentileMany(images.Count, draw =>
        {
            var x = Values(a, draw);
            var y = Values(b, draw);
            return x.Zip(y, (p, q) => q - p).ToArray();
        }, iterations, seed: seed);
        return Metrics.Select((m, j) => new OobComparisonRow(m.Metric, m.HigherIsBetter, first0[j], second0[j], differences[j] with { Estimate = second0[j] - first0[j] }, images.Count)).ToList();
    }

    static Dictionary<(string Image, string Side), (int Truth, int Predicted)> Predictions(IExperimentStore store, string study)
    {
        var result = new Dictionary<(string, string), (int, int)>();
        foreach (var artefact in store.Artefacts(study).Where(x => x.Kind.StartsWith(Levels.OobPredictionsKind, StringComparison.Ordinal)))
        {
            string side = artefact.Kind[Levels.OobPredictionsKind.Length..];
            if (!File.Exists(artefact.Path)) throw new FileNotFoundException($"{artefact.Path}: the OOB predictions of study '{study}' are missing", artefact.Path);
            foreach (var row in Pleura.Data.CsvTable.Read(artefact.Path).Rows)
                result[(row["image_id"], side)] = (int.Parse(row["truth"], System.Globalization.CultureInfo.InvariantCulture),
                    int.Parse(row["predicted"], System.Globalization.CultureInfo.InvariantCulture));
        }
        return result;
    }
}
