using Pleura.Evaluation;

namespace Pleura.Tests.Evaluation;

public class PatientBootstrapTests
{
    /// <summary>Two lungs per image, one image per patient unless <paramref name="images"/> says more; truth cycles through the grades.</summary>
    static List<GradedLung> Lungs(int patients, Func<int, int, int> predicted, int images = 1) =>
        (from p in Enumerable.Range(0, patients)
         from i in Enumerable.Range(0, images)
         from side in new[] { "left", "right" }
         let truth = (p + i) % 4
         select new GradedLung($"P{p}-{i}", $"P{p}", side, truth, predicted(p, truth))).ToList();

    [Fact]
    public void TheEstimateIsTheMeanOfTheSidesFiguresAndEachSideIsReportedToo()
    {
        // Left lungs graded one too high from grade 2 on, right lungs exactly.
        var lungs = Lungs(40, (_, t) => t).Select(l => l.Side == "left" && l.Truth >= 2 ? l with { Predicted = Math.Min(3, l.Truth + 1) } : l).ToList();
        var estimates = PatientBootstrap.Estimate(lungs, iterations: 200, seed: 3);
        double left = GradeMetrics.Compute(lungs.Where(l => l.Side == "left").Select(l => l.Truth).ToList(), lungs.Where(l => l.Side == "left").Select(l => l.Predicted).ToList()).MacroMae;
        Assert.Equal(0.25, left, 12); // grade 2 off by one, grade 3 capped: (0 + 0 + 1 + 0) / 4
        var mean = estimates.Single(e => e.Metric == MetricTable.MacroMae && e.Side == "mean").Estimate;
        Assert.Equal(left / 2, mean.Estimate, 12);
        Assert.Equal(0, estimates.Single(e => e.Metric == MetricTable.MacroMae && e.Side == "right").Estimate.Estimate, 12);
        Assert.True(mean.Low <= mean.Estimate && mean.Estimate <= mean.High);
    }

    [Fact]
    public void APatientsImagesAreDrawnTogether()
    {
        // Patient 0's ten images are all graded right, patient 1's all one grade off: a resample holds 0, 1 or 2 copies
        // of each patient, never a mixture of their images, so the only possible figures are 0, 0.5 and 1.
        var lungs = Lungs(2, (p, t) => p == 0 ? t : (t + 1) % 4, images: 10)
            .Select(l => l.PatientId == "P1" && l.Truth == 3 ? l with { Predicted = 2 } : l).ToList();
        var e = PatientBootstrap.Estimate(lungs, iterations: 500, seed: 1).Single(x => x.Metric == MetricTable.Mae && x.Side == "mean").Estimate;
        Assert.Equal(0.5, e.Estimate, 12);
        Assert.Equal(0, e.Low, 12);
        Assert.Equal(1, e.High, 12);
    }

    [Fact]
    public void APairedDifferenceIsTakenOnTheSamePatientsAndNeedsTheSameLungs()
    {
        var good = Lungs(30, (_, t) => t);
        // The second grader is one grade off on every lung of every third patient.
        var worse = good.Select(l => int.Parse(l.PatientId[1..]) % 3 == 0 ? l with { Predicted = l.Truth == 0 ? 1 : l.Truth - 1 } : l).ToList();
        var d = PatientBootstrap.Paired(good, worse, iterations: 500, seed: 2).Single(x => x.Metric == MetricTable.Mae);
        Assert.Equal(0, d.First, 12);
        Assert.Equal(1.0 / 3, d.Second, 12);
        Assert.Equal(1.0 / 3, d.Difference.Estimate, 12);
        Assert.True(d.Difference.Low > 0, d.Difference.ToString());   // worse in every resample that holds one of those patients
        Assert.False(d.HigherIsBetter);
        var same = PatientBootstrap.Paired(good, good, iterations: 100).Single(x => x.Metric == MetricTable.MacroMae).Difference;
        Assert.Equal((0.0, 0.0, 0.0), (same.Estimate, same.Low, same.High));

        Assert.Throws<ArgumentException>(() => PatientBootstrap.Paired(good, worse.Skip(2).ToList()));
        Assert.Throws<ArgumentException>(() => PatientBootstrap.Paired(good, worse.Select(l => l with { Truth = 3 - l.Truth }).ToList()));
    }
}
