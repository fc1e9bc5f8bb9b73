using System.Globalization;
using System.Text;
using Pleura.Data;
using Pleura.Datasets;
using Pleura.Evaluation;
using Pleura.Imaging;
using Pleura.Networks;
using Pleura.Networks.Weights;
using Pleura.Training;

namespace Pleura.Transfer;

/// <summary>
/// Does a pretrained backbone beat random initialisation on a task? The same network, settings and seeds are trained
/// from both starts on the same patient-level splits, for several training-set sizes (a learning curve) and repeats
/// (different splits), and scored on each split's untouched test part.
/// </summary>
public sealed record TransferComparisonJob
{
    /// <summary>The target task.</summary>
    public required LabelledInput Input { get; init; }
    /// <summary>The pretrained backbone (a Pleura safetensors checkpoint, e.g. from `pleura pretrain`).</summary>
    public required string Pretrained { get; init; }
    /// <summary>Folder for the training runs (each resumable) and the result tables.</summary>
    public required string Output { get; init; }
    /// <summary>Training images per class for each point of the learning curve; 0 = every training image.</summary>
    public IReadOnlyList<int> TrainSizes { get; init; } = new[] { 0 };
    /// <summary>Splits (each with its own seed) per point.</summary>
    public int Repeats { get; init; } = 5;
    public double ValidationFraction { get; init; } = 0.15;
    public double TestFraction { get; init; } = 0.25;
    /// <summary>The recipe both starts follow (architecture and input channels are the pretrained checkpoint's).</summary>
    public TrainingConfig Training { get; init; } = new() { Stage1Epochs = 5, Stage2Epochs = 20, UnfreezeConvLayers = -1, Stage2LearningRate = 3e-4 };

    public void Check()
    {
        Training.Check();
        if (Repeats < 2) throw new ArgumentOutOfRangeException(nameof(Repeats), Repeats, "at least two repeats (the paired interval needs them)");
        if (TrainSizes.Count == 0 || TrainSizes.Any(n => n < 0)) throw new ArgumentOutOfRangeException(nameof(TrainSizes), "training sizes must be 0 (all) or positive");
        if (!File.Exists(Pretrained)) throw new FileNotFoundException($"{Pretrained}: pretrained checkpoint not found", Pretrained);
    }
}

/// <summary>One training run of the comparison, scored on its split's test part.</summary>
public sealed record TransferRun(int Repeat, int PerClass, string Start, int TrainImages, int TestImages, double Accuracy, double BalancedAccuracy,
    double MacroAuc, double LogLoss, int Epochs, double Seconds);

/// <summary>Scratch against pretrained at one training size and metric, paired by split (difference = pretrained − scratch).</summary>
public sealed record TransferPoint(int PerClass, string Metric, bool HigherIsBetter, double Scratch, double Pretrained, PairedDifference Difference)
{
    /// <summary>The pretrained start is better and the paired interval excludes zero.</summary>
    public bool PretrainedClearlyBetter => Difference.Excludes0 && (Difference.Mean > 0) == HigherIsBetter;
}

public sealed record TransferComparisonResult(IReadOnlyList<string> Classes, int Images, int Patients, IReadOnlyList<TransferRun> Runs,
    IReadOnlyList<TransferPoint> Points, IReadOnlyList<ImageFailure> Failures);

public static class TransferComparison
{
    public const string Scratch = "scratch", PretrainedStartName = "pretrained";

    static readonly (string Name, bool HigherIsBetter, Func<TransferRun, double> Value)[] Metrics =
    {
        ("macro_auc", true, r => r.MacroAuc),
        ("balanced_accuracy", true, r => r.BalancedAccuracy),
        ("accuracy", true, r => r.Accuracy),
        ("log_loss", false, r => r.LogLoss),
    };

