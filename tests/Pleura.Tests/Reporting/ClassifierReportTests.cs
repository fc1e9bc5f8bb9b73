using System.Globalization;
using System.Text.Json;
using Pleura.Evaluation;
using Pleura.Reporting;

namespace Pleura.Tests.Reporting;

public class ClassifierReportTests
{
    static readonly string[] Classes = { "covid", "normal", "bacterial" };

    /// <summary>Seeded three-class scores: the true class gets a head start of <paramref name="signal"/> before normalising.</summary>
    static ScoredImages Scores(int count, int seed, double signal)
    {
        var random = new Random(seed);
        var truth = Enumerable.Range(0, count).Select(i => i % 3).ToArray();
        var proba = truth.Select(t =>
        {
            var raw = Enumerable.Range(0, 3).Select(c => random.NextDouble() + (c == t ? signal : 0)).ToArray();
            return (IReadOnlyList<double>)raw.Select(v => v / raw.Sum()).ToArray();
        }).ToArray();
        return new ScoredImages(truth, proba, 3);
    }

    [Fact]
    public void ReportFilesHoldTheEvaluationsNumbers()
    {
        var validation = Scores(60, 1, 0.5);
        var test = Scores(90, 2, 0.5);
        var e = ClassifierEvaluation.Compute(Classes, validation, test);
        var better = Scores(90, 3, 1.5);
        var compared = new ComparedModel("whole image", "lungs", PairedClassifierComparison.Compare(Classes, test, better));
        using var folder = new TempFolder();
        var html = ClassifierReport.Write(folder.Path, "Pneumonia type", e, test, new[] { "Confound: covid images are adults." }, compared);

        // ROC CSV per class reproduces the curve, the first row being the +inf threshold.
        var roc = File.ReadAllLines(folder.File("roc_covid.csv"));
        Assert.Equal("threshold,false_positive_rate,true_positive_rate", roc[0]);
        Assert.Equal(e.PerClass[0].Curve.Count + 1, roc.Length);
        Assert.StartsWith("inf,0,0", roc[1]);
        var last = roc[^1].Split(',');
        Assert.Equal((1.0, 1.0), (double.Parse(last[1], CultureInfo.InvariantCulture), double.Parse(last[2], CultureInfo.InvariantCulture)));

        // metrics.csv: the AUC row carries the DeLong interval; the accuracy row the Clopper-Pearson interval and counts.
        var metrics = File.ReadAllLines(folder.File("metrics.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        var auc = metrics.Single(r => r[0] == "normal" && r[1] == "auc");
        Assert.Equal(e.PerClass[1].Auc.Auc, double.Parse(auc[2], CultureInfo.InvariantCulture));
        Assert.Equal(e.PerClass[1].Auc.Interval.Low, double.Parse(auc[3], CultureInfo.InvariantCulture));
        var accuracy = metrics.Single(r => r[0] == "all" && r[1] == "accuracy");
        Assert.Equal($"{e.Accuracy.Successes}/90", accuracy[5]);
        Assert.Equal(e.Accuracy.Interval.High, double.Parse(accuracy[4], CultureInfo.InvariantCulture));

        var json = JsonDocument.Parse(File.ReadAllText(folder.File("metrics.json"))).RootElement;
        Assert.Equal(e.PerClass[2].Sensitivity.Successes, json.GetProperty("perClass")[2].GetProperty("sensitivity").GetProperty("k").GetInt32());
        Assert.Equal(e.Confusion.ToRows()[1][2], json.GetProperty("confusion")[1][2].GetInt32());
        Assert.Equal("normal," + string.Join(",", e.Confusion.ToRows()[1]), File.ReadAllLines(folder.File("confusion.csv"))[2]);

        var comparison = File.ReadAllLines(folder.File("comparison.csv"));
        Assert.Equal(5, comparison.Length);
        Assert.Contains("accuracy_mcnemar_exact", comparison[^1]);

        var page = File.ReadAllText(html);
        Assert.Contains("Confound: covid images are adults.", page);
        Assert.Contains("Paired comparison: lungs against whole image", page);
        // ROC, three histograms and the confusion matrix, embedded and saved beside the report.
        Assert.Equal(5, page.Split("data:image/png;base64,").Length - 1);
        foreach (var name in new[] { "roc", "p_covid", "p_normal", "p_bacterial", "confusion" })
        {
            Assert.True(File.Exists(Path.Combine(folder.Path, "figures", name + ".png")), name);
            Assert.True(File.Exists(Path.Combine(folder.Path, "figures", name + ".svg")), name);
        }
    }

    [Fact]
    public void AnUndefinedIntervalIsWrittenAsBlankAndNull()
    {
        // One lateral test image: DeLong's variance is undefined, the AUC is not.
        ScoredImages Part(int[] truth, double[] p) => new(truth, p.Select(v => (IReadOnlyList<double>)new[] { 1 - v, v }).ToArray(), 2);
        var e = ClassifierEvaluation.Compute(new[] { "frontal", "lateral" }, Part(new[] { 0, 0, 1, 1 }, new[] { 0.1, 0.2, 0.7, 0.8 }),
            Part(new[] { 0, 0, 0, 1 }, new[] { 0.1, 0.5, 0.7, 0.6 }));
        using var folder = new TempFolder();
        ClassifierResultFiles.WriteMetrics(folder.File("metrics.csv"), folder.File("metrics.json"), e);
        var auc = JsonDocument.Parse(File.ReadAllText(folder.File("metrics.json"))).RootElement.GetProperty("perClass")[1].GetProperty("auc");
        Assert.Equal(JsonValueKind.Null, auc.GetProperty("low").ValueKind);
        Assert.Equal(2.0 / 3, auc.GetProperty("value").GetDouble(), 12);
        Assert.Contains(File.ReadAllLines(folder.File("metrics.csv")), l => l.StartsWith("lateral,auc,0.6666666666666666,,,", StringComparison.Ordinal));
    }

    [Fact]
    public void ClassNamesBecomeSafeFileNames()
    {
        Assert.Equal("AP_Supine", ClassifierResultFiles.FileSafe("AP Supine"));
        Assert.Equal("a_b_c", ClassifierResultFiles.FileSafe("a/b\\c"));
    }
}
