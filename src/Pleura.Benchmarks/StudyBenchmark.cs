using System.Diagnostics;
using Pleura.Phantoms;
using Pleura.Study;
using Pleura.Training;

namespace Pleura.Benchmarks;

/// <summary>Wall time of one level-1 grid with and without the frozen-prefix activation cache, on the same phantom study.</summary>
public sealed record StudyBenchmarkResult(int Trials, double CachedSeconds, double UncachedSeconds, double MaxMacroMaeDifference, string CacheNote)
{
    public double Ratio => CachedSeconds / UncachedSeconds;
}

public static class StudyBenchmark
{
    /// <summary>Default: the paper's recipe (stage 1 head only, stage 2 the last 5 convolutions) over ROI x balancing on one backbone.</summary>
    public static StudyBenchmarkResult Run(string folder, string backbone, int images, int size, int epochs1, int epochs2, Action<string> log)
    {
        PhantomDataset.Generate(new PhantomOptions { Count = images, Size = size, Seed = 11 }, Path.Combine(folder, "data"));
        var spec = new StudySpec
        {
            Name = "bench", Manifest = Path.Combine(folder, "data", "manifest.csv"), Folds = 1, TopK = 1, Bootstrap = 0, Heatmaps = false,
            Grid = new GridSpec { Roi = new[] { "none", "lung", "spine" }, Balancing = new[] { "under", "over", "double" }, Backbones = new[] { backbone } },
            Training = new TrainingConfig
            {
                ImageSize = size, InputChannels = 1, BatchSize = 32, Stage1Epochs = epochs1, Stage2Epochs = epochs2,
                Stage1LearningRate = 3e-3, Stage2LearningRate = 1e-3, UnfreezeConvLayers = 5, EarlyStoppingPatience = 1000,
            },
        };
        spec.Check("benchmark");
        var seconds = new Dictionary<bool, double>();
        var maes = new Dictionary<bool, Dictionary<string, double>>();
        string note = "";
        foreach (bool cache in new[] { true, false })
        {
            string studyFolder = Path.Combine(folder, cache ? "cached" : "uncached");
            using var store = StudyRunner.OpenStore(studyFolder);
            var options = new StudyRunOptions { UpToLevel = 1, Cache = cache };
            using var context = StudyRunner.Open(spec, studyFolder, store, options, log);
            // Images are decoded and ROIs made before the clock starts: both runs share that cost equally.
            DataFlow.RecordRoiFailures(context);
            var clock = Stopwatch.StartNew();
            Levels.One(context, CancellationToken.None);
            seconds[cache] = clock.Elapsed.TotalSeconds;
            if (cache) note = $"{context.Cache!.Hits} rows reused, {context.Cache.Misses} computed, {context.Cache.Bytes / 1e6:0} MB";
            var metrics = store.Metrics(spec.Name).Where(m => m.Set == "test" && m.Metric == Pleura.Evaluation.MetricTable.MacroMae).ToList();
            var trials = store.Trials(spec.Name).ToDictionary(t => t.Hash, t => $"{t.Combination}/{t.Side}");
            maes[cache] = metrics.ToDictionary(m => trials[m.TrialHash], m => m.Value);
            log($"{(cache ? "with" : "without")} the cache: {seconds[cache]:0.0} s");
        }
        double difference = maes[true].Keys.Max(k => Math.Abs(maes[true][k] - maes[false][k]));
        return new StudyBenchmarkResult(maes[true].Count, seconds[true], seconds[false], difference, note);
    }
}
