using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.Optimization;

namespace Pleura.Evaluation;

/// <summary>
/// Multinomial logistic regression with an L2 penalty on standardised features: minimises the summed log loss plus
/// λ/2 |W|² (intercepts unpenalised), which is scikit-learn's <c>LogisticRegression(C = 1/λ)</c> objective, by L-BFGS.
/// A linear model on a handful of image statistics is the bar a CNN must clear to show it learned more than where and
/// how an image was taken (the classification counterpart of <see cref="RidgeProbe"/> and
/// <see cref="GlobalIntensityBaseline"/>).
/// </summary>
public sealed class SoftmaxRegression
{
    /// <summary>Penalties tried by <see cref="FitChoosingStrength"/>, per training row.</summary>
    public static readonly IReadOnlyList<double> Strengths = new[] { 1e-4, 1e-3, 1e-2, 1e-1, 1 };

    readonly double[,] _weights; // class x feature, on standardised features
    readonly double[] _intercepts, _mean, _scale;

    public int ClassCount => _intercepts.Length;
    public double Lambda { get; }

    SoftmaxRegression(double[,] weights, double[] intercepts, double[] mean, double[] scale, double lambda)
    {
        _weights = weights;
        _intercepts = intercepts;
        _mean = mean;
        _scale = scale;
        Lambda = lambda;
    }

    public static SoftmaxRegression Fit(IReadOnlyList<double[]> features, IReadOnlyList<int> labels, int classCount, double lambda)
    {
        if (features.Count == 0 || features.Count != labels.Count) throw new ArgumentException("one label per feature row, at least one row");
        if (lambda <= 0) throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "the penalty must be positive (it keeps separable data finite)");
        int n = features.Count, d = features[0].Length, k = classCount;
        for (int i = 0; i < n; i++)
        {
            if (features[i].Length != d) throw new ArgumentException($"row {i} has {features[i].Length} features, expected {d}");
            if (features[i].Any(v => !double.IsFinite(v))) throw new ArgumentException($"row {i} has a feature that is not a finite number");
            Guard.InRange(labels[i], k, "label", i);
        }
        // Population spread, as scikit-learn's StandardScaler; a constant feature stays at zero.
        var (mean, scale) = Standardisation.Of(n, d, (i, j) => features[i][j]);
        var x = new double[n, d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) x[i, j] = (features[i][j] - mean[j]) / scale[j];

        // Parameters: k x d weights, then k intercepts.
        (double, Vector<double>) Objective(Vector<double> theta)
        {
            var gradient = Vector<double>.Build.Dense(theta.Count);
            double loss = 0;
            var z = new double[k];
            for (int i = 0; i < n; i++)
            {
                double max = double.NegativeInfinity;
                for (int c = 0; c < k; c++)
                {
                    double v = theta[k * d + c];
                    for (int j = 0; j < d; j++) v += theta[c * d + j] * x[i, j];
                    z[c] = v;
                    max = Math.Max(max, v);
                }
                double sum = 0;
                for (int c = 0; c < k; c++) sum += Math.Exp(z[c] - max);
                loss += max + Math.Log(sum) - z[labels[i]];
                for (int c = 0; c < k; c++)
                {
                    double residual = Math.Exp(z[c] - max) / sum - (c == labels[i] ? 1 : 0);
                    for (int j = 0; j < d; j++) gradient[c * d + j] += residual * x[i, j];
                    gradient[k * d + c] += residual;
                }
            }
            for (int p = 0; p < k * d; p++)
            {
                loss += 0.5 * lambda * theta[p] * theta[p];
                gradient[p] += lambda * theta[p];
            }
            return (loss, gradient);
        }

        var minimizer = new LimitedMemoryBfgsMinimizer(1e-9, 1e-12, 1e-14, 10, 5000);
        var result = minimizer.FindMinimum(ObjectiveFunction.Gradient(Objective), Vector<double>.Build.Dense(k * d + k));
        var theta = result.MinimizingPoint;
        var weights = new double[k, d];
        for (int c = 0; c < k; c++) for (int j = 0; j < d; j++) weights[c, j] = theta[c * d + j];
        return new SoftmaxRegression(weights, Enumerable.Range(0, k).Select(c => theta[k * d + c]).ToArray(), mean, scale, lambda);
    }

    /// <summary>Class probabilities of one row.</summary>
    public double[] Probabilities(double[] features)
    {
        int k = ClassCount, d = _mean.Length;
        if (features.Length != d) throw new ArgumentException($"expected {d} features, got {features.Length}");
        var z = new double[k];
        for (int c = 0; c < k; c++)
        {
            double v = _intercepts[c];
            for (int j = 0; j < d; j++) v += _weights[c, j] * (features[j] - _mean[j]) / _scale[j];
            z[c] = v;
        }
        double max = z.Max(), sum = z.Sum(v => Math.Exp(v - max));
        return z.Select(v => Math.Exp(v - max) / sum).ToArray();
    }

    /// <summary>
    /// Fits with every per-row strength in <see cref="Strengths"/> and keeps the one whose validation log loss is lowest
    /// (ties: the stronger penalty, the simpler model).
    /// </summary>
    public static SoftmaxRegression FitChoosingStrength(IReadOnlyList<double[]> train, IReadOnlyList<int> trainLabels,
        IReadOnlyList<double[]> validation, IReadOnlyList<int> validationLabels, int classCount)
    {
        SoftmaxRegression? best = null;
        double bestLoss = double.MaxValue;
        foreach (var strength in Strengths.Reverse())
        {
            var model = Fit(train, trainLabels, classCount, strength * train.Count);
            double loss = validation.Select((f, i) => -Math.Log(Math.Max(1e-300, model.Probabilities(f)[validationLabels[i]]))).Sum();
            if (loss < bestLoss - 1e-9) { best = model; bestLoss = loss; }
        }
        return best!;
    }
}
