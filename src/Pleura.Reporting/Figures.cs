using ScottPlot;

namespace Pleura.Reporting;

/// <summary>A saved figure: PNG and SVG files, and the PNG bytes for embedding.</summary>
public sealed record Figure(string Name, string PngPath, string SvgPath, byte[] Png, string Caption);

/// <summary>The report's charts, drawn with ScottPlot and saved as PNG and SVG.</summary>
public sealed partial class Figures(string folder)
{
    readonly List<Figure> _all = new();
    public IReadOnlyList<Figure> All => _all;

    Figure Save(Plot plot, string name, string caption, int width = 800, int height = 420)
    {
        Directory.CreateDirectory(folder);
        string png = Path.Combine(folder, name + ".png"), svg = Path.Combine(folder, name + ".svg");
        plot.SavePng(png, width, height);
        plot.SaveSvg(svg, width, height);
        var figure = new Figure(name, png, svg, File.ReadAllBytes(png), caption);
        _all.Add(figure);
        return figure;
    }

    /// <summary>Horizontal bars (one per label, first on top), optionally with error bars and a highlighted bar.</summary>
    public Figure Bars(string name, string caption, string axis, IReadOnlyList<string> labels, IReadOnlyList<double> values,
        IReadOnlyList<double>? errors = null, int highlight = -1)
    {
        var plot = new Plot();
        int n = labels.Count;
        var bars = new List<Bar>();
        for (int i = 0; i < n; i++)
            bars.Add(new Bar
            {
                Position = n - i, Value = values[i], Error = errors?[i] ?? 0,
                FillColor = i == highlight ? Colors.OrangeRed : Colors.SteelBlue, LineWidth = 0,
            });
        var series = plot.Add.Bars(bars);
        series.Horizontal = true;
        plot.Axes.Left.SetTicks(Enumerable.Range(0, n).Select(i => (double)(n - i)).ToArray(), labels.ToArray());
        plot.Axes.Left.MajorTickStyle.Length = 0;
        plot.XLabel(axis);
        plot.Axes.Margins(left: 0, right: 0.1, bottom: 0.02, top: 0.02);
        return Save(plot, name, caption, 900, Math.Max(220, 60 + 26 * n));
    }

    /// <summary>A k x k confusion matrix with counts in the cells (rows: truth, columns: prediction); classes are
    /// labelled by number (grades) unless <paramref name="labels"/> names them.</summary>
    public Figure Confusion(string name, string caption, int[,] counts, string truthLabel, string predictedLabel, IReadOnlyList<string>? labels = null)
    {
        var plot = new Plot();
        int k = counts.GetLength(0);
        double max = 1;
        foreach (var c in counts) max = Math.Max(max, c);
        // Drawn cell by cell: truth grade 0 on the top row as in a printed table, white (0) to dark blue (the largest count).
        for (int r = 0; r < k; r++)
            for (int c = 0; c < k; c++)
            {
                double share = counts[r, c] / max;
                double y = k - 1 - r;
                var cell = plot.Add.Rectangle(c - 0.5, c + 0.5, y - 0.5, y + 0.5);
                cell.FillColor = Color.FromARGB(0xFFFFFFFF).MixedWith(Colors.Navy, share);
                cell.LineColor = Colors.LightGray;
                var text = plot.Add.Text(counts[r, c].ToString(), c, y);
                text.LabelFontSize = 18;
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelFontColor = share > 0.55 ? Colors.White : Colors.Black;
            }
        var ticks = Enumerable.Range(0, k).Select(i => (double)i).ToArray();
        var names = labels?.ToArray() ?? ticks.Select(t => $"{t}").ToArray();
        plot.Axes.Bottom.SetTicks(ticks, names);
        plot.Axes.Left.SetTicks(ticks.Select(t => k - 1 - t).ToArray(), names);
        plot.XLabel(predictedLabel);
        plot.YLabel(truthLabel);
        plot.Axes.SetLimits(-0.5, k - 0.5, -0.5, k - 0.5);
        plot.HideGrid();
        return labels is null ? Save(plot, name, caption, 420, 400) : Save(plot, name, caption, 140 + 110 * k, 120 + 100 * k);
    }

