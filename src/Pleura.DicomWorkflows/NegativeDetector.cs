using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Pleura.Datasets;
using Pleura.Dicom.Rendering;
using Pleura.Evaluation;
using Pleura.Files;
using Pleura.Imaging;
using Pleura.Networks;
using Pleura.Networks.Weights;
using Pleura.Phantoms;
using Pleura.Training;
using Pleura.Transfer;
using static TorchSharp.torch;

namespace Pleura.DicomWorkflows;

/// <summary>What `pleura ingest train-negatives` trains on and how.</summary>
public sealed record NegativeTrainJob
{
    /// <summary>The checkpoint to write (.safetensors, with its .json sidecar).</summary>
    public required string Output { get; init; }
    /// <summary>Phantom radiographs in the training set (each inverted or not at random).</summary>
    public int Phantoms { get; init; } = 400;
    /// <summary>Phantoms of a held-out set (another seed, never trained on) on which the accuracy is measured.</summary>
    public int HeldOut { get; init; } = 200;
    /// <summary>A folder of real radiographs (PNG, JPEG, TIFF or DICOM, as displayed: not inverted) added to the training set, each inverted at random.</summary>
    public string? Images { get; init; }
    /// <summary>Share of <see cref="Images"/> (by file, seeded) held out and measured, each image both as displayed and inverted.</summary>
    public double ImagesHeldOut { get; init; } = 0.25;
    public int Size { get; init; } = 64;
    public int Epochs { get; init; } = 8;
    /// <summary>Small batches: more steps per epoch let the batch-norm running statistics settle on a small set.</summary>
    public int BatchSize { get; init; } = 16;
    public int Seed { get; init; } = 1;
    public string Architecture { get; init; } = "resnet10-w16";
}

/// <summary>Correct calls on a held-out set, with a 95% Clopper-Pearson interval.</summary>
public sealed record HeldOutScore(string Set, int Correct, int Trials, Interval Interval)
{
    public double Accuracy => Correct / (double)Trials;
    public override string ToString() =>
        $"{Set}: {Accuracy.ToString("P1", CultureInfo.InvariantCulture)} ({Correct}/{Trials}), 95% CI {Interval}";
}

/// <summary>The trained detector and its accuracy on the held-out phantoms and, when real images were given, on the held-out real images.</summary>
public sealed record NegativeTrainOutcome(string CheckpointPath, int TrainImages, HeldOutScore Phantoms, HeldOutScore? Images, PretrainOutcome Training)
{
    public int HeldOutImages => Phantoms.Trials;
    public int HeldOutCorrect => Phantoms.Correct;
    public Interval Interval => Phantoms.Interval;
    public double Accuracy => Phantoms.Accuracy;
}

/// <summary>
/// Negative (inverted-contrast) radiographs whose attributes say nothing wrong (burned-in inversion): a small CNN with
/// two classes, "inverted" and "upright", trained by <see cref="Pretraining"/> on images inverted at random (phantoms,
/// and real images when given) with random windowing and gamma, so that the mean grey level alone does not give the
/// answer. `pleura ingest --negatives MODEL` flips back the images it calls inverted.
/// </summary>
public sealed class NegativeDetector : IDisposable
{
    public const string Inverted = "inverted";
    public const string Upright = "upright";

    readonly nn.Module<Tensor, Tensor> model;
    readonly CheckpointInfo info;
    readonly int invertedClass;

    NegativeDetector(nn.Module<Tensor, Tensor> model, CheckpointInfo info, string id)
    {
        this.model = model;
        this.info = info;
        invertedClass = info.Classes.ToList().IndexOf(Inverted);
        Id = id;
    }

    /// <summary>The first 12 hex digits of the checkpoint's SHA-256: which model checked an image.</summary>
    public string Id { get; }

    public int InputSize => info.InputSize;

