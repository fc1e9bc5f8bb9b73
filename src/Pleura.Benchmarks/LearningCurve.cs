using Pleura.Reporting;
using Pleura.Transfer;

namespace Pleura.Benchmarks;

/// <summary>`pleura bench transfer`'s learning curve: test AUC against training images, per start.</summary>
public static class LearningCurve
{
    /// <summary>
    /// One series per start (scratch, pretrained): at each training size, the mean training images, the mean macro AUC
    /// and its standard deviation over the splits (n − 1), by size.
    /// </summary>
    public static IReadOnlyList<(string Label, double[] X, double[] Y, double[] Error)> Series(IReadOnlyList<TransferRun> runs) =>
        runs.GroupBy(r => r.Start).Select(start =>
        {
            var points = start.GroupBy(r => r.PerClass).Select(g => (X: g.Average(r => r.TrainImages), Y: g.Average(r => r.MacroAuc),
                Sd: Math.Sqrt(g.Sum(r => Math.Pow(r.MacroAuc - g.Average(q => q.MacroAuc), 2)) / Math.Max(1, g.Count() - 1)))).OrderBy(p => p.X).ToList();
            return (start.Key, points.Select(p => p.X).ToArray(), points.Select(p => p.Y).ToArray(), points.Select(p => p.Sd).ToArray());
        }).ToList();

    /// <summary>The curve as transfer-curve.png/.svg in the folder.</summary>
    public static Figure Draw(string folder, IReadOnlyList<TransferRun> runs) =>
        new Figures(folder).Curves("transfer-curve", "Test AUC by training-set size (mean and SD over the splits)",
            "training images", "test AUC (macro, one-vs-rest)", Series(runs));
}
