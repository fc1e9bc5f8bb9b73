using System.Text.Json.Nodes;
using Pleura.Data;
using Pleura.Datasets;
using Pleura.Evaluation;
using Pleura.Files;
using Pleura.Imaging;
using Pleura.Imaging.Roi;
using Pleura.Networks;
using Pleura.Networks.Weights;
using Pleura.Training;
using static TorchSharp.torch;

namespace Pleura.Classification;

/// <summary>What `pleura classify train` does: an image-level classifier on a labelled set, with the method's splits.</summary>
public sealed record ClassifierJob
{
    public required LabelledInput Input { get; init; }
    public required string RunFolder { get; init; }
    public double TestFraction { get; init; } = 0.25;
    public int Folds { get; init; } = 5;
    public TrainingConfig Training { get; init; } = new();
    public string? Pretrained { get; init; }
    /// <summary>What the models see: the whole image, or both lungs cut (<see cref="ClassifierInputs"/>).</summary>
    public RoiScheme Roi { get; init; } = RoiScheme.None;
    /// <summary>The lung U-Net that finds the lungs, for <see cref="RoiScheme.Lung"/>.</summary>
    public string? LungModel { get; init; }
}

/// <summary>
/// A classifier run's scores: out-of-fold probabilities on the development part (where cut-offs are chosen) and the
/// fold models' mean probabilities on the held-out test part (where they are applied), with the evaluation of both.
/// </summary>
public sealed record ClassifierOutcome(IReadOnlyList<string> Classes, ClassifierEvaluation Evaluation, ScoredImages Validation, ScoredImages Test,
    IReadOnlyList<string> Checkpoints, IReadOnlyList<ImageFailure> Failures)
{
    /// <summary>The test images' paths, in the order of <see cref="Test"/>.</summary>
    public IReadOnlyList<string> TestImages { get; init; } = Array.Empty<string>();

    /// <summary>The development images' paths, in the order of <see cref="Validation"/>.</summary>
    public IReadOnlyList<string> ValidationImages { get; init; } = Array.Empty<string>();

    /// <summary>Per test image: path, true class and the fold models' mean probabilities (for paired comparisons later).</summary>
    public void WriteTestPredictions(string path) => ClassifierRun.WriteScores(path, Classes, TestImages, Test);

    /// <summary>
    /// Per development image: path, true class and its out-of-fold probabilities, where the Youden cut-offs were chosen
    /// (`classify evaluate` applies the same cut-offs to another set).
    /// </summary>
    public void WriteValidationPredictions(string path) => ClassifierRun.WriteScores(path, Classes, ValidationImages, Validation);
}

/// <summary>
/// METHOD sections 1 and 7 for whole-image tasks (view, pneumonia type): a patient-level 75/25 split, five-fold
/// cross-validation on the 75 (one model per fold, trained through <see cref="ModelTraining"/>), the Youden cut-off
/// chosen on the out-of-fold probabilities and applied to the test part, which the fold models score together.
/// Resumable: each fold trains in its own folder, and the split is saved once.
/// </summary>
public static class ClassifierRun
{
    public const string SplitFile = "split.json";

    public static string CheckpointPath(string runFolder, int fold) => Path.Combine(runFolder, $"fold{fold}", "model.safetensors");

