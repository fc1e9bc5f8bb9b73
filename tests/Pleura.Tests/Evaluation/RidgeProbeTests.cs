using Pleura.Evaluation;

namespace Pleura.Tests.Evaluation;

/// <summary>The linear probe: ridge regression of grades on frozen features.</summary>
public class RidgeProbeTests
{
    static (List<float[]> X, List<int> Y) Data(int n, int seed)
    {
        var random = new Random(seed);
        var x = new List<float[]>();
        var y = new List<int>();
        for (int i = 0; i < n; i++)
        {
            int grade = random.Next(4);
            // One informative feature among 40, the rest noise.
            var row = Enumerable.Range(0, 40).Select(_ => (float)random.NextDouble()).ToArray();
            row[7] = grade * 10 + (float)(random.NextDouble() - 0.5);
            x.Add(row);
            y.Add(grade);
        }
        return (x, y);
    }

    [Fact]
    public void LearnsAGradeThatOneFeatureCarries()
    {
        var (train, trainY) = Data(80, 1);
        var (validation, validationY) = Data(40, 2);
        var (test, testY) = Data(200, 3);
        var probe = RidgeProbe.FitChoosingStrength(train, trainY, validation, validationY);
        var metrics = GradeMetrics.Compute(testY, test.Select(probe.Predict).ToList());
        Assert.True(metrics.Accuracy > 0.9, $"accuracy {metrics.Accuracy:0.000}");
        Assert.Contains(RidgeProbe.Strengths, s => Math.Abs(s * train.Count - probe.Alpha) < 1e-9);
    }

    [Fact]
    public void AVeryStrongPenaltyPredictsTheMeanGrade()
    {
        var (train, trainY) = Data(30, 4);
        var probe = RidgeProbe.Fit(train, trainY, alpha: 1e9);
        Assert.Equal(trainY.Average(), probe.Score(train[0]), 3);
        Assert.All(train, row => Assert.InRange(probe.Predict(row), 0, 3));
    }

    [Fact]
    public void MismatchedInputIsRefused() =>
        Assert.Throws<ArgumentException>(() => RidgeProbe.Fit(new[] { new float[] { 1 } }, new[] { 1, 2 }, 1));
}
