using System.Globalization;
using System.Text;
using Pleura.Data;
using Pleura.Datasets;
using Pleura.Evaluation;
using Pleura.Files;
using Pleura.Imaging;
using Pleura.Phantoms;
using Pleura.Training;

namespace Pleura.Grading;

/// <summary>Settings of the embedded-default run. The defaults finish in a few minutes on two CPU cores.</summary>
public sealed record DemoOptions
{
    public int Images { get; init; } = 800;
    public int Size { get; init; } = 128;
    public int Seed { get; init; } = 1;
    public int BootstrapIterations { get; init; } = 1000;

    /// <summary>A small ResNet trained from scratch: no pretrained weights can be downloaded here.</summary>
    public TrainingConfig Training { get; init; } = new()
    {
        Architecture = "resnet10-w32",
        ImageSize = 128,
        InputChannels = 1,
        BatchSize = 32,
        Stage1Epochs = 2,
        Stage2Epochs = 25,
        Stage1LearningRate = 3e-3,
        Stage2LearningRate = 1e-3,
        UnfreezeConvLayers = -1,
    };
}

/// <summary>One row of the run's metrics: which set, side and comparison, and the figure with its interval.</summary>
public sealed record RunMetric(string Set, string Side, string Comparison, MetricValue Metric);

/// <summary>What the demo produced.</summary>
public sealed record DemoResult(IReadOnlyList<RunMetric> Metrics, IReadOnlyList<SideOutcome> Models, PrecisionAgreement Bf16, ExplanationSummary Heatmaps);

/// <summary>
/// The main job on data it makes itself: phantoms, manifest validation, a patient-level split, one model per lung
/// trained with the two-stage recipe, then every METHOD section 7 metric on fold 1's test part and on the OOB set for
/// the model against reader 1 and reader 2, reader 2 against reader 1 (the human benchmark) and the global-intensity
/// baseline (the bar a model must clear), and the agreement of bfloat16 with float32 inference.
/// </summary>
public static class DemoRun
{
    public const string ModelVsReader1 = Pleura.Store.ResultComparisons.ModelVsReader1, ModelVsReader2 = Pleura.Store.ResultComparisons.ModelVsReader2,
        Reader2VsReader1 = Pleura.Store.ResultComparisons.Reader2VsReader1, BaselineVsReader1 = "baseline_vs_reader1";

