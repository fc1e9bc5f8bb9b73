using Pleura.Data;
using Pleura.Datasets;
using Pleura.Evaluation;
using Pleura.Imaging;
using Pleura.Imaging.Roi;
using Pleura.Networks.Segmentation;
using Pleura.Training;

namespace Pleura.Segmentation;

/// <summary>Settings of an opacity map learned from zone scores.</summary>
public sealed record ZoneTrainingOptions
{
    /// <summary>METHOD's opacity U-Net: the ImageNet ResNet-18's encoder (with <see cref="Pretrained"/>).</summary>
    public string Architecture { get; init; } = "resnet18-cntk-unet";
    public int Size { get; init; } = 224;
    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 8;
    public double LearningRate { get; init; } = 3e-4;
    public int Seed { get; init; } = 1;
    public int Patience { get; init; } = 4;
    public string? Pretrained { get; init; }
}

/// <summary>One image's opacity map read by zone: per zone (BrixIA's A-F) the mean probability and the opaque share
/// (probability >= 0.5), and per lung the opaque fraction and grade.</summary>
public sealed record ZoneOpacityImage(string ImageId, string PatientId, double[] ZoneMean, double[] ZoneOpaque, OpacityMeasure Measure);

/// <summary>One figure of a zone-supervised model's evaluation, with its interval over patients.</summary>
public sealed record ZoneFigure(string Name, string Meaning, BootstrapEstimate Value, int Count);

/// <summary>
/// `pleura segment train-zones` and `segment zones-cv`: an opacity U-Net whose pixel map is learned from zone scores
/// (BrixIA's six per image, both readers; <see cref="ZoneLoss"/>) with the lung zones placed by the lung masks
/// (<see cref="LungZones"/>). The result is an ordinary opacity checkpoint (structure "opacity"), so `segment opacity`,
/// `segment predict` and `serve` take it. Cross-validation by patient scores every image by a model that never saw
/// its patient: zone AUC, per-lung grade from the opaque fraction against each reader, and the rank correlation of
/// % opacity with the global score.
/// </summary>
public static class ZoneOpacityJob
{
    public const string Structure = "opacity";

    /// <summary>Trains on <paramref name="train"/>, validates on <paramref name="validation"/> (early stopping, best
    /// weights) and writes the checkpoint; OUTPUT.work/ makes a stopped run resumable.</summary>
    public static TrainingResult Train(Manifest manifest, IReadOnlyList<ManifestRow> train, IReadOnlyList<ManifestRow> validation, string output,
        ZoneTrainingOptions options, Action<string>? log = null, CancellationToken cancel = default)
    {
        int multiple = SegmentationArchitectures.SizeMultiple(options.Architecture);
        if (options.Size % multiple != 0) throw new ArgumentException($"{options.Architecture} needs an input size that is a multiple of {multiple}, not {options.Size}");
        using var trainSet = ZoneScoredImages.Load(manifest, train, options.Size);
        using var validationSet = ZoneScoredImages.Load(manifest, validation, options.Size);
        foreach (var f in trainSet.Failures.Concat(validationSet.Failures)) log?.Invoke($"left out: {f.Path}: {f.Reason}");
        if (trainSet.Rows.Count == 0 || validationSet.Rows.Count == 0)
            throw new InvalidDataException($"zone training needs scored images with lung masks in both parts: {trainSet.Rows.Count} training, {validationSet.Rows.Count} validation");
        log?.Invoke($"{trainSet.Rows.Count} training and {validationSet.Rows.Count} validation images at {options.Size}x{options.Size}, six zones each, both readers");
        var (model, recipe) = SegmentationJob.NewModel(options.Architecture, 1, options.Seed, options.Pretrained, log);
        var settings = new SegmentationSettings
        {
            Epochs = options.Epochs, BatchSize = options.BatchSize, LearningRate = options.LearningRate, Seed = options.Seed, Patience = options.Patience,
            Input = recipe, Objective = ZoneLoss.Name,
        };
        var result = new SegmentationTrainer(model, settings, output + ".work").Train(trainSet.Images, trainSet.Masks, trainSet.Labels,
            validationSet.Images, validationSet.Masks, validationSet.Labels,
            e => log?.Invoke($"epoch {e.Epoch}/{options.Epochs}, training loss {e.TrainLoss:0.0000}, validation loss {e.ValidationLoss:0.0000}"), cancel);
        if (result.StopReason is { } reason) log?.Invoke(reason);
        SegmentationCheckpoint.Save(output, model, options.Architecture, [Structure], options.Size, options.Epochs, recipe, options.Pretrained, [], []);
        return result;
    }

