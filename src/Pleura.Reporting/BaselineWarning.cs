using System.Globalization;
using Pleura.Evaluation;
using Pleura.Store;

namespace Pleura.Reporting;

/// <summary>
/// A study must never ship a model its own baselines beat without saying so. The judgement uses the cross-validated
/// estimate over every patient (the baselines fit and graded on the chosen recipe's folds, the same lungs), never the
/// OOB set, which is too small to rank anything: when a baseline's macro MAE against reader 1 is at or below the chosen
/// recipe's, the report's first lines, the log and the answer's checkpoints (final/) carry this warning.
/// </summary>
public static class BaselineWarning
{
    public static string? Of(IReadOnlyList<ResultRecord> results)
    {
        var macro = results.Where(r => r.Level == ResultLevels.CrossValidated && r.Side == "mean" && r.Comparison == ResultComparisons.ModelVsReader1
                                       && r.Metric == MetricTable.MacroMae).ToList();
        var chosen = macro.FirstOrDefault(r => r.Selected);
        if (chosen is null) return null;
        var better = macro.Where(r => r.Grouping == ResultComparisons.BaselineGrouping && r.Value <= chosen.Value).OrderBy(r => r.Value).ToList();
        if (better.Count == 0) return null;
        var paired = results.Where(r => r.Level == ResultLevels.CrossValidatedPaired && r.Grouping == ResultComparisons.BaselineGrouping && r.Metric == MetricTable.MacroMae)
            .ToDictionary(r => r.Group);
        string Difference(ResultRecord b) => paired.TryGetValue(b.Group, out var d) && d.Low is not null
            ? string.Create(CultureInfo.InvariantCulture, $"; baseline − model {d.Value:0.000} [{d.Low:0.000}, {d.High:0.000}]") : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"a baseline grades as well as the learned model: cross-validated over every patient ({chosen.Count} lungs), the model's macro MAE against reader 1 is {chosen.Value:0.000}, ") +
            string.Join(", ", better.Select(b => string.Create(CultureInfo.InvariantCulture, $"{b.Group} {b.Value:0.000}{Difference(b)}"))) +
            ". The answer in final/ is still the best learned model; do not deploy it as better than the baseline.";
    }
}
