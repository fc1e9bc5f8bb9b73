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
/// combination both ran, on the same side and fold, scored on that fold's test part, paired. The selection levels'
/// folds share images between the two sides, so the pairs are not fully independent; the interval is a guide.
/// </summary>
public static class StudyComparison
{
    public const string TestSet = "test";

    static readonly (string Metric, bool HigherIsBetter)[] Metrics =
    {
        ("macro_mae", false), ("mae", false), ("accuracy", true), ("f1_weighted", true), ("quadratic_weighted_kappa", true),
    };

    public static List<StudyComparisonRow> Compare(IExperimentStore first, string firstStudy, IExperimentStore second, string secondStudy)
    {
        var a = TestMetrics(first, firstStudy);
        var b = TestMetrics(second, secondStudy);
        var rows = new List<StudyComparisonRow>();
        foreach (var combination in a.Keys.Select(k => k.Combination).Distinct().OrderBy(c => c, StringComparer.Ordinal))
            foreach (var (metric, higher) in Metrics)
            {
                var pairs = a.Where(kv => kv.Key.Combination == combination && b.ContainsKey(kv.Key)
                                          && kv.Value.ContainsKey(metric) && b[kv.Key].ContainsKey(metric))
                    .Select(kv => (A: kv.Value[metric], B: b[kv.Key][metric])).ToList();
                if (pairs.Count < 2) continue;
                rows.Add(new StudyComparisonRow(combination, metric, higher, pairs.Average(p => p.A), pairs.Average(p => p.B),
                    PairedDifference.Of(pairs.Select(p => p.A).ToList(), pairs.Select(p => p.B).ToList())));
            }
        if (rows.Count == 0)
            throw new InvalidDataException($"studies '{firstStudy}' and '{secondStudy}' have no finished trials of the same combination, side and fold to pair");
        return rows;
    }

    /// <summary>Test-part metrics of the finished selection trials (levels 1 and 2), by combination, side and fold.</summary>
    static Dictionary<(string Combination, string Side, int Fold), Dictionary<string, double>> TestMetrics(IExperimentStore store, string study)
    {
        var trials = store.Trials(study).Where(t => t.Status == TrialStatus.Done && t.Level <= 2).ToDictionary(t => t.Hash);
        return store.Metrics(study).Where(m => m.Set == TestSet && trials.ContainsKey(m.TrialHash))
            .GroupBy(m => (trials[m.TrialHash].Combination, trials[m.TrialHash].Side, trials[m.TrialHash].Fold))
            .ToDictionary(g => g.Key, g => g.ToDictionary(m => m.Metric, m => m.Value));
    }
}
