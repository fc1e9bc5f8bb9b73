using Pleura.Evaluation;

namespace Pleura.Tests.Evaluation;

public class MetricsBehaviourTests
{
    [Fact]
    public void MacroMaeWeighsRareClassesEqually()
    {
        // 9 clear lungs right, one severe lung called clear: plain MAE is small, macro MAE is not.
        var truth = Enumerable.Repeat(0, 9).Append(3).ToArray();
        var pred = Enumerable.Repeat(0, 10).ToArray();
        var m = GradeMetrics.Compute(truth, pred);
        Assert.Equal(0.3, m.Mae, 12);
        Assert.Equal(1.5, m.MacroMae, 12);
    }

    [Fact]
    public void LabelsOutsideTheClassesAreRejectedWithTheirPosition()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => GradeMetrics.Compute(new[] { 0, 1, 4 }, new[] { 0, 1, 2 }));
        Assert.Contains("position 2", e.Message);
        Assert.Throws<ArgumentException>(() => GradeMetrics.Compute(new[] { 0, 1 }, new[] { 0 }));
    }

    [Fact]
    public void BootstrapIsSeededAndBracketsTheEstimate()
    {
        var random = new Random(5);
        var truth = Enumerable.Range(0, 300).Select(_ => random.Next(4)).ToArray();
        var pred = truth.Select(t => Math.Clamp(t + (random.NextDouble() < 0.3 ? random.Next(-1, 2) : 0), 0, 3)).ToArray();
        var a = Bootstrap.Percentile(truth, pred, GradeMetrics.MeanAbsoluteError, 500, 0.95, seed: 11);
        var b = Bootstrap.Percentile(truth, pred, GradeMetrics.MeanAbsoluteError, 500, 0.95, seed: 11);
        Assert.Equal(a, b);
        Assert.True(a.Low < a.Estimate && a.Estimate < a.High);

        // Ten times the data gives a clearly narrower interval.
        var bigTruth = Enumerable.Range(0, 10).SelectMany(_ => truth).ToArray();
        var bigPred = Enumerable.Range(0, 10).SelectMany(_ => pred).ToArray();
        var big = Bootstrap.Percentile(bigTruth, bigPred, GradeMetrics.MeanAbsoluteError, 500, 0.95, seed: 11);
        Assert.True(big.High - big.Low < 0.5 * (a.High - a.Low));
    }

    [Fact]
    public void QuantileInterpolatesLikeNumpy()
    {
        var sorted = new double[] { 1, 2, 3, 4 };
        Assert.Equal(1.075, Bootstrap.Quantile(sorted, 0.025), 12);
        Assert.Equal(3.925, Bootstrap.Quantile(sorted, 0.975), 12);
    }

    [Fact]
    public void MetricTableGivesIntervalsForEveryScalar()
    {
        var truth = new[] { 0, 1, 2, 3, 0, 1, 2, 3, 1, 2 };
        var pred = new[] { 0, 1, 1, 3, 0, 2, 2, 3, 1, 1 };
        var values = MetricTable.Score(truth, pred, bootstrapIterations: 200, seed: 3);
        var macro = values.Single(v => v.Name == "macro_mae");
        Assert.Equal(GradeMetrics.Compute(truth, pred).MacroMae, macro.Value, 12);
        Assert.True(macro.Low <= macro.Value && macro.Value <= macro.High);
        Assert.Contains(values, v => v.Name == "0-2_vs_3_f1_weighted");
    }

    [Fact]
    public void BinaryClassifierUsesTheYoudenCutoff()
    {
        var truth = new[] { 0, 0, 0, 1, 1, 1 };
        var scores = new[] { 0.1, 0.2, 0.6, 0.55, 0.8, 0.9 };
        var m = BinaryClassifierMetrics.Compute(truth, scores);
        Assert.Equal(0.8, m.Cutoff.Threshold);
        Assert.Equal(1.0, m.Specificity);
        Assert.Equal(2.0 / 3, m.Sensitivity, 12);
        Assert.True(m.AccuracyInterval.Contains(m.Accuracy));
    }
}