    /// <summary>Lines with markers and error bars, one series per label (e.g. a learning curve per starting point).</summary>
    public Figure Curves(string name, string caption, string xAxis, string yAxis, IReadOnlyList<(string Label, double[] X, double[] Y, double[] Error)> series)
    {
        var plot = new Plot();
        foreach (var (label, x, y, error) in series)
        {
            var line = plot.Add.Scatter(x, y);
            line.LegendText = label;
            line.MarkerSize = 8;
            var bars = plot.Add.ErrorBar(x, y, error);
            bars.Color = line.Color;
        }
        plot.XLabel(xAxis);
        plot.YLabel(yAxis);
        plot.ShowLegend(Alignment.LowerRight);
        return Save(plot, name, caption, 640, 420);
    }

    /// <summary>Reliability diagram: mean confidence against accuracy per confidence bin, with the diagonal.</summary>
    public Figure Calibration(string name, string caption, IReadOnlyList<(string Label, IReadOnlyList<(double Confidence, bool Correct)> Points)> series, int bins = 10)
    {
        var plot = new Plot();
        var diagonal = plot.Add.Line(0, 0, 1, 1);
        diagonal.LineColor = Colors.Gray;
        diagonal.LinePattern = LinePattern.Dashed;
        foreach (var (label, points) in series)
        {
            var binned = points.GroupBy(p => Math.Min(bins - 1, (int)(p.Confidence * bins))).OrderBy(g => g.Key)
                .Select(g => (X: g.Average(p => p.Confidence), Y: g.Average(p => p.Correct ? 1.0 : 0.0))).ToList();
            if (binned.Count == 0) continue;
            var scatter = plot.Add.Scatter(binned.Select(b => b.X).ToArray(), binned.Select(b => b.Y).ToArray());
            scatter.LegendText = label;
            scatter.MarkerSize = 8;
        }
        plot.Axes.SetLimits(0, 1, 0, 1);
        plot.XLabel("confidence (probability of the predicted grade)");
        plot.YLabel("share correct");
        plot.ShowLegend(Alignment.UpperLeft);
        return Save(plot, name, caption, 520, 460);
    }

    /// <summary>Forest plot: one estimate with its interval per row, first row on top, and a reference line.</summary>
    public Figure Forest(string name, string caption, string axis, IReadOnlyList<string> labels, IReadOnlyList<double> values,
        IReadOnlyList<double?> lows, IReadOnlyList<double?> highs, double? reference = null)
    {
        var plot = new Plot();
        int n = labels.Count;
        for (int i = 0; i < n; i++)
        {
            double y = n - i;
            if (lows[i] is { } lo && highs[i] is { } hi)
            {
                var line = plot.Add.Line(lo, y, hi, y);
                line.LineWidth = 2;
                line.LineColor = Colors.SteelBlue;
            }
            var dot = plot.Add.Marker(values[i], y);
            dot.MarkerSize = 9;
            dot.Color = Colors.Navy;
        }
        if (reference is { } r)
        {
            var v = plot.Add.VerticalLine(r);
            v.LinePattern = LinePattern.Dashed;
            v.LineColor = Colors.Gray;
        }
        plot.Axes.Left.SetTicks(Enumerable.Range(0, n).Select(i => (double)(n - i)).ToArray(), labels.ToArray());
        plot.XLabel(axis);
        plot.Axes.SetLimitsY(0.4, n + 0.6);
        return Save(plot, name, caption, 900, Math.Max(220, 60 + 26 * n));
    }

    /// <summary>Stacked grade counts per part (one bar per part and side).</summary>
    public Figure GradeDistribution(string name, string caption, IReadOnlyList<string> labels, IReadOnlyList<int[]> counts)
    {
        var plot = new Plot();
        var palette = new[] { Colors.SeaGreen, Colors.Gold, Colors.DarkOrange, Colors.FireBrick };
        var bars = new List<Bar>();
        for (int i = 0; i < labels.Count; i++)
        {
            double bottom = 0;
            for (int g = 0; g < counts[i].Length; g++)
            {
                bars.Add(new Bar { Position = i, ValueBase = bottom, Value = bottom + counts[i][g], FillColor = palette[g % palette.Length], LineWidth = 0 });
                bottom += counts[i][g];
            }
        }
        plot.Add.Bars(bars);
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, labels.Count).Select(i => (double)i).ToArray(), labels.ToArray());
        plot.YLabel("images");
        for (int g = 0; g < palette.Length; g++) plot.Legend.ManualItems.Add(new LegendItem { LabelText = $"grade {g}", FillColor = palette[g] });
        plot.ShowLegend(Alignment.UpperRight);
        plot.Axes.Margins(bottom: 0);
        return Save(plot, name, caption, Math.Max(800, 110 * labels.Count), 440);
    }
}
