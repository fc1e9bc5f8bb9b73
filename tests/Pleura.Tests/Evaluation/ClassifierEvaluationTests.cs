using System.Text.Json;
using Pleura.Evaluation;

namespace Pleura.Tests.Evaluation;

/// <summary>
/// The classifier evaluation against scikit-learn 1.2.1 / SciPy 1.10.1 (Debian's python3). Inputs are the metrics
/// fixture's 4-class probability cases: random_40 is the validation part (cut-offs are chosen there), random_200 the test
/// part. The fixture has no DeLong or McNemar values, so the constants below were computed during development by
/// Fixtures/classifier_reference.py, whose essentials are:
/// <code>
/// roc_curve(y, s, drop_intermediate=False); j = argmax(tpr - fpr); cut = thr[j]          # Youden on validation
/// beta.ppf(0.025, k, n-k+1), beta.ppf(0.975, k+1, n-k)                                 # Clopper-Pearson
/// psi = (pos[:,None] > neg[None,:]) + 0.5*(pos[:,None] == neg[None,:])                 # DeLong, direct O(mn) form
/// v10, v01 = psi.mean(1), psi.mean(0); var = v10.var(ddof=1)/m + v01.var(ddof=1)/n; ci = auc -+ norm.ppf(.975)*sqrt(var)
/// paired: var = (b10-a10).var(ddof=1)/m + (b01-a01).var(ddof=1)/n; z = (aucB-aucA)/sqrt(var); p = 2*norm.sf(|z|)
/// binomtest(min(b, c), b + c, 0.5).pvalue                                               # McNemar exact
/// model B: (proba[i] + (i % 5)/10 * onehot(truth[i])) / (1 + (i % 5)/10)
/// </code>
/// </summary>
public class ClassifierEvaluationTests
{
    const double Tolerance = 1e-9;
    static readonly string[] Classes = { "c0", "c1", "c2", "c3" };

    static (ScoredImages Validation, ScoredImages Test) Fixture()
    {
        var root = JsonDocument.Parse(File.ReadAllText(SharedFolder.Require("fixtures", "metrics", "metrics.json"))).RootElement;
        ScoredImages Case(string name)
        {
            var c = root.GetProperty("cases").EnumerateArray().Single(x => x.GetProperty("name").GetString() == name);
            var truth = c.GetProperty("y_true").EnumerateArray().Select(x => x.GetInt32()).ToArray();
            var proba = c.GetProperty("proba").EnumerateArray()
                .Select(r => (IReadOnlyList<double>)r.EnumerateArray().Select(x => x.GetDouble()).ToArray()).ToArray();
            return new ScoredImages(truth, proba, 4);
        }
        return (Case("random_40"), Case("random_200"));
    }

    static ScoredImages ModelB(ScoredImages test) => new(test.Truth, test.Probabilities.Select((p, i) =>
    {
        double w = i % 5 / 10.0;
        return (IReadOnlyList<double>)p.Select((v, c) => (v + (c == test.Truth[i] ? w : 0)) / (1 + w)).ToArray();
    }).ToArray(), 4);

