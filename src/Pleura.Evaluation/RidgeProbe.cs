using MathNet.Numerics.LinearAlgebra;

namespace Pleura.Evaluation;

/// <summary>
/// A linear probe: ridge regression of the grade on standardised frozen features, the prediction rounded and clipped
/// to the grade range. The strength is chosen on a validation part by macro MAE. A fine-tuned model that does not beat
/// the probe on its own backbone's features has a training problem worth finding.
/// </summary>
public sealed class RidgeProbe
{
    /// <summary>Strengths tried, relative to the number of training rows (scikit-learn's Ridge alpha / n).</summary>
    public static readonly IReadOnlyList<double> Strengths = new[] { 0.01, 0.1, 1, 10, 100, 1000 };

    readonly Vector<double> _weights;
    readonly double _intercept;
    readonly double[] _mean, _scale;
    readonly int _maxGrade;

    public double Alpha { get; }

    RidgeProbe(Vector<double> weights, double intercept, double[] mean, double[] scale, double alpha, int maxGrade)
    {
        _weights = weights;
        _intercept = intercept;
        _mean = mean;
        _scale = scale;
        Alpha = alpha;
        _maxGrade = maxGrade;
    }

    /// <summary>Fits w minimising |y - Xw - b|² + alpha |w|² on standardised features (closed form, in the dual when
    /// there are more features than rows).</summary>
    public static RidgeProbe Fit(IReadOnlyList<float[]> features, IReadOnlyList<int> grades, double alpha, int maxGrade = 3)
    {
        if (features.Count == 0 || features.Count != grades.Count) throw new ArgumentException("one grade per feature row, at least one row");
        int n = features.Count, d = features[0].Length;
        var (mean, scale) = Standardisation.Of(n, d, (i, j) => features[i][j]);
        var x = Matrix<double>.Build.Dense(n, d, (i, j) => (features[i][j] - mean[j]) / scale[j]);
        double intercept = grades.Average();
        var y = Vector<double>.Build.Dense(n, i => grades[i] - intercept);
        // Dual form: w = X^T (X X^T + alpha I)^-1 y, an n x n system (n rows << 512 features here).
        var gram = x * x.Transpose() + Matrix<double>.Build.DenseIdentity(n) * alpha;
        var weights = x.Transpose() * gram.Cholesky().Solve(y);
        return new RidgeProbe(weights, intercept, mean, scale, alpha, maxGrade);
    }

    /// <summary>Fits with every strength in <see cref="Strengths"/> on the training rows and keeps the one with the lowest
    /// validation macro MAE (ties: the stronger, simpler probe).</summary>
    public static RidgeProbe FitChoosingStrength(IReadOnlyList<float[]> train, IReadOnlyList<int> trainGrades,
        IReadOnlyList<float[]> validation, IReadOnlyList<int> validationGrades, int maxGrade = 3)
    {
        RidgeProbe? best = null;
        double bestScore = double.MaxValue;
        foreach (var strength in Strengths.Reverse())
        {
            var probe = Fit(train, trainGrades, strength * train.Count, maxGrade);
            double score = validation.Count == 0 ? 0 : GradeMetrics.Compute(validationGrades, validation.Select(probe.Predict).ToList()).MacroMae;
            if (score < bestScore - 1e-12) { best = probe; bestScore = score; }
        }
        return best!;
    }

    /// <summary>The probe's continuous output (expected grade).</summary>
    public double Score(float[] features)
    {
        double sum = _intercept;
        for (int j = 0; j < _weights.Count; j++) sum += _weights[j] * (features[j] - _mean[j]) / _scale[j];
        return sum;
    }

    /// <summary>The probe as one linear function of the raw features, Score(x) = sum_j Weights[j] x_j + Bias (the
    /// standardisation folded in), so that a network's linear head can compute it.</summary>
    public (double[] Weights, double Bias) LinearForm()
    {
        var weights = new double[_weights.Count];
        double bias = _intercept;
        for (int j = 0; j < weights.Length; j++)
        {
            weights[j] = _weights[j] / _scale[j];
            bias -= weights[j] * _mean[j];
        }
        return (weights, bias);
    }

    public int Predict(float[] features) => (int)Math.Clamp(Math.Round(Score(features), MidpointRounding.AwayFromZero), 0, _maxGrade);
}
