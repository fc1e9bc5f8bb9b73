namespace Pleura.Benchmarks;

/// <summary>
/// One figure over the runs: Pleura's median, PyTorch's median (each run's faster layout), and the median of the
/// per-run ratios (each ratio from one run, so both sides of it saw the same machine that day).
/// </summary>
/// <param name="PyTorchLayout">The layout PyTorch was faster in: "cl" (channels-last), "nchw", or "mixed" when the runs disagree.</param>
public sealed record ComparedFigure(double Pleura, double PyTorch, string PyTorchLayout, double Ratio);

/// <summary>A network's row of `pleura bench models`.</summary>
/// <param name="Bf16InferenceSpeedUp">bfloat16 over float32 inference, the median of the per-run ratios (NaN when not measured).</param>
public sealed record ModelComparisonRow(string Architecture, int Runs, ComparedFigure Inference, ComparedFigure Training, ComparedFigure Stage1,
    ComparedFigure Stage2, double Bf16InferenceSpeedUp, double Bf16TrainingSpeedUp, double PeakResidentMegabytes);

public static class ModelComparison
{
    /// <summary>The rows, in the order of the first run; a run without PyTorch figures for a network leaves its PyTorch columns NaN.</summary>
    public static IReadOnlyList<ModelComparisonRow> Of(IReadOnlyList<IReadOnlyList<ModelThroughput>> pleura, IReadOnlyList<IReadOnlyDictionary<string, PyTorchThroughput>> pytorch)
    {
        ArgumentNullException.ThrowIfNull(pleura);
        ArgumentNullException.ThrowIfNull(pytorch);
        if (pleura.Count == 0) return Array.Empty<ModelComparisonRow>();
        return pleura[0].Select(first =>
        {
            var runs = pleura.Select((run, i) => (Ours: run.Single(r => r.Architecture == first.Architecture),
                Theirs: i < pytorch.Count ? pytorch[i].GetValueOrDefault(first.Architecture) : null)).ToList();
            ComparedFigure Figure(Func<ModelThroughput, double> ours, Func<PyTorchFigures, double> theirs)
            {
                var best = runs.Where(r => r.Theirs is not null).Select(r => (r.Ours, Best: r.Theirs!.Best(theirs))).ToList();
                var layouts = best.Select(b => b.Best.Layout).Distinct().ToList();
                return new ComparedFigure(Median(runs.Select(r => ours(r.Ours))), Median(best.Select(b => b.Best.Value)),
                    layouts.Count switch { 0 => "", 1 => layouts[0], _ => "mixed" }, Median(best.Select(b => ours(b.Ours) / b.Best.Value)));
            }
            return new ModelComparisonRow(first.Architecture, runs.Count,
                Figure(r => r.InferencePerSecond, t => t.Inference), Figure(r => r.TrainingPerSecond, t => t.Training),
                Figure(r => r.Stage1PerSecond, t => t.Stage1), Figure(r => r.Stage2PerSecond, t => t.Stage2),
                Median(runs.Select(r => r.Ours.Bf16InferencePerSecond / r.Ours.InferencePerSecond)),
                Median(runs.Select(r => r.Ours.Bf16TrainingPerSecond / r.Ours.TrainingPerSecond)),
                runs.Max(r => r.Ours.PeakResidentMegabytes));
        }).ToList();
    }

    /// <summary>The middle value (the mean of the two middle ones for an even count), NaN values left out; NaN when none is left.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToList();
        if (sorted.Count == 0) return double.NaN;
        int middle = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