    static void Near(double expected, double actual, string what, double tolerance = Tolerance) =>
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"{what}: expected {expected:R}, got {actual:R}");

    // Per class: Youden cut-off and J on validation; test tp, fn, tn, fp at it; AUC, DeLong SE and interval; Clopper-Pearson
    // intervals of sensitivity and specificity; sums of the test curve's FPR and TPR over sklearn's 201 points.
    static readonly (double Cut, double J, int Tp, int Fn, int Tn, int Fp, double Auc, double Se, double Low, double High,
        double SensLow, double SensHigh, double SpecLow, double SpecHigh, double SumFpr, double SumTpr)[] Expected =
    {
        (0.262859, 0.7362637362637363, 43, 8, 119, 30, 0.9111725227003555, 0.019663387220124146, 0.872632991934847, 0.9497120534658641,
            0.7141237132684408, 0.9297591665426912, 0.7252177478506054, 0.8598406600545994, 79.53020134228188, 161.76470588235296),
        (0.68933, 0.6666666666666666, 12, 38, 149, 1, 0.8554666666666667, 0.03154668381905786, 0.7936363025496408, 0.9172970307836926,
            0.13060991619745735, 0.3816907481040382, 0.9634168322594198, 0.99983122885689, 82.72666666666666, 153.82),
        (0.467979, 0.8566308243727598, 23, 25, 147, 5, 0.8814418859649122, 0.028446574852358065, 0.8256876237707677, 0.9371961481590568,
            0.33286633621366873, 0.6281298322583455, 0.924906498594846, 0.9892345132704713, 82.1907894736842, 158.47916666666666),
        (0.467361, 0.8571428571428571, 35, 16, 142, 7, 0.9116989077510198, 0.024088994979258857, 0.8644853451679062, 0.9589124703341334,
            0.541127097379392, 0.8088960285224198, 0.905600589601554, 0.9809057447929409, 79.50335570469798, 161.84313725490196),
    };

    [SkippableFact]
    public void PerClassFiguresMatchScikitLearnAndScipy()
    {
        var (validation, test) = Fixture();
        var e = ClassifierEvaluation.Compute(Classes, validation, test);
        for (int c = 0; c < 4; c++)
        {
            var x = Expected[c];
            var r = e.PerClass[c];
            Assert.Equal(x.Cut, r.ValidationCutoff.Threshold);
            Near(x.J, r.ValidationCutoff.J, $"class {c} J");
            Assert.Equal((x.Tp, x.Fn, x.Tn, x.Fp), (r.TruePositives, r.FalseNegatives, r.TrueNegatives, r.FalsePositives));
            Near(x.Auc, r.Auc.Auc, $"class {c} AUC");
            Near(x.Se, r.Auc.StandardError, $"class {c} DeLong SE");
            Near(x.Low, r.Auc.Interval.Low, $"class {c} AUC low");
            Near(x.High, r.Auc.Interval.High, $"class {c} AUC high");
            Near(x.SensLow, r.Sensitivity.Interval.Low, $"class {c} sensitivity low");
            Near(x.SensHigh, r.Sensitivity.Interval.High, $"class {c} sensitivity high");
            Near(x.SpecLow, r.Specificity.Interval.Low, $"class {c} specificity low");
            Near(x.SpecHigh, r.Specificity.Interval.High, $"class {c} specificity high");
            // sklearn's curve has 201 points here (200 distinct scores and its start point), as ours.
            Assert.Equal(201, r.Curve.Count);
            Near(x.SumFpr, r.Curve.Sum(p => p.FalsePositiveRate), $"class {c} curve FPR", 1e-9);
            Near(x.SumTpr, r.Curve.Sum(p => p.TruePositiveRate), $"class {c} curve TPR", 1e-9);
        }
        // Accuracy of the most probable class, its Clopper-Pearson interval and sklearn's confusion_matrix.
        Assert.Equal(135, e.Accuracy.Successes);
        Near(0.6053462936951923, e.Accuracy.Interval.Low, "accuracy low");
        Near(0.7393744852463848, e.Accuracy.Interval.High, "accuracy high");
        Assert.Equal(new[] { new[] { 34, 6, 5, 6 }, new[] { 6, 33, 7, 4 }, new[] { 4, 9, 29, 6 }, new[] { 5, 4, 3, 39 } }, e.Confusion.ToRows());
        Near((0.9111725227003555 + 0.8554666666666667 + 0.8814418859649122 + 0.9116989077510198) / 4, e.MacroAuc, "macro AUC");
    }

    [SkippableFact]
    public void PairedComparisonMatchesDirectDeLongAndScipyBinomtest()
    {
        var (_, test) = Fixture();
        var p = PairedClassifierComparison.Compare(Classes, test, ModelB(test));
        var expected = new (double AucB, double Se, double Z, double P)[]
        {
            (0.9734175549414397, 0.01424131483182102, 4.370736338333231, 1.2382824436529053e-05),
            (0.9401333333333334, 0.017669689600348856, 4.791632936494542, 1.6542935336295775e-06),
            (0.9572368421052633, 0.018188352621459066, 4.167224911338384, 3.083302501136601e-05),
            (0.9619686800894854, 0.01411189448802653, 3.562227054710326, 0.00036772213689284343),
        };
        for (int c = 0; c < 4; c++)
        {
            Near(Expected[c].Auc, p.AucPerClass[c].AucA, $"class {c} AUC A");
            Near(expected[c].AucB, p.AucPerClass[c].AucB, $"class {c} AUC B");
            Near(expected[c].Se, p.AucPerClass[c].StandardError, $"class {c} SE of the difference");
            Near(expected[c].Z, p.AucPerClass[c].Z, $"class {c} z", 1e-8);
            Near(expected[c].P, p.AucPerClass[c].P, $"class {c} p", 1e-12);
        }
        Assert.Equal((135, 0, 32, 33), (p.Accuracy.BothRight, p.Accuracy.OnlyA, p.Accuracy.OnlyB, p.Accuracy.BothWrong));
        Near(4.656612873077393e-10, p.Accuracy.P, "McNemar p", 1e-15);
        Assert.Equal(167, p.AccuracyB.Successes);
    }

    [Theory]
    [InlineData(0, 0, 1.0)]
    [InlineData(3, 9, 0.14599609375)]
    [InlineData(1, 12, 0.00341796875)]
    [InlineData(10, 10, 1.0)]
    [InlineData(0, 7, 0.015625)]
    public void McNemarExactEqualsScipyBinomtest(int onlyA, int onlyB, double expected)
    {
        // Concordant pairs must not change p: add 5 both-right and 4 both-wrong cases.
        var a = Enumerable.Repeat(true, onlyA).Concat(Enumerable.Repeat(false, onlyB)).Concat(Enumerable.Repeat(true, 5)).Concat(Enumerable.Repeat(false, 4)).ToArray();
        var b = Enumerable.Repeat(false, onlyA).Concat(Enumerable.Repeat(true, onlyB)).Concat(Enumerable.Repeat(true, 5)).Concat(Enumerable.Repeat(false, 4)).ToArray();
        var t = McNemarTest.Exact(a, b);
        Assert.Equal((5, onlyA, onlyB, 4), (t.BothRight, t.OnlyA, t.OnlyB, t.BothWrong));
        Near(expected, t.P, "p", 1e-12);
    }

    [SkippableFact]
    public void DeLongHandlesTiedScoresAsTheDirectForm()
    {
        var (_, test) = Fixture();
        var scores = test.Scores(0).Select(s => Math.Round(s, 1, MidpointRounding.ToEven)).ToArray();
        var e = DeLong.Estimate(test.IsClass(0), scores);
        // numpy's round is half-to-even too; direct form over all (positive, negative) pairs with ties as 1/2.
        Near(0.9062376628503753, e.Auc, "AUC with ties");
        Near(0.02011093622924042, e.StandardError, "SE with ties");
        Near(Roc.Auc(test.IsClass(0), scores), e.Auc, "mid-rank AUC");
    }

    [SkippableFact]
    public void DeLongIntervalAgreesWithABootstrapOverImages()
    {
        var (_, test) = Fixture();
        for (int c = 0; c < 4; c++)
        {
            var truth = test.IsClass(c);
            var scores = test.Scores(c);
            var delong = DeLong.Estimate(truth, scores);
            var boot = Bootstrap.Percentile(truth.Length, idx => Roc.Auc(idx.Select(i => truth[i]).ToArray(), idx.Select(i => scores[i]).ToArray()),
                iterations: 2000, seed: 7);
            // Two estimates of the same sampling spread (asymptotic vs resampled): their ends agree to about a tenth of the width.
            double width = delong.Interval.High - delong.Interval.Low;
            Assert.True(Math.Abs(boot.Low - delong.Interval.Low) < 0.15 * width, $"class {c}: bootstrap low {boot.Low:0.000} vs DeLong {delong.Interval.Low:0.000}");
            Assert.True(Math.Abs(boot.High - delong.Interval.High) < 0.15 * width, $"class {c}: bootstrap high {boot.High:0.000} vs DeLong {delong.Interval.High:0.000}");
        }
    }

    [Fact]
    public void IdenticalModelsGiveNoDifferenceAndACutoffFromValidationNotTest()
    {
        // Validation: scores separate at 0.5; test: every positive scores 0.45, so a cut-off chosen on test would be 0.45
        // and score perfectly, while the validation cut-off 0.6 misses every positive.
        var validation = Binary(new[] { 0, 0, 0, 1, 1, 1 }, new[] { 0.1, 0.2, 0.3, 0.6, 0.7, 0.8 });
        var test = Binary(new[] { 0, 0, 0, 1, 1, 1 }, new[] { 0.1, 0.2, 0.3, 0.45, 0.45, 0.45 });
        var e = ClassifierEvaluation.Compute(new[] { "no", "yes" }, validation, test);
        var yes = e.PerClass[1];
        Assert.Equal(0.6, yes.ValidationCutoff.Threshold);
        Assert.Equal(0, yes.Sensitivity.Successes);
        Assert.Equal(1.0, yes.Specificity.Value);
        Assert.Equal(1.0, yes.Auc.Auc);
        var same = PairedClassifierComparison.Compare(new[] { "no", "yes" }, test, test);
        Assert.Equal(0, same.AucPerClass[1].Difference);
        Assert.Equal(1.0, same.AucPerClass[1].P);
        Assert.Equal(1.0, same.Accuracy.P);
    }

    [Fact]
    public void AClassMissingFromAPartIsRefusedByName()
    {
        var validation = Binary(new[] { 0, 0, 1, 1 }, new[] { 0.1, 0.2, 0.7, 0.8 });
        var test = Binary(new[] { 0, 0, 0, 0 }, new[] { 0.1, 0.2, 0.7, 0.8 });
        var error = Assert.Throws<ArgumentException>(() => ClassifierEvaluation.Compute(new[] { "frontal", "lateral" }, validation, test));
        Assert.Contains("test part has no images of lateral", error.Message);
    }

    [Fact]
    public void OneTestImageOfAClassGivesItsAucWithoutAnInterval()
    {
        var validation = Binary(new[] { 0, 0, 1, 1 }, new[] { 0.1, 0.2, 0.7, 0.8 });
        var test = Binary(new[] { 0, 0, 0, 1 }, new[] { 0.1, 0.5, 0.7, 0.6 });
        var yes = ClassifierEvaluation.Compute(new[] { "no", "yes" }, validation, test).PerClass[1];
        Assert.Equal(2.0 / 3, yes.Auc.Auc, 12);
        Assert.True(double.IsNaN(yes.Auc.StandardError) && double.IsNaN(yes.Auc.Interval.Low) && double.IsNaN(yes.Auc.Interval.High));
        var paired = DeLong.Compare(test.IsClass(1), test.Scores(1), new[] { 0.1, 0.2, 0.3, 0.9 });
        Assert.Equal(1.0 / 3, paired.Difference, 12);
        Assert.True(double.IsNaN(paired.P) && double.IsNaN(paired.Z));
        Assert.Throws<ArgumentException>(() => DeLong.Estimate(new[] { 0, 0 }, new[] { 0.1, 0.2 }));
    }

    static ScoredImages Binary(int[] truth, double[] p1) =>
        new(truth, p1.Select(p => (IReadOnlyList<double>)new[] { 1 - p, p }).ToArray(), 2);
}