    /// <summary>
    /// Throws when the run's split names more folds than have a saved model (training stopped midway): the fold
    /// models answer together, and fewer of them would answer differently from the run's report.
    /// </summary>
    public static void RequireComplete(string runFolder)
    {
        var splitPath = Path.Combine(runFolder, SplitFile);
        // A grading run (the demo's) keeps its own split.json: only a folder with fold models is a classifier run.
        if (!File.Exists(splitPath) || !Directory.Exists(Path.GetDirectoryName(CheckpointPath(runFolder, 1)))) return;
        int folds = ClassificationSplit.Load(splitPath).Folds;
        var missing = Enumerable.Range(1, folds).Where(f => !File.Exists(CheckpointPath(runFolder, f))).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"{runFolder} is an incomplete run: fold model(s) {string.Join(", ", missing)} of {folds} were not finished; " +
                                           "run the same `pleura classify train` again to finish it");
    }

    public static ClassifierOutcome Run(ClassifierJob job, Action<string>? log = null, Action<int, TrainingProgress>? progress = null, CancellationToken cancel = default)
    {
        log ??= _ => { };
        job.Training.Check();
        // A classifier run keeps its split.json and fold models in its folder: never in a grading run's, a study's or an ingest's.
        FolderOwner.RefuseOwnedFolderOf(Path.Combine(job.RunFolder, SplitFile), "classify train");
        var config = job.Training.StartingFrom(job.Pretrained);
        CheckSameRoi(job);
        using var inputs = ClassifierInputs.Create(job.Roi, config.ImageSize, job.LungModel);
        Directory.CreateDirectory(job.RunFolder);
        var data = job.Input.Decode(inputs, Path.Combine(job.RunFolder, "left-out.txt"), log, cancel);
        if (data.RoiFailures.Count > 0) AtomicFile.WriteAllLines(Path.Combine(job.RunFolder, RoiFailuresFile), data.RoiFailures.Select(f => $"{f.Path}: {f.Reason}"));
        if (job.Roi != RoiScheme.None) WriteRoiExamples(job.RunFolder, data);
        var ids = data.Items.Select(i => Path.GetFullPath(i.Path)).ToList();
        var split = OpenSplit(job, data, ids);
        var index = ids.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i);
        int[] Indexes(IEnumerable<ClassificationAssignment> part) => part.Select(a => index[a.ImageId]).ToArray();

        var development = Indexes(split.Development);
        var test = Indexes(split.Test);
        var outOfFold = new Dictionary<int, double[]>();
        var testSums = new double[test.Length][];
        var checkpoints = new List<string>();
        var splitFingerprint = Fingerprints.OfFile(Path.Combine(job.RunFolder, SplitFile));
        using var testSet = data.Select(test);
        for (int fold = 1; fold <= split.Folds; fold++)
        {
            cancel.ThrowIfCancellationRequested();
            var (trainPart, validationPart) = split.Fold(fold);
            var (train, validation) = (Indexes(trainPart), Indexes(validationPart));
            using var trainSet = data.Select(train);
            using var validationSet = data.Select(validation);
            var foldConfig = config with { Seed = config.Seed + 1000 * fold };
            var plan = new TrainingPlan(foldConfig, data.Classes.Count, new ModelStart(foldConfig.Seed, job.Pretrained), Path.Combine(job.RunFolder, $"fold{fold}", "work"));
            int current = fold;
            log($"fold {fold}: {train.Length} training, {validation.Length} validation images");
            using var trained = ModelTraining.Train(plan, trainSet, validationSet, p => progress?.Invoke(current, p), m => log($"fold {current}: {m}"), cancel);
            var validationProbabilities = Probabilities(trained, validationSet, foldConfig);
            for (int k = 0; k < validation.Length; k++) outOfFold[validation[k]] = validationProbabilities[k];
            var testProbabilities = Probabilities(trained, testSet, foldConfig);
            for (int k = 0; k < test.Length; k++)
            {
                testSums[k] ??= new double[data.Classes.Count];
                for (int c = 0; c < data.Classes.Count; c++) testSums[k][c] += testProbabilities[k][c] / split.Folds;
            }
            var path = CheckpointPath(job.RunFolder, fold);
            double accuracy = validationProbabilities.Select(ArgMax).Zip(validationSet.Labels).Count(x => x.First == x.Second) / (double)validation.Length;
            trained.Save(path, trained.Describe(data.Classes) with
            {
                Metrics = FoldMetrics(job, accuracy, validation.Length),
                Roi = job.Roi.Name(),
                SplitFile = Path.Combine(job.RunFolder, SplitFile),
                Fold = fold,
                SplitFingerprint = splitFingerprint,
                SeenImages = train.Concat(validation).Select(i => ids[i]).Order(StringComparer.Ordinal).ToList(),
            });
            checkpoints.Add(path);
            log($"fold {fold}: {trained.Result.StopReason}; validation accuracy {accuracy:P1}");
        }

        var validationScores = new ScoredImages(development.Select(i => data.Labels[i]).ToList(),
            development.Select(i => (IReadOnlyList<double>)outOfFold[i]).ToList(), data.Classes.Count);
        var testScores = new ScoredImages(test.Select(i => data.Labels[i]).ToList(), testSums.Select(p => (IReadOnlyList<double>)p).ToList(), data.Classes.Count);
        var evaluation = ClassifierEvaluation.Compute(data.Classes, validationScores, testScores);
        return new ClassifierOutcome(data.Classes, evaluation, validationScores, testScores, checkpoints, data.Failures)
        {
            TestImages = test.Select(i => ids[i]).ToList(),
            ValidationImages = development.Select(i => ids[i]).ToList(),
        };
    }

    public const string ValidationPredictionsFile = "validation_predictions.csv";
    /// <summary>Images of a lung-ROI run given whole because their lungs were not found, each with the reason.</summary>
    public const string RoiFailuresFile = "roi-failures.txt";

    static JsonObject FoldMetrics(ClassifierJob job, double accuracy, int validationImages)
    {
        var metrics = new JsonObject { ["validation_accuracy"] = accuracy, ["validation_images"] = validationImages, ["source"] = Path.GetFullPath(job.Input.Source) };
        if (job.Roi != RoiScheme.None && job.LungModel is not null)
        {
            metrics[ClassifierModels.LungModelMetric] = Path.GetFullPath(job.LungModel);
            metrics["lung_model_fingerprint"] = Fingerprints.OfFile(job.LungModel);
        }
        return metrics;
    }

    /// <summary>What the models see: the first images of each class as cut, in RUN/roi-examples/ (so a reader can check the cut).</summary>
    static void WriteRoiExamples(string runFolder, DecodedSet data, int perClass = 4)
    {
        var folder = Path.Combine(runFolder, "roi-examples");
        Directory.CreateDirectory(folder);
        foreach (var (item, k) in data.Items.Select((item, k) => (item, k)).GroupBy(x => x.item.Class).SelectMany(g => g.Take(perClass)))
            PngWriter.Write(new GreyImage(data.Size, data.Size, data.Pixels[k]), Path.Combine(folder, $"{FileNames.Safe(item.Class)}-{FileNames.Safe(Path.GetFileNameWithoutExtension(item.Path))}.png"));
    }

    /// <summary>A run folder resumes only the run that made it: a fold model of another ROI is not mixed in.</summary>
    static void CheckSameRoi(ClassifierJob job)
    {
        var first = CheckpointPath(job.RunFolder, 1);
        if (!File.Exists(first)) return;
        var roi = Checkpoint.ReadInfo(first).Roi;
        if (roi != job.Roi.Name())
            throw new InvalidDataException($"{job.RunFolder} holds a classifier trained on ROI '{roi}', not '{job.Roi.Name()}'; a run folder only resumes the run that made it: choose a new -o");
    }

    public static void WriteScores(string path, IReadOnlyList<string> classes, IReadOnlyList<string> images, ScoredImages scores) =>
        WriteClassTable(path, classes, images.Select((image, k) => new ImageClass(image, classes[scores.Truth[k]], scores.Probabilities[k])));

    /// <summary>A class table written by <see cref="WriteScores"/>, read back as scores over <paramref name="classes"/>.</summary>
    public static ScoredImages ReadScores(string path, IReadOnlyList<string> classes) => ReadScoredImages(path, classes).Scores;

    /// <summary>As <see cref="ReadScores"/>, with each row's image path.</summary>
    public static (IReadOnlyList<string> Images, ScoredImages Scores) ReadScoredImages(string path, IReadOnlyList<string> classes)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: not found; run `pleura classify train` on the run folder again (it resumes and writes it)", path);
        var table = CsvTable.Read(path);
        var columns = classes.Select(c => "p_" + c).ToArray();
        table.RequireColumns(new[] { "image", "class" }.Concat(columns).ToArray());
        if (table.Rows.Count == 0 || table.Problems.Count > 0) throw new InvalidDataException($"{path}: no rows, or malformed rows ({table.Problems.Count})");
        var truth = new List<int>();
        var probabilities = new List<IReadOnlyList<double>>();
        foreach (var row in table.Rows)
        {
            int label = classes.ToList().IndexOf(row["class"]);
            if (label < 0) throw new InvalidDataException($"{path}, line {row.Line}: class '{row["class"]}' is not one of {string.Join(", ", classes)}");
            truth.Add(label);
            probabilities.Add(columns.Select(c => double.Parse(row[c], System.Globalization.CultureInfo.InvariantCulture)).ToList());
        }
        return (table.Rows.Select(r => r["image"]).ToList(), new ScoredImages(truth, probabilities, classes.Count));
    }

    /// <summary>
    /// `pleura classify compare`: two classifier runs on the same held-out test images (e.g. whole image against
    /// segmented lungs, or two starts), paired: per class DeLong's test of the AUC difference (B - A) and McNemar's
    /// exact test of accuracy; B's own evaluation (its cut-offs from its out-of-fold probabilities) beside it.
    /// Runs on different test images are refused with the counts: a paired test needs the same images.
    /// </summary>
    public static (PairedClassifierComparison Comparison, ClassifierEvaluation EvaluationB, ScoredImages TestB) Compare(string runA, string runB)
    {
        var classes = Checkpoint.ReadInfo(CheckpointPath(runA, 1)).Classes;
        var classesB = Checkpoint.ReadInfo(CheckpointPath(runB, 1)).Classes;
        if (!classes.SequenceEqual(classesB))
            throw new InvalidDataException($"{runA} classifies {string.Join(", ", classes)} but {runB} {string.Join(", ", classesB)}; a paired comparison needs the same classes");
        var (imagesA, testA) = ReadScoredImages(Path.Combine(runA, "report", "test_predictions.csv"), classes);
        var (imagesB, testB) = ReadScoredImages(Path.Combine(runB, "report", "test_predictions.csv"), classes);
        var rowOfB = imagesB.Select((image, k) => (image, k)).ToDictionary(x => x.image, x => x.k, StringComparer.Ordinal);
        int shared = imagesA.Count(rowOfB.ContainsKey);
        if (shared != imagesA.Count || shared != imagesB.Count)
            throw new InvalidDataException($"the runs were tested on different images ({imagesA.Count} in {runA}, {imagesB.Count} in {runB}, {shared} shared): " +
                                           "train both on the same source with the same --seed so that they share the split");
        var orderedB = new ScoredImages(imagesA.Select(i => testB.Truth[rowOfB[i]]).ToList(), imagesA.Select(i => testB.Probabilities[rowOfB[i]]).ToList(), classes.Count);
        if (!orderedB.Truth.SequenceEqual(testA.Truth)) throw new InvalidDataException("the runs give the same images different true classes");
        var validationB = ReadScores(Path.Combine(runB, "report", ValidationPredictionsFile), classes);
        return (PairedClassifierComparison.Compare(classes, testA, orderedB), ClassifierEvaluation.Compute(classes, validationB, orderedB), orderedB);
    }

    /// <summary>
    /// External validation (`pleura classify evaluate`): the fold models together on another labelled set, with the
    /// Youden cut-offs the run chose on its out-of-fold probabilities (not re-chosen on the new set). Images the
    /// models learnt from or were chosen on are refused, as `evaluate` refuses them for graders.
    /// </summary>
    public static (ClassifierEvaluation Evaluation, ScoredImages Scores, IReadOnlyList<string> Images, IReadOnlyList<ImageFailure> Failures) Evaluate(
        string runFolder, LabelledInput input, string outputFolder, Action<string>? log = null, string? lungModel = null, CancellationToken cancel = default)
    {
        log ??= _ => { };
        using var models = ClassifierModels.Load(runFolder, bfloat16: false, lungModel);
        var info = models.Info;
        var validation = ReadScores(Path.Combine(runFolder, "report", ValidationPredictionsFile), info.Classes);
        Directory.CreateDirectory(outputFolder);
        var data = (input with { Classes = input.Classes ?? info.Classes }).Decode(models.Inputs, Path.Combine(outputFolder, "left-out.txt"), log, cancel);
        if (data.RoiFailures.Count > 0) AtomicFile.WriteAllLines(Path.Combine(outputFolder, RoiFailuresFile), data.RoiFailures.Select(f => $"{f.Path}: {f.Reason}"));
        if (!data.Classes.SequenceEqual(info.Classes))
            throw new InvalidDataException($"{input.Source} has the classes {string.Join(", ", data.Classes)}; the run was trained on {string.Join(", ", info.Classes)}");
        var images = data.Items.Select(i => Path.GetFullPath(i.Path)).ToList();
        var seen = (info.SeenImages ?? Array.Empty<string>()).ToHashSet(StringComparer.Ordinal);
        int overlap = images.Count(seen.Contains);
        if (overlap > 0)
            throw new InvalidDataException($"{overlap} of the {images.Count} images were used to train or validate the run's models; evaluate it on images it has not seen");
        using var set = data.Select(Enumerable.Range(0, data.Items.Count).ToArray());
        var probabilities = models.MeanProbabilities(set);
        var scores = new ScoredImages(data.Labels.ToList(), probabilities.Select(p => (IReadOnlyList<double>)p).ToList(), data.Classes.Count);
        return (ClassifierEvaluation.Compute(data.Classes, validation, scores), scores, images, data.Failures);
    }

    /// <summary>One image's class (the most probable, or the truth in a test table) and its class probabilities.</summary>
    public sealed record ImageClass(string Path, string Class, IReadOnlyList<double> Probabilities);

    /// <summary>image, class, then one probability column per class: the table `classify predict` and `train` write.</summary>
    public static void WriteClassTable(string path, IReadOnlyList<string> classes, IEnumerable<ImageClass> rows) =>
        CsvOutput.Write(path, new[] { "image", "class" }.Concat(classes.Select(c => "p_" + c)),
            rows.Select(r => new[] { r.Path, r.Class }.Concat(r.Probabilities.Select(p => p.ToString("0.000000", System.Globalization.CultureInfo.InvariantCulture)))));

    /// <summary>
    /// Classifies image files (PNG, JPEG, TIFF, DICOM) with a run's fold models together (mean probability), in bfloat16
    /// if asked; unreadable files are returned with their reason. Reading, resizing and inference are all counted by
    /// a caller that times it: this is the end-to-end path.
    /// </summary>
    public static (IReadOnlyList<string> Classes, IReadOnlyList<ImageClass> Answers, IReadOnlyList<ImageFailure> Failures) Predict(string runFolder,
        IReadOnlyList<string> files, bool bfloat16 = false, ErrorPolicy policy = ErrorPolicy.Continue, string? lungModel = null)
    {
        using var models = ClassifierModels.Load(runFolder, bfloat16, lungModel);
        var (answers, failures) = Predict(models, files, policy);
        return (models.Info.Classes, answers, failures);
    }

    /// <summary>As the run-folder form, with the fold models already loaded (the benchmark times this part).</summary>
    public static (IReadOnlyList<ImageClass> Answers, IReadOnlyList<ImageFailure> Failures) Predict(ClassifierModels models, IReadOnlyList<string> files,
        ErrorPolicy policy = ErrorPolicy.Continue)
    {
        int size = models.Inputs.ReadSize;
        var batch = ImageBatch.Read(files, p => RadiographReader.ReadResized(p, size, size), policy);
        var readable = Enumerable.Range(0, files.Count).Where(i => batch.Images[i] is not null).ToList();
        var probabilities = readable.Count == 0 ? Array.Empty<double[]>() : models.MeanProbabilities(readable.Select(i => batch.Images[i]!.Pixels).ToList());
        var answers = readable.Select((i, k) => new ImageClass(files[i], models.Info.Classes[ArgMax(probabilities[k])], probabilities[k])).ToList();
        return (answers, batch.Failures);
    }

    /// <summary>
    /// The robustness set (issue 15): the run's held-out test images as stored and under each transform (rotations,
    /// flips, burnt-in text, half blanked, heavy crop, inverted contrast), classified by the fold models together;
    /// accuracy per transform with McNemar's test against the untransformed images.
    /// </summary>
    public static IReadOnlyList<TransformAccuracy> Robustness(string runFolder, Action<string>? log = null, string? lungModel = null)
    {
        var splitPath = Path.Combine(runFolder, SplitFile);
        if (!File.Exists(splitPath)) throw new FileNotFoundException($"{runFolder}: no {SplitFile}; train the classifier first (`pleura classify train`)", splitPath);
        var split = ClassificationSplit.Load(splitPath);
        using var models = ClassifierModels.Load(runFolder, bfloat16: false, lungModel);
        var info = models.Info;
        var test = split.Test;
        log?.Invoke($"{test.Count} test images, {models.Count} fold models, {RobustnessTransforms.All.Count} transforms");
        // Transformed as read, then made into inputs: a lung-ROI model finds the lungs of the rotated or cropped image itself.
        int size = models.Inputs.ReadSize;
        var images = test.Select(t => RadiographReader.ReadResized(t.ImageId, size, size)).ToList();
        var truth = test.Select(t => info.Classes.ToList().IndexOf(t.Class)).ToList();
        int Classify(GreyImage image) => ArgMax(models.MeanProbabilities(new[] { image.Pixels })[0]);
        return RobustnessEvaluation.Run(images, truth, Classify);
    }

    /// <summary>The split of an earlier run of this folder (it must cover the same images), or a new one saved there.</summary>
    static ClassificationSplit OpenSplit(ClassifierJob job, DecodedSet data, IReadOnlyList<string> ids)
    {
        var path = Path.Combine(job.RunFolder, SplitFile);
        if (File.Exists(path))
        {
            var saved = ClassificationSplit.Load(path);
            if (!saved.Images.Select(i => i.ImageId).Order(StringComparer.Ordinal).SequenceEqual(ids.Order(StringComparer.Ordinal)))
                throw new InvalidDataException($"{job.RunFolder} holds a run on other images ({path}); a run folder only resumes the run that made it: choose a new -o");
            return saved;
        }
        var images = data.Items.Select((item, i) => new ClassifiedImage(ids[i], item.Patient, item.Class)).ToList();
        var split = ClassificationSplitter.Split(images, job.TestFraction, job.Folds, job.Training.Seed);
        split.Save(path);
        return split;
    }

    static double[][] Probabilities(TrainedModel trained, LabelledImages set, TrainingConfig config) =>
        // Test-time augmentation as the run records it (`--tta`), so predict and evaluate give these same answers.
        TestTimeAugmentation.Probabilities(trained.Model, set.Images, config.InputChannels, config.Recipe, config.TestTimeAugmentations,
                CheckpointInfo.DefaultTestTimeAugmentationSeed, config.BatchSize)
            .Select(p => p.Select(v => (double)v).ToArray()).ToArray();

    static int ArgMax(double[] p) => Array.IndexOf(p, p.Max());
}