    /// <summary>An opacity model's map on the rows, read by zone and by lung (rows that cannot be placed are failures).</summary>
    public static (IReadOnlyList<ZoneOpacityImage> Images, IReadOnlyList<ImageFailure> Failures) Score(string modelPath, Manifest manifest, IReadOnlyList<ManifestRow> rows)
    {
        var (network, structures, size, recipe) = SegmentationCheckpoint.Load(modelPath);
        int channel = structures.ToList().FindIndex(s => s.Equals(Structure, StringComparison.OrdinalIgnoreCase));
        if (channel < 0) throw new ArgumentException($"{modelPath} segments {string.Join(", ", structures)}; an opacity model segments '{Structure}'");
        using var set = ZoneScoredImages.Load(manifest, rows, size);
        var maps = SegmentationTraining.Probabilities(network, set.Images, recipe: recipe);
        var images = new List<ZoneOpacityImage>();
        for (int n = 0; n < set.Rows.Count; n++)
        {
            var map = maps[n][channel];
            var zones = set.Zones[n];
            var mean = new double[LungZones.Order.Count];
            var opaque = new double[LungZones.Order.Count];
            for (int z = 0; z < LungZones.Order.Count; z++)
            {
                var mask = zones.Mask(LungZones.Order[z]);
                double sum = 0, area = 0, over = 0;
                for (int i = 0; i < mask.Length; i++)
                    if (mask[i]) { area++; sum += map[i]; if (map[i] >= 0.5f) over++; }
                mean[z] = area == 0 ? double.NaN : sum / area;
                opaque[z] = area == 0 ? double.NaN : over / area;
            }
            // Per lung, the fourth study's one definition of the opaque fraction, as `segment opacity` reads it.
            var measure = OpacityMeasure.From(map.Select(v => v >= 0.5f).ToArray(), set.Lungs[n]);
            images.Add(new ZoneOpacityImage(set.Rows[n].ImageId, set.Rows[n].PatientId, mean, opaque, measure));
        }
        return (images, set.Failures);
    }

    /// <summary>
    /// Patient-level cross-validation over every scored image: the patients dealt into <paramref name="folds"/>
    /// groups (stratified by the senior reader's lung grades); fold f tests on group f, validates on group f+1 and
    /// trains on the rest. Models and predictions go to <paramref name="folder"/> (fold-F/opacity.safetensors, resumed
    /// when present; predictions.csv; metrics.csv).
    /// </summary>
    public static IReadOnlyList<ZoneFigure> CrossValidate(Manifest manifest, int folds, int splitSeed, ZoneTrainingOptions options, string folder,
        int bootstrap = 1000, Action<string>? log = null, CancellationToken cancel = default)
    {
        var scored = manifest.Rows.Where(r => ZoneTargets.Of(r) is not null).ToList();
        var data = new Manifest(scored, manifest.ExtraColumns, manifest.BaseDirectory);
        var plan = PatientSplitter.Split(data, new SplitOptions
        {
            Seed = splitSeed, OutOfBoxFraction = 0, Folds = folds, Groups = folds, StratifyBy = ["left_grade", "right_grade"],
        });
        // The fold models are reused on a rerun, so only with the settings and data that made them; any other owner's
        // folder (a study, a run, another cross-validation) is refused before anything is written.
        OutputOwners.ZoneCrossValidation(data.Fingerprint(), folds, splitSeed, System.Text.Json.JsonSerializer.Serialize(options)).ClaimOutput(folder);
        plan.Save(Path.Combine(folder, "split.json"));
        var predicted = new List<(int Fold, ZoneOpacityImage Image)>();
        for (int fold = 1; fold <= folds; fold++)
        {
            List<ManifestRow> Part(SplitPart part) { var ids = plan.Images(part, fold).ToHashSet(); return scored.Where(r => ids.Contains(r.ImageId)).ToList(); }
            var model = Path.Combine(folder, $"fold-{fold}", "opacity.safetensors");
            if (!File.Exists(model))
            {
                log?.Invoke($"fold {fold}/{folds}");
                Train(data, Part(SplitPart.Train), Part(SplitPart.Validation), model, options, log, cancel);
            }
            var (images, failures) = Score(model, data, Part(SplitPart.Test));
            foreach (var f in failures) log?.Invoke($"fold {fold}: not scored: {f.Path}: {f.Reason}");
            predicted.AddRange(images.Select(i => (fold, i)));
        }
        WritePredictions(Path.Combine(folder, "predictions.csv"), predicted);
        var figures = Figures(data, predicted.Select(p => p.Image).ToList(), bootstrap);
        WriteFigures(Path.Combine(folder, "metrics.csv"), figures);
        return figures;
    }

