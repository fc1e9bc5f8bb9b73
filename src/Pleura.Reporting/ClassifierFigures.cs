using Pleura.Evaluation;
using ScottPlot;

namespace Pleura.Reporting;

/// <summary>The figures of a classifier run: ROC curves, P(class) histograms per true class, a named confusion matrix.</summary>
public sealed partial class Figures
{
    static readonly Color[] ClassPalette = { Colors.SteelBlue, Colors.DarkOrange, Colors.SeaGreen, Colors.Crimson, Colors.MediumPurple, Colors.SaddleBrown };

    /// <summary>
    /// One-vs-rest ROC curve per class on the test part, each with its operating point at the validation Youden cut-off
    /// (a filled circle: where the classifier actually runs, which a test-chosen point would flatter).
    /// </summary>
    public Figure RocCurves(string name, string caption, IReadOnlyList<OneVsRestResult> classes)
    {
        var plot = new Plot();
        var chance = plot.Add.Line(0, 0, 1, 1);
        chance.LineColor = Colors.Gray;
        chance.LinePattern = LinePattern.Dashed;
        for (int c = 0; c < classes.Count; c++)
        {
            var r = classes[c];
            var colour = ClassPalette[c % ClassPalette.Length];
            var curve = plot.Add.Scatter(r.Curve.Select(p => p.FalsePositiveRate).ToArray(), r.Curve.Select(p => p.TruePositiveRate).ToArray());
            curve.Color = colour;
            curve.MarkerSize = 0;
            curve.LineWidth = 2;
            curve.LegendText = $"{r.Class}: AUC {r.Auc.Auc:0.000} [{r.Auc.Interval.Low:0.000}, {r.Auc.Interval.High:0.000}]";
            var (fpr, tpr) = r.OperatingPoint;
            if (!double.IsNaN(fpr) && !double.IsNaN(tpr))
            {
                var point = plot.Add.Marker(fpr, tpr);
                point.Color = colour;
                point.MarkerSize = 11;
                point.MarkerShape = MarkerShape.FilledCircle;
            }
        }
        plot.Axes.SetLimits(-0.01, 1.01, -0.01, 1.01);
        plot.XLabel("1 − specificity (false-positive rate)");
        plot.YLabel("sensitivity");
        plot.ShowLegend(Alignment.LowerRight);
        return Save(plot, name, caption, 560, 520);
    }

    /// <summary>Histogram of P(class <paramref name="c"/>) on the test part, one outline per true class, with the cut-off.</summary>
    public Figure ProbabilityHistogram(string name, string caption, IReadOnlyList<string> classNames, ScoredImages test, int c, double? cutoff, int bins = 20)
    {
        var plot = new Plot();
        var scores = test.Scores(c);
        double width = 1.0 / bins;
        for (int t = 0; t < classNames.Count; t++)
        {
            var counts = new double[bins];
            for (int i = 0; i < scores.Length; i++)
                if (test.Truth[i] == t) counts[Math.Clamp((int)(scores[i] * bins), 0, bins - 1)]++;
            if (counts.Sum() == 0) continue;
            // A step outline per true class: overlapping classes stay readable where filled bars would hide each other.
            var xs = Enumerable.Range(0, bins + 1).Select(b => b * width).ToArray();
            var ys = counts.Append(counts[^1]).ToArray();
            var line = plot.Add.Scatter(xs, ys);
            line.ConnectStyle = ConnectStyle.StepHorizontal;
            line.Color = ClassPalette[t % ClassPalette.Length];
            line.LineWidth = 2;
            line.MarkerSize = 0;
            line.LegendText = $"true {classNames[t]} ({test.Truth.Count(x => x == t)})";
        }
        if (cutoff is { } cut && !double.IsInfinity(cut))
        {
            var v = plot.Add.VerticalLine(cut);
            v.LinePattern = LinePattern.Dashed;
            v.LineColor = Colors.Black;
            v.LegendText = $"cut-off {cut:0.000} (validation)";
        }
        plot.XLabel($"P({classNames[c]})");
        plot.YLabel("images");
        plot.Axes.SetLimitsX(0, 1);
        plot.Axes.Margins(bottom: 0);
        plot.ShowLegend(Alignment.UpperCenter);
        return Save(plot, name, caption, 640, 380);
    }

    /// <summary>A confusion matrix with class names (rows: truth, top row first; columns: the most probable class).</summary>
    public Figure ConfusionByName(string name, string caption, ConfusionMatrix confusion, IReadOnlyList<string> classNames)
    {
        var counts = new int[confusion.ClassCount, confusion.ClassCount];
        for (int r = 0; r < confusion.ClassCount; r++) for (int c = 0; c < confusion.ClassCount; c++) counts[r, c] = confusion[r, c];
        return Confusion(name, caption, counts, "true class", "predicted (most probable class)", classNames);
    }
}
