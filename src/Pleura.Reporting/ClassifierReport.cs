using System.Globalization;
using Pleura.Evaluation;

namespace Pleura.Reporting;

/// <summary>A second model scored on the same test images, for the report's paired comparison.</summary>
public sealed record ComparedModel(string NameA, string NameB, PairedClassifierComparison Comparison);

/// <summary>
/// A classifier run's self-contained HTML report, in the study report's style (<see cref="Html"/>, figures embedded and
/// saved beside it as PNG and SVG), with every result file beside it: per class the ROC curve with the validation
/// operating point, AUC with its DeLong interval, sensitivity and specificity at the validation Youden cut-off with
/// Clopper-Pearson intervals, P(class) histograms per true class, the confusion matrix and accuracy, and optionally a
/// paired comparison with another model on the same images.
/// </summary>
public static class ClassifierReport
{
    /// <param name="notes">Caveats the reader must see beside the figures (e.g. a known confound of the data).</param>
    public static string Write(string folder, string title, ClassifierEvaluation evaluation, ScoredImages test,
        IReadOnlyList<string>? notes = null, ComparedModel? compared = null)
    {
        if (test.Count != evaluation.Count) throw new ArgumentException($"the evaluation has {evaluation.Count} test images but the scores {test.Count}");
        Directory.CreateDirectory(folder);
        ClassifierResultFiles.WriteRocCurves(folder, evaluation);
        ClassifierResultFiles.WriteMetrics(Path.Combine(folder, "metrics.csv"), Path.Combine(folder, "metrics.json"), evaluation);
        ClassifierResultFiles.WriteConfusion(Path.Combine(folder, "confusion.csv"), evaluation);
        if (compared is not null) ClassifierResultFiles.WriteComparison(Path.Combine(folder, "comparison.csv"), compared.NameA, compared.NameB, compared.Comparison);

        var figures = new Figures(Path.Combine(folder, "figures"));
        var html = new Html();
        var e = evaluation;
        html.Heading(title, 1);
        html.Paragraph($"Report written {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC. Test part: {e.Count} images of {e.Classes.Count} classes " +
                       $"({string.Join(", ", e.Classes.Select((c, i) => $"{c} {test.Truth.Count(t => t == i)}"))}).");
        foreach (var note in notes ?? Array.Empty<string>()) html.Note(note);

        html.Heading("Per class, one against the rest");
        html.Paragraph("AUC with DeLong's 95% interval. The cut-off on P(class) maximises Youden's J on the validation part and is applied " +
                       "unchanged to the test part; sensitivity, specificity and accuracy there with exact (Clopper-Pearson) 95% intervals.");
        html.Table(new[] { "class", "AUC [95% CI]", "cut-off (validation J)", "sensitivity [95% CI]", "specificity [95% CI]", "accuracy at cut-off [95% CI]" },
            e.PerClass.Select(c => (IReadOnlyList<string>)new[]
            {
                c.Class, $"{Html.Number(c.Auc.Auc)} [{Html.Number(c.Auc.Interval.Low)}, {Html.Number(c.Auc.Interval.High)}]",
                $"{Html.Number(c.ValidationCutoff.Threshold)} ({Html.Number(c.ValidationCutoff.J)})",
                Share(c.Sensitivity), Share(c.Specificity), Share(c.Accuracy),
            }));
        html.Figure(figures.RocCurves("roc", "ROC curves on the test part, one class against the rest; dots: the validation Youden cut-off's operating point on test.", e.PerClass));
        for (int c = 0; c < e.Classes.Count; c++)
            html.Figure(figures.ProbabilityHistogram($"p_{ClassifierResultFiles.FileSafe(e.Classes[c])}",
                $"P({e.Classes[c]}) on the test part by true class; dashed: the cut-off chosen on validation.", e.Classes, test, c, e.PerClass[c].ValidationCutoff.Threshold));

        html.Heading("Most probable class");
        html.Paragraph($"Accuracy {Share(e.Accuracy)}; macro AUC {Html.Number(e.MacroAuc)}.");
        html.Figure(figures.ConfusionByName("confusion", "Confusion matrix on the test part (rows: true class; columns: most probable class).", e.Confusion, e.Classes));

        if (compared is not null)
        {
            var p = compared.Comparison;
            html.Heading($"Paired comparison: {compared.NameB} against {compared.NameA}");
            html.Paragraph("The same test images scored by both models. AUC: DeLong's test of the difference (B − A) with its 95% interval. " +
                           "Accuracy: McNemar's exact test on the images where exactly one model is right.");
            html.Table(new[] { "class", compared.NameA, compared.NameB, "difference [95% CI]", "z", "p" },
                p.Classes.Select((name, c) => (IReadOnlyList<string>)new[]
                {
                    name, Html.Number(p.AucPerClass[c].AucA), Html.Number(p.AucPerClass[c].AucB),
                    $"{Html.Number(p.AucPerClass[c].Difference)} [{Html.Number(p.AucPerClass[c].Interval.Low)}, {Html.Number(p.AucPerClass[c].Interval.High)}]",
                    Html.Number(p.AucPerClass[c].Z, "0.00"), Html.Number(p.AucPerClass[c].P, "0.0000"),
                }));
            html.Paragraph($"Accuracy {Share(p.AccuracyA)} ({compared.NameA}) vs {Share(p.AccuracyB)} ({compared.NameB}); only {compared.NameA} right on " +
                           $"{p.Accuracy.OnlyA.ToString(CultureInfo.InvariantCulture)} images, only {compared.NameB} on {p.Accuracy.OnlyB.ToString(CultureInfo.InvariantCulture)}; " +
                           $"McNemar exact p = {Html.Number(p.Accuracy.P, "0.0000")}.");
        }
        var path = Path.Combine(folder, "report.html");
        Pleura.Files.AtomicFile.WriteAllText(path, html.Page(title));
        return path;
    }

    static string Share(Proportion p) => $"{Html.Number(p.Value)} [{Html.Number(p.Interval.Low)}, {Html.Number(p.Interval.High)}] ({p.Successes}/{p.Trials})";
}