    public static DemoResult Run(DemoOptions options, string runFolder, Action<string>? log = null, Action<int>? generation = null,
        Action<Side, TrainingProgress>? training = null, CancellationToken cancel = default)
    {
        log ??= _ => { };
        Claim(runFolder, options);
        var dataFolder = Path.Combine(runFolder, "data");
        var manifest = PhantomDataset.Generate(new PhantomOptions { Count = options.Images, Size = options.Size, Seed = options.Seed }, dataFolder, generation);
        var manifestPath = Path.Combine(dataFolder, "manifest.csv");
        log($"{manifest.Rows.Count} phantoms written to {dataFolder}");

        var report = ManifestValidator.Validate(manifest);
        report.WriteCsv(Path.Combine(runFolder, "validation.csv"));
        if (!report.IsValid) throw new InvalidDataException($"the generated manifest has {report.ErrorCount} problem(s); see validation.csv");

        var plan = PatientSplitter.Split(manifest, new SplitOptions { Seed = options.Seed });
        var splitPath = Path.Combine(runFolder, "split.json");
        plan.Save(splitPath);
        log($"split: {plan.Images(SplitPart.Train).Count} train, {plan.Images(SplitPart.Validation).Count} validation, " +
            $"{plan.Images(SplitPart.Test).Count} test images in fold 1; {plan.Images(SplitPart.OutOfBox).Count} out-of-box");

        var metrics = new List<RunMetric>();
        var rows = manifest.Rows.ToDictionary(r => r.ImageId);
        int Grade(string id, string column) => Manifest.Grade(rows[id], column) ?? throw new InvalidDataException($"{id}: no {column}");
        void Score(string set, Side side, string comparison, int[] truth, int[] predicted, IReadOnlyList<IReadOnlyList<double>>? probabilities = null) =>
            metrics.AddRange(MetricTable.Score(truth, predicted, probabilities, OpacityGrade.Count, options.BootstrapIterations, options.Seed).Select(m => new RunMetric(set, side.Name, comparison, m)));

        BaselineAndReaders(manifest, plan, Grade, Score);

        var models = GradingRun.Train(new GradingJob
        {
            ManifestPath = manifestPath, SplitPath = splitPath, RunFolder = runFolder, Training = options.Training with { Seed = options.Seed },
        }, log, training, cancel: cancel);

        var predictions = new List<GradePrediction>();
        PrecisionAgreement? agreement = null;
        foreach (var (set, part) in new[] { ("test", SplitPart.Test), ("oob", SplitPart.OutOfBox) })
        {
            var (_, found, _) = CheckpointEvaluation.Evaluate(runFolder, manifestPath, splitPath, part, 1, bootstrapIterations: 0);
            predictions.AddRange(found);
            foreach (var side in Side.Both)
            {
                var mine = found.Where(p => p.Side == side.Name).ToList();
                var probabilities = mine.Select(p => (IReadOnlyList<double>)p.Probabilities.Select(v => (double)v).ToArray()).ToList();
                var predicted = mine.Select(p => p.Predicted).ToArray();
                Score(set, side, ModelVsReader1, mine.Select(p => Grade(p.ImageId, side.Reader1Column)).ToArray(), predicted, probabilities);
                Score(set, side, ModelVsReader2, mine.Select(p => Grade(p.ImageId, side.Reader2Column)).ToArray(), predicted, probabilities);
            }
            if (part == SplitPart.OutOfBox)
            {
                var (_, bf16, _) = CheckpointEvaluation.Evaluate(runFolder, manifestPath, splitPath, part, 1, bfloat16: true, bootstrapIterations: 0);
                agreement = PrecisionAgreement.Of(found, bf16, "OOB set");
                PrecisionCheck.Write(runFolder, agreement); // what `--precision auto` reads when the demo's run is served
            }
        }
        CheckpointEvaluation.WritePredictions(Path.Combine(runFolder, "predictions.csv"), predictions);
        WriteMetrics(metrics, Path.Combine(runFolder, "metrics.csv"));
        // Heatmaps of the OOB set with overlays and the agreement matrix (METHOD section 8), against the phantoms' true lung masks.
        var (_, heatmaps) = Explanation.Run(runFolder, manifestPath, splitPath, SplitPart.OutOfBox, 1, Path.Combine(runFolder, "explain"));
        var result = new DemoResult(metrics, models, agreement!, heatmaps);
        WriteReport(result, options, Path.Combine(runFolder, "report.md"));
        return result;
    }

    const string RecordFile = "demo.json";

    /// <summary>
    /// A demo folder resumes only the demo that made it: another folder (a training run, a user's data) or a demo with
    /// other settings is refused before anything is written there.
    /// </summary>
    static void Claim(string runFolder, DemoOptions options)
    {
        var record = Path.Combine(runFolder, RecordFile);
        var settings = System.Text.Json.JsonSerializer.Serialize(options, JsonText.Indented);
        if (Directory.Exists(runFolder) && Directory.EnumerateFileSystemEntries(runFolder).Any())
        {
            // Demo folders written before the record existed are recognised by their generated data.
            bool olderDemo = !File.Exists(record) && File.Exists(Path.Combine(runFolder, "data", "manifest.csv")) && File.Exists(Path.Combine(runFolder, "split.json"));
            if (!File.Exists(record) && !olderDemo)
                throw new InvalidDataException($"{runFolder} is not empty and is not a demo run folder; choose another --out (nothing was written)");
            if (File.Exists(record) && File.ReadAllText(record) != settings)
                throw new InvalidDataException($"{runFolder} holds a demo run with other settings (see its {RecordFile}); give the same settings to resume it, " +
                                               "or choose another --out (nothing was written)");
        }
        AtomicFile.WriteAllText(record, settings);
    }

