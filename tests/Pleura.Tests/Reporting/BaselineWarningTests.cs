using Pleura.Reporting;
using Pleura.Store;

namespace Pleura.Tests.Reporting;

/// <summary>The cross-validated rule that a study never ships a model its own baselines beat without saying so.</summary>
public class BaselineWarningTests
{
    static ResultRecord Row(string grouping, string group, double value, bool selected = false) =>
        new("s", ResultLevels.CrossValidated, grouping, group, "mean", "model_vs_reader1", "macro_mae", value, value - 0.1, value + 0.1, 240, "", selected);

    [Fact]
    public void ABaselineAtOrBelowTheChosenRecipeIsNamedWithItsPairedDifference()
    {
        var results = new List<ResultRecord>
        {
            Row("combination", "resnet18 / roi lung / over", 0.89, selected: true),
            Row("combination", "resnet18 / roi none / over", 0.80),   // another combination is no baseline
            Row("baseline", "ridge probe", 0.85),
            Row("baseline", "global intensity", 1.20),
            new("s", ResultLevels.CrossValidatedPaired, "baseline", "ridge probe", "mean", "candidate_minus_chosen", "macro_mae", -0.04, -0.12, 0.05, 240, ""),
        };
        var warning = BaselineWarning.Of(results);
        Assert.NotNull(warning);
        Assert.Contains("ridge probe 0.850; baseline − model -0.040 [-0.120, 0.050]", warning);
        Assert.DoesNotContain("global intensity", warning);
        Assert.Contains("0.890", warning);
    }

    [Fact]
    public void NoWarningWhenEveryBaselineIsWorseOrThereIsNoCrossValidatedEstimate()
    {
        Assert.Null(BaselineWarning.Of(new[] { Row("combination", "a", 0.70, selected: true), Row("baseline", "ridge probe", 0.75) }));
        Assert.Null(BaselineWarning.Of(new[] { Row("baseline", "ridge probe", 0.75) }));
        Assert.Null(BaselineWarning.Of(Array.Empty<ResultRecord>()));
    }
}
