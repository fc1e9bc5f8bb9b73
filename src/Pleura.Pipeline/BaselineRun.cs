using System.Globalization;
using System.Text;
using Pleura.Data;
using Pleura.Evaluation;
using Pleura.Imaging;
using Pleura.Phantoms;

namespace Pleura.Pipeline;

/// <summary>Settings of the embedded-default run.</summary>
public sealed record BaselineRunOptions
{
    public int Images { get; init; } = 400;
    public int Size { get; init; } = 128;
    public int Seed { get; init; } = 1;
    public int BootstrapIterations { get; init; } = 1000;
}

/// <summary>One row of the run's metrics: which set, side and comparison, and the figure with its interval.</summary>
public sealed record RunMetric(string Set, string Side, string Comparison, MetricValue Metric);

/// <summary>
/// The embedded-default job, end to end on data it makes itself: phantoms, manifest validation, a patient-level
/// split, the global-intensity baseline per lung (fitted on fold 1's training part), and every METHOD section 7
/// metric on fold 1's test part and on the OOB set, beside reader 2 against reader 1 (the human benchmark).
/// The baseline is the bar that trained models must clear.
/// </summary>
public static class BaselineRun
{
    public static IReadOnlyList<RunMetric> Run(BaselineRunOptions options, string runFolder, Action<string>? log = null, Action<int>? progress = null)
    {
        log ??= _ => { };
        Directory.CreateDirectory(runFolder);
        var dataFolder = Path.Combine(runFolder, "data");
        var manifest = PhantomDataset.Generate(new PhantomOptions { Count = options.Images, Size = options.Size, Seed = options.Seed }, dataFolder, progress);
        log($"{manifest.Rows.Count} phantoms written to {dataFolder}");

        var report = ManifestValidator.Validate(manifest);
        report.WriteCsv(Path.Combine(runFolder, "validation.csv"));
        if (!report.IsValid) throw new InvalidDataException($"the generated manifest has {report.ErrorCount} problem(s); see validation.csv");

        var plan = PatientSplitter.Split(manifest, new SplitOptions { Seed = options.Seed });
        plan.Save(Path.Combine(runFolder, "split.json"));
        log($"split: {plan.Images(SplitPart.Train).Count} train, {plan.Images(SplitPart.Validation).Count} validation, " +
            $"{plan.Images(SplitPart.Test).Count} test images in fold 1; {plan.Images(SplitPart.OutOfBox).Count} out-of-box");

        var batch = ImageBatch.Read(manifest.Rows.Select(manifest.ResolvePath).ToList(), RadiographReader.Read, ErrorPolicy.Strict);
        var features = manifest.Rows.Select((r, i) => (r.ImageId, F: GlobalIntensityBaseline.Features(batch.Images[i]!.Pixels)))
            .ToDictionary(x => x.ImageId, x => x.F);
        var rows = manifest.Rows.ToDictionary(r => r.ImageId);

        var metrics = new List<RunMetric>();
        var predictions = new StringBuilder("image_id,set,side,reader1,reader2,baseline\n");
        foreach (var side in Side.Both)
        {
            int Grade(string id, string column) => Manifest.Grade(rows[id], column) ?? throw new InvalidDataException($"{id}: no {column}");
            var train = plan.Images(SplitPart.Train);
            var baseline = GlobalIntensityBaseline.Fit(train.Select(id => features[id]).ToList(), train.Select(id => Grade(id, side.Reader1Column)).ToList());
            foreach (var (setName, part) in new[] { ("test", SplitPart.Test), ("oob", SplitPart.OutOfBox) })
            {
                var ids = plan.Images(part);
                var r1 = ids.Select(id => Grade(id, side.Reader1Column)).ToArray();
                var r2 = ids.Select(id => Grade(id, side.Reader2Column)).ToArray();
                var predicted = ids.Select(id => baseline.Predict(features[id])).ToArray();
                for (int i = 0; i < ids.Count; i++)
                    predictions.AppendLine(string.Join(',', ids[i], setName, side.Name, r1[i], r2[i], predicted[i]));
                metrics.AddRange(MetricTable.Score(r1, predicted, null, 4, options.BootstrapIterations, options.Seed)
                    .Select(m => new RunMetric(setName, side.Name, "baseline_vs_reader1", m)));
                metrics.AddRange(MetricTable.Score(r1, r2, null, 4, options.BootstrapIterations, options.Seed)
                    .Select(m => new RunMetric(setName, side.Name, "reader2_vs_reader1", m)));
            }
        }
        File.WriteAllText(Path.Combine(runFolder, "predictions.csv"), predictions.ToString());
        WriteMetrics(metrics, Path.Combine(runFolder, "metrics.csv"));
        WriteSummary(metrics, options, Path.Combine(runFolder, "report.md"));
        return metrics;
    }

    /// <summary>Mean over the two sides of one metric for one set and comparison (METHOD: "averaged over left and right").</summary>
    public static double SideAverage(IEnumerable<RunMetric> metrics, string set, string comparison, string metric) =>
        metrics.Where(m => m.Set == set && m.Comparison == comparison && m.Metric.Name == metric).Average(m => m.Metric.Value);

    static void WriteMetrics(IEnumerable<RunMetric> metrics, string path)
    {
        static string F(double v) => double.IsNaN(v) ? "" : v.ToString("R", CultureInfo.InvariantCulture);
        var text = new StringBuilder("set,side,comparison,metric,value,ci_low,ci_high\n");
        foreach (var m in metrics)
            text.AppendLine(string.Join(',', m.Set, m.Side, m.Comparison, m.Metric.Name, F(m.Metric.Value), F(m.Metric.Low), F(m.Metric.High)));
        File.WriteAllText(path, text.ToString());
    }

    static void WriteSummary(IReadOnlyList<RunMetric> metrics, BaselineRunOptions options, string path)
    {
        var text = new StringBuilder();
        text.AppendLine("# Pleura run: global-intensity baseline on phantoms");
        text.AppendLine();
        text.AppendLine($"{options.Images} phantoms, {options.Size}x{options.Size}, seed {options.Seed}. Fold 1 of a patient-level split (split.json).");
        text.AppendLine();
        text.AppendLine("| set | comparison | macro MAE (mean of sides) | weighted F1 | quadratic kappa |");
        text.AppendLine("|---|---|---|---|---|");
        foreach (var set in new[] { "test", "oob" })
            foreach (var comparison in new[] { "baseline_vs_reader1", "reader2_vs_reader1" })
                text.AppendLine($"| {set} | {comparison} | {SideAverage(metrics, set, comparison, "macro_mae"):0.000} | " +
                                $"{SideAverage(metrics, set, comparison, "f1_weighted"):0.000} | {SideAverage(metrics, set, comparison, "quadratic_weighted_kappa"):0.000} |");
        text.AppendLine();
        text.AppendLine("metrics.csv holds every metric per side with 95% bootstrap intervals; predictions.csv every prediction.");
        File.WriteAllText(path, text.ToString());
    }
}