    public static TransferComparisonResult Run(TransferComparisonJob job, Action<string>? log = null, CancellationToken cancel = default)
    {
        log ??= _ => { };
        job.Check();
        var source = Checkpoint.ReadInfo(job.Pretrained);
        // Both starts use the pretrained network's architecture and input channels, so they differ only in their weights.
        // The recipe too: both are fed as the pretrained weights expect.
        var config = job.Training with { Architecture = source.Architecture, InputChannels = source.InputChannels, Input = source.Input };

        Directory.CreateDirectory(job.Output);
        var data = job.Input.Decode(config.ImageSize, Path.Combine(job.Output, "left-out.txt"), log, cancel);
        var classes = data.Classes;
        var labels = data.Labels;
        int count = data.Items.Count;

        var pretrainedWeights = Safetensors.Read(job.Pretrained).Tensors;
        var runs = new List<TransferRun>();
        for (int repeat = 1; repeat <= job.Repeats; repeat++)
        {
            int seed = config.Seed + 1000 * repeat;
            var parts = LabelledSource.HoldOut(data.Items, new[] { job.ValidationFraction, job.TestFraction }, seed);
            var trainOrder = Enumerable.Range(0, count).Where(i => parts[i] == 0).ToList();
            var shuffle = new Random(seed);
            // One seeded order per class and repeat: smaller training sets are the first images of larger ones.
            var byClass = trainOrder.GroupBy(i => labels[i]).ToDictionary(g => g.Key, g => g.OrderBy(_ => shuffle.Next()).ToList());
            using var validation = data.Select(Enumerable.Range(0, count).Where(i => parts[i] == 1));
            using var test = data.Select(Enumerable.Range(0, count).Where(i => parts[i] == 2));
            foreach (int perClass in job.TrainSizes)
            {
                var chosen = byClass.Values.SelectMany(list => perClass == 0 ? list : list.Take(perClass)).OrderBy(i => i).ToList();
                using var train = data.Select(chosen);
                foreach (var start in new[] { Scratch, PretrainedStartName })
                {
                    cancel.ThrowIfCancellationRequested();
                    var runConfig = config with { Seed = seed };
                    // The same seeded initialisation for both starts: the head (and, for scratch, everything) starts equal.
                    var modelStart = start == PretrainedStartName ? new ModelStart(seed, job.Pretrained) { PretrainedWeights = pretrainedWeights } : new ModelStart(seed);
                    var folder = Path.Combine(job.Output, "runs", $"repeat{repeat}-n{(perClass == 0 ? "all" : perClass.ToString(CultureInfo.InvariantCulture))}-{start}");
                    using var trained = ModelTraining.Train(new TrainingPlan(runConfig, classes.Count, modelStart, folder), train, validation, cancel: cancel);
                    var result = trained.Result;
                    var probabilities = Inference.Probabilities(trained.Model, test.Images, config.InputChannels, config.Recipe, config.BatchSize);
                    var run = Score(repeat, perClass, start, train.Count, test.Labels, probabilities, classes.Count) with
                    {
                        Epochs = result.History.Count,
                        Seconds = result.History.Sum(e => e.Seconds), // training time, also for a run finished earlier
                    };
                    runs.Add(run);
                    log($"repeat {repeat}, {(perClass == 0 ? "all" : perClass.ToString(CultureInfo.InvariantCulture))} per class ({train.Count} images), {start}: " +
                        $"AUC {run.MacroAuc:0.000}, balanced accuracy {run.BalancedAccuracy:0.000} on {run.TestImages} test images ({run.Epochs} epochs, {run.Seconds:0.0} s of training)");
                    WriteRuns(Path.Combine(job.Output, "transfer-runs.csv"), runs);
                }
            }
        }
        var points = Summarise(runs);
        WriteSummary(Path.Combine(job.Output, "transfer-summary.csv"), points);
        return new TransferComparisonResult(classes, count, data.Patients, runs, points, data.Failures);
    }

    /// <summary>Test-set metrics from class probabilities.</summary>
    public static TransferRun Score(int repeat, int perClass, string start, int trainImages, IReadOnlyList<int> truth, float[][] probabilities, int classCount)
    {
        var predicted = probabilities.Select(p => Array.IndexOf(p, p.Max())).ToArray();
        var confusion = new ConfusionMatrix(truth, predicted, classCount);
        var recall = ClassificationReport.FromConfusion(confusion).Recall.Where((_, c) => confusion.TrueCount(c) > 0).ToList();
        double accuracy = truth.Zip(predicted).Count(p => p.First == p.Second) / (double)truth.Count;
        var scores = probabilities.Select(p => (IReadOnlyList<double>)p.Select(v => (double)v).ToArray()).ToList();
        double auc = Roc.AucOneVsRestMacro(truth, scores, classCount);
        double logLoss = -truth.Select((t, i) => Math.Log(Math.Max(probabilities[i][t], 1e-15))).Average();
        return new TransferRun(repeat, perClass, start, trainImages, truth.Count, accuracy, recall.Average(), auc, logLoss, 0, 0);
    }

    public static List<TransferPoint> Summarise(IReadOnlyList<TransferRun> runs) =>
        runs.Select(r => r.PerClass).Distinct().SelectMany(n => Metrics.Select(m =>
        {
            var pairs = runs.Where(r => r.PerClass == n && r.Start == Scratch)
                .Join(runs.Where(r => r.PerClass == n && r.Start == PretrainedStartName), r => r.Repeat, r => r.Repeat, (s, p) => (S: m.Value(s), P: m.Value(p)))
                .ToList();
            return new TransferPoint(n, m.Name, m.HigherIsBetter, pairs.Average(p => p.S), pairs.Average(p => p.P),
                PairedDifference.Of(pairs.Select(p => p.S).ToList(), pairs.Select(p => p.P).ToList()));
        })).ToList();

    static string F(double v) => v.ToString("0.0000", CultureInfo.InvariantCulture);

    static void WriteRuns(string path, IEnumerable<TransferRun> runs)
    {
        CsvOutput.Write(path, ["repeat", "per_class", "start", "train_images", "test_images", "accuracy", "balanced_accuracy", "macro_auc", "log_loss", "epochs", "train_seconds"],
            runs.Select(r => new[]
            {
                CsvOutput.Integer(r.Repeat), CsvOutput.Integer(r.PerClass), r.Start, CsvOutput.Integer(r.TrainImages), CsvOutput.Integer(r.TestImages),
                F(r.Accuracy), F(r.BalancedAccuracy), F(r.MacroAuc), F(r.LogLoss), CsvOutput.Integer(r.Epochs), r.Seconds.ToString("0.0", CultureInfo.InvariantCulture),
            }));
    }

    static void WriteSummary(string path, IEnumerable<TransferPoint> points)
    {
        CsvOutput.Write(path, ["per_class", "metric", "scratch", "pretrained", "difference", "ci_low", "ci_high", "pretrained_better_in", "scratch_better_in", "pairs"],
            points.Select(p =>
            {
                var d = p.Difference;
                int better = p.HigherIsBetter ? d.Positive : d.Negative, worse = p.HigherIsBetter ? d.Negative : d.Positive;
                return new[] { CsvOutput.Integer(p.PerClass), p.Metric, F(p.Scratch), F(p.Pretrained), F(d.Mean), F(d.Interval.Low), F(d.Interval.High),
                               CsvOutput.Integer(better), CsvOutput.Integer(worse), CsvOutput.Integer(d.Pairs) };
            }));
    }
}
