using System.Diagnostics;
using Pleura.Classification;
using Pleura.Imaging;

namespace Pleura.Benchmarks;

/// <summary>One input set classified end to end (decode, resize, the fold models, answers) in one precision.</summary>
public sealed record ClassifierThroughput(string Input, string Precision, int Images, int Unreadable, double LoadSeconds, double Seconds)
{
    public double ImagesPerSecond => Images / Seconds;
    /// <summary>Against the view seed's 38 images/s (one model on a 2016 GPU); here every image goes through every fold model.</summary>
    public double AgainstSeed => ImagesPerSecond / ClassifierBenchmark.SeedImagesPerSecond;
}

/// <summary>
/// `pleura bench classify` (issue 15): the end-to-end throughput of `classify predict` on PNG and DICOM input, float32
/// and bfloat16, with the fold models loaded once (loading timed apart). Rounds alternate the precisions so that a
/// busy machine slows both alike; the best round counts.
/// </summary>
public static class ClassifierBenchmark
{
    public const double SeedImagesPerSecond = 38;

    public static IReadOnlyList<ClassifierThroughput> Run(string runFolder, IReadOnlyList<(string Name, IReadOnlyList<string> Files)> inputs, int rounds = 3,
        Action<string>? log = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        var results = new List<ClassifierThroughput>();
        var models = new List<(string Precision, ClassifierModels Models, double LoadSeconds)>();
        try
        {
            foreach (var bf16 in new[] { false, true })
            {
                var clock = Stopwatch.StartNew();
                var loaded = ClassifierModels.Load(runFolder, bf16);
                models.Add((bf16 ? "bf16" : "fp32", loaded, clock.Elapsed.TotalSeconds));
            }
            foreach (var (name, files) in inputs)
            {
                // One warm-up pass per precision: first calls pay for kernels and the decoder's start.
                foreach (var m in models) ClassifierRun.Predict(m.Models, files.Take(4).ToList());
                var best = models.ToDictionary(m => m.Precision, _ => double.MaxValue);
                var counts = new Dictionary<string, (int Images, int Unreadable)>();
                for (int round = 1; round <= rounds; round++)
                    foreach (var m in models)
                    {
                        var clock = Stopwatch.StartNew();
                        var (answers, failures) = ClassifierRun.Predict(m.Models, files);
                        double seconds = clock.Elapsed.TotalSeconds;
                        best[m.Precision] = Math.Min(best[m.Precision], seconds);
                        counts[m.Precision] = (answers.Count, failures.Count);
                        log?.Invoke($"{name}, {m.Precision}, round {round}: {answers.Count} images in {seconds:0.00} s");
                    }
                results.AddRange(models.Select(m => new ClassifierThroughput(name, m.Precision, counts[m.Precision].Images, counts[m.Precision].Unreadable, m.LoadSeconds, best[m.Precision])));
            }
        }
        finally
        {
            foreach (var m in models) m.Models.Dispose();
        }
        return results;
    }

    /// <summary>The image files of a folder (PNG, JPEG, TIFF, DICOM), at most <paramref name="limit"/>.</summary>
    public static IReadOnlyList<string> Files(string folder, int limit) => RadiographReader.ImageFiles(folder).Take(limit).ToList();
}