    /// <summary>Reader 2 against reader 1, and the global-intensity baseline fitted on fold 1's training part.</summary>
    static void BaselineAndReaders(Manifest manifest, SplitPlan plan, Func<string, string, int> grade,
        Action<string, Side, string, int[], int[], IReadOnlyList<IReadOnlyList<double>>?> score)
    {
        var batch = ImageBatch.Read(manifest.Rows.Select(manifest.ResolvePath).ToList(), RadiographReader.Read, ErrorPolicy.Strict);
        var features = manifest.Rows.Select((r, i) => (r.ImageId, F: GlobalIntensityBaseline.Features(batch.Images[i]!.Pixels))).ToDictionary(x => x.ImageId, x => x.F);
        foreach (var side in Side.Both)
        {
            var train = plan.Images(SplitPart.Train);
            var baseline = GlobalIntensityBaseline.Fit(train.Select(id => features[id]).ToList(), train.Select(id => grade(id, side.Reader1Column)).ToList());
            foreach (var (set, part) in new[] { ("test", SplitPart.Test), ("oob", SplitPart.OutOfBox) })
            {
                var ids = plan.Images(part);
                var reader1 = ids.Select(id => grade(id, side.Reader1Column)).ToArray();
                score(set, side, BaselineVsReader1, reader1, ids.Select(id => baseline.Predict(features[id])).ToArray(), null);
                score(set, side, Reader2VsReader1, reader1, ids.Select(id => grade(id, side.Reader2Column)).ToArray(), null);
            }
        }
    }

    /// <summary>The sets and comparisons the demo scores, in the order its tables show them.</summary>
    public static readonly IReadOnlyList<string> Sets = new[] { "test", "oob" };
    public static readonly IReadOnlyList<string> Comparisons = new[] { ModelVsReader1, ModelVsReader2, Reader2VsReader1, BaselineVsReader1 };

    public static string SetLabel(string set) => set == "oob" ? "OOB" : "fold-1 test";

    public static string ComparisonLabel(string comparison) => comparison switch
    {
        ModelVsReader1 => "model vs reader 1",
        ModelVsReader2 => "model vs reader 2",
        Reader2VsReader1 => "reader 2 vs reader 1",
        BaselineVsReader1 => "intensity baseline vs reader 1",
        _ => comparison,
    };

    static string Interval(MetricValue m) => double.IsNaN(m.Value) ? "n/a"
        : double.IsNaN(m.Low) ? m.Value.ToString("0.000", CultureInfo.InvariantCulture)
        : string.Create(CultureInfo.InvariantCulture, $"{m.Value:0.000} [{m.Low:0.000}, {m.High:0.000}]");

    /// <summary>Mean over the two sides of one metric for one set and comparison (METHOD: "averaged over left and right").</summary>
    public static double SideAverage(IEnumerable<RunMetric> metrics, string set, string comparison, string metric) =>
        metrics.Where(m => m.Set == set && m.Comparison == comparison && m.Metric.Name == metric).Average(m => m.Metric.Value);

    static void WriteMetrics(IEnumerable<RunMetric> metrics, string path)
    {
        CsvOutput.Write(path, ["set", "side", "comparison", "metric", "value", "ci_low", "ci_high"],
            metrics.Select(m => new[] { m.Set, m.Side, m.Comparison, m.Metric.Name, CsvText.Number(m.Metric.Value), CsvText.Number(m.Metric.Low), CsvText.Number(m.Metric.High) }));
    }