    /// <summary>
    /// The fourth study's figures on images scored by models that never saw them, each with a percentile interval
    /// over patients: zone AUC (mean probability of the zone against "scored > 0") per reader; per-lung grade from the
    /// opaque fraction against each reader (macro MAE, mean of the sides); Spearman's rho of % of the lungs opaque and of
    /// the summed zone means with each reader's global score; % opacity against each outcome column the manifest has
    /// (<see cref="OpacityJob.Outcomes"/>, ROC AUC).
    /// </summary>
    public static IReadOnlyList<ZoneFigure> Figures(Manifest manifest, IReadOnlyList<ZoneOpacityImage> images, int bootstrap = 1000, int seed = 0)
    {
        var byId = manifest.Rows.ToDictionary(r => r.ImageId);
        var patients = images.GroupBy(i => i.PatientId, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => g.ToList()).ToList();
        List<ZoneOpacityImage> Drawn(IReadOnlyList<int> draw) => draw.SelectMany(p => patients[p]).ToList();
        BootstrapEstimate OverPatients(Func<List<ZoneOpacityImage>, double> statistic) =>
            Bootstrap.Percentile(patients.Count, draw => statistic(Drawn(draw)), bootstrap, 0.95, seed);
        var figures = new List<ZoneFigure>();
        foreach (int reader in new[] { 1, 2 })
        {
            string who = reader == 1 ? "senior reader" : "junior reader";
            IEnumerable<(int Truth, double Score)> Zones(List<ZoneOpacityImage> set) => set.SelectMany(i => BrixiaImport.Zones.Select((z, k) =>
                (Truth: Manifest.Grade(byId[i.ImageId], BrixiaImport.ZoneColumn(z, reader)) ?? -1, Score: i.ZoneMean[k]))).Where(p => p.Truth >= 0 && !double.IsNaN(p.Score));
            double ZoneAuc(List<ZoneOpacityImage> set)
            {
                var pairs = Zones(set).ToList();
                var truth = pairs.Select(p => p.Truth > 0 ? 1 : 0).ToList();
                return truth.Distinct().Count() < 2 ? double.NaN : Roc.Auc(truth, pairs.Select(p => p.Score).ToList());
            }
            figures.Add(new ZoneFigure($"zone_auc_r{reader}", $"zone's mean opacity probability against 'scored > 0' by the {who}", OverPatients(ZoneAuc), Zones(images.ToList()).Count()));

            var lungs = images.SelectMany(i => new[] { ("left", i.Measure.LeftFraction), ("right", i.Measure.RightFraction) }.Select(s =>
                (i, s.Item1, Truth: Manifest.Grade(byId[i.ImageId], s.Item1 + (reader == 1 ? "_grade" : "_grade_r2")), Fraction: s.Item2)))
                .Where(l => l.Truth is >= 0 and <= 3 && !double.IsNaN(l.Fraction))
                .Select(l => new GradedLung(l.i.ImageId, l.i.PatientId, l.Item2, l.Truth!.Value, OpacityGrade.FromFraction(l.Fraction))).ToList();
            if (lungs.Count > 0 && PatientBootstrap.Estimate(lungs, bootstrap, seed).FirstOrDefault(e => e.Metric == MetricTable.MacroMae && e.Side == "mean") is { Metric: not null } mae)
                figures.Add(new ZoneFigure($"lung_grade_macro_mae_r{reader}", $"per-lung grade from the opaque fraction against the {who} (mean of the sides)", mae.Estimate, lungs.Count));

            string global = $"brixia_global_r{reader}";
            double Rho(List<ZoneOpacityImage> set, Func<ZoneOpacityImage, double> score)
            {
                var known = set.Select(i => (Score: score(i), Global: Manifest.Grade(byId[i.ImageId], global))).Where(p => p.Global is not null && !double.IsNaN(p.Score)).ToList();
                return RankCorrelation.Spearman(known.Select(p => p.Score).ToList(), known.Select(p => (double)p.Global!.Value).ToList());
            }
            int withGlobal = images.Count(i => Manifest.Grade(byId[i.ImageId], global) is not null);
            figures.Add(new ZoneFigure($"spearman_percent_global_r{reader}", $"Spearman of % of the lungs opaque with the {who}'s global score", OverPatients(s => Rho(s, i => i.Measure.PercentOfLungs)), withGlobal));
            figures.Add(new ZoneFigure($"spearman_zone_sum_global_r{reader}", $"Spearman of the summed zone mean probabilities with the {who}'s global score", OverPatients(s => Rho(s, i => i.ZoneMean.Sum())), withGlobal));
        }
        foreach (var (column, positive, meaning) in OpacityJob.Outcomes)
        {
            if (!manifest.ExtraColumns.Contains(column)) continue;
            double OutcomeAuc(List<ZoneOpacityImage> set)
            {
                var known = set.Where(i => byId[i.ImageId].GetExtra(column) is "Y" or "N").ToList();
                var truth = known.Select(i => byId[i.ImageId].GetExtra(column) == positive ? 1 : 0).ToList();
                return truth.Distinct().Count() < 2 ? double.NaN : Roc.Auc(truth, known.Select(i => i.Measure.PercentOfLungs).ToList());
            }
            var answers = images.Select(i => byId[i.ImageId].GetExtra(column)).Where(v => v is "Y" or "N").ToList();
            // An AUC needs both answers: where every answered image has the same one there is nothing to rank, so no row (not a NaN row).
            if (answers.Distinct().Count() == 2)
                figures.Add(new ZoneFigure($"outcome_auc_{column}", $"% of the lungs opaque predicting {meaning} (ROC AUC)", OverPatients(OutcomeAuc), answers.Count));
        }
        return figures;
    }