    /// <summary>Loads a detector written by <see cref="Train"/>; an error names the file and the reason.</summary>
    public static NegativeDetector Load(string path)
    {
        var (model, info) = Checkpoint.Load(path);
        if (!info.Classes.SequenceEqual(new[] { Inverted, Upright }))
        {
            model.Dispose();
            throw new InvalidDataException($"{path}: not a negatives model (classes {string.Join(", ", info.Classes)}; expected {Inverted}, {Upright}: train one with `pleura ingest train-negatives`)");
        }
        using var stream = File.OpenRead(path);
        return new NegativeDetector(model, info, Convert.ToHexString(SHA256.HashData(stream))[..12].ToLowerInvariant());
    }

    /// <summary>The probability that a rendered image (MONOCHROME2 sense) is inverted.</summary>
    public double ProbabilityInverted(GreyImage16 image, string source) =>
        ProbabilitiesInverted([RadiographReader.Resize16(image.Pixels, image.Width, image.Height, InputSize, InputSize, source).Pixels])[0];

    /// <summary>The probability that each image (<see cref="InputSize"/> square, grey in [0, 1]) is inverted.</summary>
    public double[] ProbabilitiesInverted(IReadOnlyList<float[]> pixels)
    {
        using var set = LabelledImages.FromPixels(pixels, InputSize, new int[pixels.Count]);
        return Inference.Probabilities(model, set.Images, info.InputChannels, info.Recipe).Select(p => (double)p[invertedClass]).ToArray();
    }

    public void Dispose() => model.Dispose();

