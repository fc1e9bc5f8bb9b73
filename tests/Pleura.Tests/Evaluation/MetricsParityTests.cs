using System.Text.Json;
using Pleura.Evaluation;

namespace Pleura.Tests.Evaluation;

/// <summary>Every value of ../shared/fixtures/metrics/metrics.json (scikit-learn 1.2) reproduced to 1e-9.</summary>
public class MetricsParityTests
{
    const double Tolerance = 1e-9;

    static JsonElement Fixture()
    {
        var path = SharedFolder.Require("fixtures", "metrics", "metrics.json");
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement;
    }

    static int[] Ints(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();
    static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(x => x.GetDouble()).ToArray();

    static void Near(double expected, double actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= Tolerance, $"{what}: expected {expected:R}, got {actual:R}");

    static void Near(double[] expected, IReadOnlyList<double> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Count);
        for (int i = 0; i < expected.Length; i++) Near(expected[i], actual[i], $"{what}[{i}]");
    }

    public static IEnumerable<object[]> CaseNames() =>
        new[] { "random_40", "random_200", "class3_absent_in_truth", "never_predicts_class0", "perfect" }.Select(n => new object[] { n });

    [SkippableTheory]
    [MemberData(nameof(CaseNames))]
    public void GradeMetricsMatchScikitLearn(string name)
    {
        var c = Fixture().GetProperty("cases").EnumerateArray().Single(x => x.GetProperty("name").GetString() == name);
        var truth = Ints(c.GetProperty("y_true"));
        var pred = Ints(c.GetProperty("y_pred"));
        var m = GradeMetrics.Compute(truth, pred);

        Near(c.GetProperty("macro_mae").GetDouble(), m.MacroMae, "macro_mae");
        var perClass = c.GetProperty("mae_per_class").EnumerateObject().ToDictionary(p => int.Parse(p.Name), p => p.Value.GetDouble());
        Assert.Equal(perClass.Keys.OrderBy(k => k), m.MaePerClass.Keys.OrderBy(k => k));
        foreach (var (k, v) in perClass) Near(v, m.MaePerClass[k], $"mae_per_class[{k}]");
        Near(c.GetProperty("mae").GetDouble(), m.Mae, "mae");
        Near(c.GetProperty("accuracy").GetDouble(), m.Accuracy, "accuracy");
        Near(Doubles(c.GetProperty("precision_per_class")), m.Report.Precision, "precision");
        Near(Doubles(c.GetProperty("recall_per_class")), m.Report.Recall, "recall");
        Near(Doubles(c.GetProperty("f1_per_class")), m.Report.F1, "f1");
        Assert.Equal(Ints(c.GetProperty("support")), m.Report.Support);
        Near(c.GetProperty("precision_weighted").GetDouble(), m.Report.PrecisionWeighted, "precision_weighted");
        Near(c.GetProperty("recall_weighted").GetDouble(), m.Report.RecallWeighted, "recall_weighted");
        Near(c.GetProperty("f1_weighted").GetDouble(), m.Report.F1Weighted, "f1_weighted");
        var confusion = c.GetProperty("confusion_matrix").EnumerateArray().Select(Ints).ToArray();
        Assert.Equal(confusion, m.Confusion.ToRows());
        Near(c.GetProperty("quadratic_weighted_kappa").GetDouble(), m.QuadraticKappa, "quadratic kappa");
        Near(c.GetProperty("linear_weighted_kappa").GetDouble(), m.LinearKappa, "linear kappa");
        Near(c.GetProperty("r2").GetDouble(), m.R2, "r2");

        foreach (var split in c.GetProperty("binary").EnumerateObject())
        {
            var mine = m.BinarySplits.Single(s => s.Name == split.Name);
            Assert.Equal(split.Value.GetProperty("threshold_grade").GetInt32(), mine.ThresholdGrade);
            Near(split.Value.GetProperty("precision_weighted").GetDouble(), mine.PrecisionWeighted, split.Name + " precision");
            Near(split.Value.GetProperty("recall_weighted").GetDouble(), mine.RecallWeighted, split.Name + " recall");
            Near(split.Value.GetProperty("f1_weighted").GetDouble(), mine.F1Weighted, split.Name + " f1");
        }

        if (c.TryGetProperty("proba", out var probaElement))
        {
            var proba = probaElement.EnumerateArray().Select(r => (IReadOnlyList<double>)Doubles(r)).ToArray();
            Near(c.GetProperty("roc_auc_ovr_macro").GetDouble(), Roc.AucOneVsRestMacro(truth, proba, 4), "roc_auc_ovr_macro");
            Near(Doubles(c.GetProperty("roc_auc_per_class")), Roc.AucPerClass(truth, proba, 4), "roc_auc_per_class");
        }
    }

    [SkippableFact]
    public void YoudenAndAucMatchScikitLearn()
    {
        var y = Fixture().GetProperty("youden");
        var scores = Doubles(y.GetProperty("scores"));
        var truth = Ints(y.GetProperty("truth"));
        Near(y.GetProperty("roc_auc").GetDouble(), Roc.Auc(truth, scores), "roc_auc");
        var cut = Roc.Youden(truth, scores);
        Near(y.GetProperty("max_youden_j").GetDouble(), cut.J, "max J");
        Assert.Equal(y.GetProperty("threshold_at_max_j_sklearn").GetDouble(), cut.Threshold);
        // The curve's best J agrees with the direct search.
        Near(cut.J, Roc.Curve(truth, scores).Max(p => p.YoudenJ), "curve J");
    }

    [SkippableFact]
    public void ClopperPearsonMatchesScipy()
    {
        foreach (var entry in Fixture().GetProperty("youden").GetProperty("clopper_pearson_95").EnumerateObject())
        {
            var parts = entry.Name.Split(',').Select(p => int.Parse(p.Split('=')[1])).ToArray();
            var expected = Doubles(entry.Value);
            var interval = ClopperPearson.Compute(parts[0], parts[1]);
            Near(expected[0], interval.Low, entry.Name + " low");
            Near(expected[1], interval.High, entry.Name + " high");
        }
    }
}
