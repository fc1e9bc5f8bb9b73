using Pleura.Evaluation;

namespace Pleura.Tests.Evaluation;

public class SoftmaxRegressionTests
{
    /// <summary>The data of Fixtures/softmax_reference.py: 60 rows, 3 features, 3 classes, a weak class signal.</summary>
    static (double[][] X, int[] Y) Data()
    {
        var y = Enumerable.Range(0, 60).Select(i => i % 3).ToArray();
        var x = Enumerable.Range(0, 60).Select(i => Enumerable.Range(0, 3).Select(j => Math.Sin(0.7 * i * (j + 1)) + (y[i] == j ? 0.8 : 0.0) + 3.0 * j).ToArray()).ToArray();
        return (x, y);
    }

    // Probabilities of rows 0, 1, 2 and 31 for the summed log loss + lambda/2 |W|^2 on StandardScaler features
    // (Fixtures/softmax_reference.py): scipy BFGS to a gradient of 1e-9 (tight), and sklearn
    // LogisticRegression(C=1/lambda, multi_class='multinomial', solver='lbfgs', tol=1e-12), which stops at a gradient of 4e-5.
    public static IEnumerable<object[]> References() => new[]
    {
        new object[] { 1.0,
            new[] { 0.5565474052271249, 0.014309909814375426, 0.4291426849584996, 0.03444516589294704, 0.9655021434063578, 5.2690700695192534e-05,
                0.49135968157336446, 0.008785917123830386, 0.49985440130280523, 0.13519152011189892, 0.8640901823684283, 0.0007182975196727402 },
            new[] { 0.5565470445243148, 0.01430969611198704, 0.42914325936369824, 0.03444607009439824, 0.965501236173685, 5.26937319167321e-05,
                0.4913581744771519, 0.008785665316771623, 0.4998561602060766, 0.13519074730616948, 0.8640909526050096, 0.0007183000888209243 } },
        new object[] { 10.0,
            new[] { 0.4834700832513682, 0.10239271602461561, 0.41413720072401633, 0.13243386453494824, 0.8369048775859633, 0.030661257879088504,
                0.4885863231883984, 0.0904539742928689, 0.42095970251873277, 0.25022411501067066, 0.6679516713760192, 0.08182421361331023 },
            new[] { 0.48346917113302973, 0.10239244431481709, 0.41413838455215324, 0.1324359665633373, 0.8369022924987788, 0.030661740937884003,
                0.48858465688670377, 0.09045367550583297, 0.42096166760746323, 0.25022697079034734, 0.6679485370482937, 0.08182449216135901 } },
    };

    [Theory]
    [MemberData(nameof(References))]
    public void ProbabilitiesMatchScipyAndScikitLearn(double lambda, double[] scipy, double[] sklearn)
    {
        var (x, y) = Data();
        var model = SoftmaxRegression.Fit(x, y, 3, lambda);
        var rows = new[] { 0, 1, 2, 31 };
        for (int r = 0; r < rows.Length; r++)
        {
            var p = model.Probabilities(x[rows[r]]);
            Assert.Equal(1.0, p.Sum(), 12);
            for (int c = 0; c < 3; c++)
            {
                Assert.True(Math.Abs(scipy[r * 3 + c] - p[c]) < 1e-7, $"row {rows[r]} class {c}: scipy {scipy[r * 3 + c]:R}, ours {p[c]:R}");
                Assert.True(Math.Abs(sklearn[r * 3 + c] - p[c]) < 5e-6, $"row {rows[r]} class {c}: sklearn {sklearn[r * 3 + c]:R}, ours {p[c]:R}");
            }
        }
    }

    [Fact]
    public void TheChosenStrengthHasTheLowestValidationLogLoss()
    {
        var random = new Random(4);
        var labels = Enumerable.Range(0, 200).Select(i => i % 2).ToArray();
        var rows = Enumerable.Range(0, 200).Select(i => new[] { random.NextDouble() + 0.8 * labels[i], random.NextDouble() }).ToArray();
        var chosen = SoftmaxRegression.FitChoosingStrength(rows[..150], labels[..150], rows[150..], labels[150..], 2);
        double Loss(SoftmaxRegression m) => rows[150..].Select((r, i) => -Math.Log(m.Probabilities(r)[labels[150 + i]])).Sum();
        var losses = SoftmaxRegression.Strengths.Select(s => Loss(SoftmaxRegression.Fit(rows[..150], labels[..150], 2, s * 150))).ToList();
        Assert.Equal(losses.Min(), Loss(chosen), 9);
        Assert.Contains(chosen.Lambda / 150, SoftmaxRegression.Strengths);
        Assert.True(Roc.Auc(labels[150..], rows[150..].Select(r => chosen.Probabilities(r)[1]).ToArray()) > 0.8);
    }

    [Fact]
    public void BadInputIsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SoftmaxRegression.Fit(new[] { new[] { 1.0 } }, new[] { 0 }, 2, 0));
        Assert.Throws<ArgumentException>(() => SoftmaxRegression.Fit(new[] { new[] { double.NaN } }, new[] { 0 }, 2, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => SoftmaxRegression.Fit(new[] { new[] { 1.0 } }, new[] { 2 }, 2, 1));
    }
}