    static void WritePredictions(string path, IReadOnlyList<(int Fold, ZoneOpacityImage Image)> predicted) =>
        CsvOutput.Write(path, new[] { "image_id", "patient_id", "fold" }.Concat(BrixiaImport.Zones.Select(z => $"mean_{z.ToLowerInvariant()}"))
                .Concat(BrixiaImport.Zones.Select(z => $"opaque_{z.ToLowerInvariant()}")).Concat(["left_fraction", "right_fraction", "percent_of_lungs"]),
            predicted.Select(p => new[] { p.Image.ImageId, p.Image.PatientId, CsvOutput.Integer(p.Fold) }
                .Concat(p.Image.ZoneMean.Select(v => CsvText.Number(v))).Concat(p.Image.ZoneOpaque.Select(v => CsvText.Number(v)))
                .Concat([CsvText.Number(p.Image.Measure.LeftFraction), CsvText.Number(p.Image.Measure.RightFraction), CsvText.Number(p.Image.Measure.PercentOfLungs)])));

    public static void WriteFigures(string path, IReadOnlyList<ZoneFigure> figures) =>
        CsvOutput.Write(path, ["name", "value", "ci_low", "ci_high", "n", "meaning"],
            figures.Select(f => new[] { f.Name, CsvText.Number(f.Value.Estimate), CsvText.Number(f.Value.Low), CsvText.Number(f.Value.High), CsvOutput.Integer(f.Count), f.Meaning }));
}
