namespace Pleura.Evaluation;

/// <summary>
/// Per-feature mean and population spread of a table (scikit-learn's StandardScaler), so linear models can penalise
/// every feature on one scale. A constant feature gets spread 1, so it standardises to zero instead of dividing by zero.
/// </summary>
public sealed record Standardisation(double[] Mean, double[] Scale)
{
    /// <param name="value">The value of row i, feature j.</param>
    public static Standardisation Of(int rows, int features, Func<int, int, double> value)
    {
        var mean = new double[features];
        var scale = new double[features];
        for (int j = 0; j < features; j++)
        {
            double m = 0, s = 0;
            for (int i = 0; i < rows; i++) m += value(i, j);
            m /= rows;
            for (int i = 0; i < rows; i++) s += Math.Pow(value(i, j) - m, 2);
            mean[j] = m;
            scale[j] = Math.Sqrt(s / rows) is var sd && sd > 1e-12 ? sd : 1;
        }
        return new Standardisation(mean, scale);
    }
}
