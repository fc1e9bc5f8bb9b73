using System.Globalization;
using System.Text;
using System.Text.Json;
using Pleura.Data;
using Pleura.Evaluation;
using Pleura.Files;

namespace Pleura.Reporting;

/// <summary>
/// A classifier run's results as files other tools read: a ROC curve CSV per class, the metrics as a long CSV (one row
/// per class and metric, with its interval) and as JSON, the confusion matrix, and a paired comparison. Written
/// atomically, so an interrupted run never leaves half a table.
/// </summary>
public static class ClassifierResultFiles
{
    /// <summary><c>roc_CLASS.csv</c> per class: threshold (the first row's is +inf: nothing positive), FPR, TPR.</summary>
    public static IReadOnlyList<string> WriteRocCurves(string folder, ClassifierEvaluation evaluation)
    {
        var paths = new List<string>();
        foreach (var c in evaluation.PerClass)
        {
            var path = Path.Combine(folder, $"roc_{FileSafe(c.Class)}.csv");
            CsvOutput.Write(path, ["threshold", "false_positive_rate", "true_positive_rate"], c.Curve.Select(p => new[]
            {
                double.IsPositiveInfinity(p.Threshold) ? "inf" : CsvText.Number(p.Threshold), CsvText.Number(p.FalsePositiveRate), CsvText.Number(p.TruePositiveRate),
            }));
            paths.Add(path);
        }
        return paths;
    }

    /// <summary>One row per (class, metric): value, interval, and the counts behind a proportion.</summary>
    public static IEnumerable<(string Class, string Metric, double Value, double Low, double High, string Counts)> Rows(ClassifierEvaluation e)
    {
        foreach (var c in e.PerClass)
        {
            yield return (c.Class, "auc", c.Auc.Auc, c.Auc.Interval.Low, c.Auc.Interval.High, $"{c.Auc.Positives} positive / {c.Auc.Negatives} negative");
            yield return (c.Class, "auc_standard_error", c.Auc.StandardError, double.NaN, double.NaN, "DeLong");
            yield return (c.Class, "cutoff", c.ValidationCutoff.Threshold, double.NaN, double.NaN, $"Youden J {c.ValidationCutoff.J.ToString("0.000", CultureInfo.InvariantCulture)} on validation");
            yield return Proportion(c.Class, "sensitivity", c.Sensitivity);
            yield return Proportion(c.Class, "specificity", c.Specificity);
            yield return Proportion(c.Class, "accuracy_at_cutoff", c.Accuracy);
        }
        yield return Proportion("all", "accuracy", e.Accuracy);
        yield return ("all", "macro_auc", e.MacroAuc, double.NaN, double.NaN, $"{e.Count} images");
    }

    static (string, string, double, double, double, string) Proportion(string cls, string metric, Proportion p) =>
        (cls, metric, p.Value, p.Interval.Low, p.Interval.High, $"{p.Successes}/{p.Trials}");

    public static void WriteMetrics(string csvPath, string jsonPath, ClassifierEvaluation e)
    {
        CsvOutput.Write(csvPath, ["class", "metric", "value", "low", "high", "counts"],
            Rows(e).Select(r => new[] { r.Class, r.Metric, CsvText.Number(r.Value), CsvText.Number(r.Low), CsvText.Number(r.High), r.Counts }));
        var json = new
        {
            classes = e.Classes,
            images = e.Count,
            accuracy = new { value = CsvText.OrNull(e.Accuracy.Value), low = CsvText.OrNull(e.Accuracy.Interval.Low), high = CsvText.OrNull(e.Accuracy.Interval.High), correct = e.Accuracy.Successes },
            macroAuc = CsvText.OrNull(e.MacroAuc),
            confusion = e.Confusion.ToRows(),
            perClass = e.PerClass.Select(c => new
            {
                @class = c.Class,
                // NaN (one test image of a class leaves DeLong's variance undefined) has no JSON number; null says so.
                auc = new { value = CsvText.OrNull(c.Auc.Auc), standardError = CsvText.OrNull(c.Auc.StandardError), low = CsvText.OrNull(c.Auc.Interval.Low),
                    high = CsvText.OrNull(c.Auc.Interval.High), method = "DeLong" },
                // +inf (nothing called positive) has no JSON number; null says the same.
                cutoff = double.IsInfinity(c.ValidationCutoff.Threshold) ? (double?)null : c.ValidationCutoff.Threshold,
                youdenJValidation = c.ValidationCutoff.J,
                counts = new { truePositives = c.TruePositives, falseNegatives = c.FalseNegatives, trueNegatives = c.TrueNegatives, falsePositives = c.FalsePositives },
                sensitivity = Json(c.Sensitivity),
                specificity = Json(c.Specificity),
                accuracyAtCutoff = Json(c.Accuracy),
            }),
        };
        AtomicFile.WriteAllText(jsonPath, JsonSerializer.Serialize(json, JsonText.Indented));
    }

    static object Json(Proportion p) => new { value = CsvText.OrNull(p.Value), low = CsvText.OrNull(p.Interval.Low), high = CsvText.OrNull(p.Interval.High), k = p.Successes, n = p.Trials };

    /// <summary>Rows: true class; columns: predicted class.</summary>
    public static void WriteConfusion(string path, ClassifierEvaluation e)
    {
        var rows = e.Confusion.ToRows();
        CsvOutput.Write(path, e.Classes.Prepend("true\\predicted"),
            rows.Select((counts, t) => counts.Select(n => n.ToString(CultureInfo.InvariantCulture)).Prepend(e.Classes[t])));
    }

    /// <summary>Per class the DeLong AUC difference (B − A) and the McNemar accuracy test as one row.</summary>
    public static void WriteComparison(string path, string nameA, string nameB, PairedClassifierComparison p)
    {
        var rows = new List<string[]>();
        for (int c = 0; c < p.Classes.Count; c++)
        {
            var d = p.AucPerClass[c];
            rows.Add([nameA, nameB, p.Classes[c], "auc_delong", CsvText.Number(d.AucA), CsvText.Number(d.AucB),
                CsvText.Number(d.Difference), CsvText.Number(d.Interval.Low), CsvText.Number(d.Interval.High), CsvText.Number(d.Z), CsvText.Number(d.P)]);
        }
        var m = p.Accuracy;
        rows.Add([nameA, nameB, "all", "accuracy_mcnemar_exact", CsvText.Number(p.AccuracyA.Value), CsvText.Number(p.AccuracyB.Value),
            CsvText.Number(p.AccuracyB.Value - p.AccuracyA.Value), "", "", $"{m.OnlyA}:{m.OnlyB}", CsvText.Number(m.P)]);
        CsvOutput.Write(path, ["model_a", "model_b", "class", "metric", "a", "b", "difference", "low", "high", "statistic", "p"], rows);
    }

    /// <summary>A class name as part of a file name (letters, digits, '-', '_'; anything else becomes '_').</summary>
    public static string FileSafe(string name) => new(name.Select(ch => char.IsLetterOrDigit(ch) || ch is '-' or '_' ? ch : '_').ToArray());
}