    static void WriteReport(DemoResult result, DemoOptions options, string path)
    {
        var text = new StringBuilder();
        text.AppendLine("# Pleura demo: per-lung opacity grading on phantoms");
        text.AppendLine();
        text.AppendLine($"{options.Images} phantoms ({options.Size}x{options.Size}, seed {options.Seed}); fold 1 of a patient-level split (split.json); " +
                        $"{options.Training.Architecture} trained from scratch, input {options.Training.ImageSize}x{options.Training.ImageSize}.");
        text.AppendLine();
        text.AppendLine("| set | comparison | macro MAE | MAE | weighted F1 | quadratic kappa | R² |");
        text.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var set in Sets)
            foreach (var comparison in Comparisons)
            {
                string Cell(string metric) => SideAverage(result.Metrics, set, comparison, metric).ToString("0.000", CultureInfo.InvariantCulture);
                text.AppendLine($"| {SetLabel(set)} | {ComparisonLabel(comparison)} | {Cell(MetricTable.MacroMae)} | {Cell(MetricTable.Mae)} | " +
                                $"{Cell(MetricTable.F1Weighted)} | {Cell(MetricTable.QuadraticKappa)} | {Cell(MetricTable.R2)} |");
            }
        text.AppendLine();
        text.AppendLine("Figures above are the mean of the left and right lungs (METHOD: \"averaged over left and right\"). Per lung, with 95% bootstrap " +
                        "intervals over images (every metric is in metrics.csv):");
        text.AppendLine();
        text.AppendLine("| set | comparison | lung | macro MAE [95% CI] | quadratic kappa [95% CI] |");
        text.AppendLine("|---|---|---|---|---|");
        foreach (var set in Sets)
            foreach (var comparison in Comparisons)
                foreach (var side in Side.Both)
                {
                    string Cell(string metric) => result.Metrics.FirstOrDefault(m => m.Set == set && m.Comparison == comparison && m.Side == side.Name && m.Metric.Name == metric)
                        is { } m ? Interval(m.Metric) : "n/a";
                    text.AppendLine($"| {SetLabel(set)} | {ComparisonLabel(comparison)} | {side.Name} | {Cell(MetricTable.MacroMae)} | {Cell(MetricTable.QuadraticKappa)} |");
                }
        text.AppendLine();
        text.AppendLine("Sets: *fold-1 test* is the test part of fold 1 of the patient-level split; *OOB* is the out-of-box set, patients held out of " +
                        "every fold. Comparisons: *model vs reader 1* scores the model against the reference reader it learnt from; *model vs reader 2* " +
                        "against the second reader; *reader 2 vs reader 1* is the human benchmark; *intensity baseline vs reader 1* is a ridge fit on " +
                        "global intensity features, the bar a model must clear. Macro MAE and MAE: lower is better (0 is perfect, a constant guess " +
                        "scores 1.0-1.25); weighted F1, kappa and R²: higher is better.");
        text.AppendLine();
        text.AppendLine("| lung | training images | epochs (stage 1 + stage 2) | how training ended |");
        text.AppendLine("|---|---|---|---|");
        foreach (var m in result.Models)
        {
            int Epochs(int stage) => m.Training.History.Count(h => h.Stage == stage);
            text.AppendLine($"| {m.Side.Name} | {m.TrainImages} | {Epochs(1)} + {Epochs(2)} | {m.Training.StopReason} |");
        }
        text.AppendLine();
        text.AppendLine($"bfloat16 against float32 inference on the OOB set: same grade for {result.Bf16.SameGrade:P1} of {result.Bf16.Lungs} lungs, " +
                        $"largest probability difference {result.Bf16.MaxProbabilityDifference:0.0000}.");
        text.AppendLine();
        text.AppendLine($"Grad-CAM heatmaps on the OOB set ({result.Heatmaps.Images} images; overlays and matrix.png in explain/): HCS {result.Heatmaps.MeanHcs:0.000}, " +
                        $"MA-HCS {result.Heatmaps.MaHcs:0.000}, count form {result.Heatmaps.MeanHcsCount:0.000}, share of attention on the true opacity {result.Heatmaps.MeanOpacityConcordance:0.000}.");
        AtomicFile.WriteAllText(path, text.ToString());
    }
}