    /// <summary>
    /// Writes the labelled set (class folders of PNGs) into a work folder beside the output, trains on it with
    /// <see cref="Pretraining.Run"/>, measures the accuracy on a held-out set of phantoms made with another seed, and
    /// records it in the checkpoint's sidecar (metrics: heldout_accuracy, heldout_ci_low, heldout_ci_high, heldout_images).
    /// </summary>
    public static NegativeTrainOutcome Train(NegativeTrainJob job, Action<string>? log = null, Action<TrainingProgress>? progress = null, CancellationToken cancel = default)
    {
        log ??= _ => { };
        if (job.Phantoms < 20 || job.HeldOut < 10) throw new ArgumentException($"train-negatives needs at least 20 phantoms and 10 held out, not {job.Phantoms} and {job.HeldOut}");
        var output = Path.GetFullPath(job.Output);
        var data = Path.Combine(Path.GetDirectoryName(output)!, Path.GetFileNameWithoutExtension(output) + ".data");
        // The trainer's work folder (resume state) of an earlier run may belong to other settings: a short job starts afresh.
        var work = Path.Combine(Path.GetDirectoryName(output)!, Path.GetFileNameWithoutExtension(output) + ".work");
        foreach (var folder in new[] { data, work })
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        try
        {
            var random = new Random(job.Seed);
            int written = 0;
            foreach (var pixels in PhantomImages(job.Seed, job.Phantoms, job.Size))
                WriteLabelled(data, $"phantom{written++:D5}", pixels, job.Size, random);
            var heldImages = new List<float[]>();
            if (job.Images is { } imageFolder)
            {
                var files = RadiographReader.ImageFiles(imageFolder, recursive: true);
                if (files.Count == 0) throw new InvalidDataException($"{imageFolder}: no images (PNG, JPEG, TIFF or DICOM)");
                var order = new Random(job.Seed + 2000);
                var shuffled = files.OrderBy(_ => order.Next()).ToList();
                int heldCount = (int)Math.Round(shuffled.Count * job.ImagesHeldOut);
                for (int i = 0; i < shuffled.Count; i++)
                {
                    cancel.ThrowIfCancellationRequested();
                    GreyImage image;
                    try { image = RadiographReader.ReadResized(shuffled[i], job.Size, job.Size); }
                    catch (ImageReadException e) { log($"left out {e.Path}: {e.Reason}"); continue; }
                    if (i < heldCount) heldImages.Add(image.Pixels);
                    else WriteLabelled(data, $"image{written++:D5}", image.Pixels, job.Size, random);
                }
                log($"{shuffled.Count - heldCount} real images for training, {heldCount} held out");
            }
            var training = new PretrainJob
            {
                Input = new LabelledInput(data) { Classes = [Inverted, Upright] },
                Output = output,
                Training = new TrainingConfig
                {
                    Architecture = job.Architecture, ImageSize = job.Size, InputChannels = 1, BatchSize = job.BatchSize, Stage1Epochs = 0,
                    Stage2Epochs = job.Epochs, UnfreezeConvLayers = -1, Stage2LearningRate = 3e-3, EarlyStoppingPatience = job.Epochs, Seed = job.Seed,
                },
            };
            var trained = Pretraining.Run(training, log, progress, cancel);

            // The held-out sets: other phantoms (another seed), inverted at random the same way; the held-out real
            // images each as displayed and inverted (no random window: they are measured as they are).
            var heldRandom = new Random(job.Seed + 1000);
            var held = PhantomImages(job.Seed + 1000, job.HeldOut, job.Size).Select(p => Labelled(p, heldRandom)).ToList();
            var real = heldImages.SelectMany(p => new[] { (Pixels: p, Inverted: false), (Pixels: p.Select(v => 1 - v).ToArray(), Inverted: true) }).ToList();
            HeldOutScore phantomScore;
            HeldOutScore? imageScore = null;
            using (var detector = Load(output))
            {
                HeldOutScore Score(string set, List<(float[] Pixels, bool Inverted)> items)
                {
                    var probabilities = detector.ProbabilitiesInverted(items.Select(h => h.Pixels).ToList());
                    int correct = items.Zip(probabilities).Count(x => x.First.Inverted == x.Second > 0.5);
                    return new HeldOutScore(set, correct, items.Count, ClopperPearson.Compute(correct, items.Count));
                }
                phantomScore = Score($"held-out phantoms (seed {job.Seed + 1000}, inverted at random)", held);
                if (real.Count > 0) imageScore = Score($"held-out real images ({heldImages.Count} of {job.Images}, each as displayed and inverted)", real);
            }
            var sidecar = Checkpoint.SidecarOf(output);
            var node = JsonNode.Parse(File.ReadAllText(sidecar))!;
            var metrics = node["metrics"] as JsonObject ?? new JsonObject();
            void Record(string prefix, HeldOutScore score)
            {
                metrics[prefix + "_accuracy"] = score.Accuracy;
                metrics[prefix + "_ci_low"] = score.Interval.Low;
                metrics[prefix + "_ci_high"] = score.Interval.High;
                metrics[prefix + "_trials"] = score.Trials;
                metrics[prefix + "_source"] = score.Set;
            }
            Record("heldout", phantomScore);
            if (imageScore is not null) Record("heldout_images", imageScore);
            node["metrics"] = metrics;
            AtomicFile.WriteAllText(sidecar, node.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
            log(phantomScore.ToString());
            if (imageScore is not null) log(imageScore.ToString());
            return new NegativeTrainOutcome(output, trained.TrainImages + trained.ValidationImages, phantomScore, imageScore, trained);
        }
        finally
        {
            foreach (var folder in new[] { data, work })
                if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Phantom radiographs with random grades, as displayed (lungs dark).</summary>
    static IEnumerable<float[]> PhantomImages(int seed, int count, int size)
    {
        var random = new Random(seed);
        for (int i = 0; i < count; i++)
            yield return PhantomDataset.RenderOne(seed, i, size, random.Next(4), random.Next(4)).Image;
    }

    /// <summary>An image with a random window and gamma, inverted or not at random.</summary>
    static (float[] Pixels, bool Inverted) Labelled(float[] pixels, Random random)
    {
        double low = random.NextDouble() * 0.2, high = 0.8 + random.NextDouble() * 0.2, gamma = 0.6 + random.NextDouble() * 0.9;
        bool inverted = random.Next(2) == 1;
        var result = new float[pixels.Length];
        for (int i = 0; i < pixels.Length; i++)
        {
            double v = Math.Pow(Math.Clamp((pixels[i] - low) / (high - low), 0, 1), gamma);
            result[i] = (float)(inverted ? 1 - v : v);
        }
        return (result, inverted);
    }

    static void WriteLabelled(string folder, string name, float[] pixels, int size, Random random)
    {
        var (image, inverted) = Labelled(pixels, random);
        PngWriter.Write(new GreyImage(size, size, image), Path.Combine(folder, inverted ? Inverted : Upright, name + ".png"), bitDepth: 16);
    }
}
