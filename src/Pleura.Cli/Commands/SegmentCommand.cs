using System.CommandLine;
using Pleura.Data;
using Pleura.Datasets;
using Pleura.Grading;
using Pleura.Imaging;
using Pleura.Networks;
using Pleura.Networks.Segmentation;
using Pleura.Segmentation;
using Pleura.Training;
using Spectre.Console;

namespace Pleura.Cli.Commands;

internal static class SegmentCommand
{
    public static Command Create() => new("segment", "Train, evaluate and apply U-Nets that segment structures (lungs, spine, opacity) from image + mask folders.")
    {
        TrainCommand(),
        EvaluateCommand(),
        PredictCommand(),
        OpacityCommand(),
        TrainZonesCommand(),
        ZonesCrossValidationCommand(),
        SpineBandCommand(),
    };

    /// <summary>The training options of an opacity map learned from zone scores (train-zones and zones-cv).</summary>
    sealed class ZoneTraining
    {
        readonly ZoneTrainingOptions _defaults = new();
        public readonly Option<FileInfo> Manifest = Cli.RequiredOption<FileInfo>("--manifest",
            "Manifest with BrixIA zone scores (brixia_a_r1 ... brixia_f_r2, from `pleura manifest brixia`) and lung masks (from `pleura segment predict LUNG_MODEL --manifest`).", "-m");
        public readonly Option<string> Arch;
        public readonly Option<int> Size, Epochs, Batch, Seed, Patience;
        public readonly Option<double> Lr;
        public readonly Option<FileInfo?> Pretrained = new("--pretrained") { Description = "Encoder weights (e.g. `pleura weights imagenet` for resnet18-cntk-unet, METHOD's start)." };

        public ZoneTraining()
        {
            Arch = Cli.Option("--arch", $"Network: {string.Join(", ", SegmentationArchitectures.Names)}.", _defaults.Architecture);
            Size = Cli.Option("--size", "Input size (square).", _defaults.Size).AtLeast(32);
            Epochs = Cli.Option("--epochs", "Epochs.", _defaults.Epochs).AtLeast(1);
            Batch = Cli.Option("--batch", "Batch size.", _defaults.BatchSize).AtLeast(1);
            Lr = Cli.Option("--lr", "Learning rate (Adam).", _defaults.LearningRate);
            Seed = Cli.Option("--seed", "Seed for initialisation and shuffling.", _defaults.Seed);
            Patience = Cli.Option("--patience", "Stop after this many epochs without a better validation loss (the best weights are kept).", _defaults.Patience).AtLeast(0);
        }

        public IEnumerable<Option> All => new Option[] { Manifest, Arch, Size, Epochs, Batch, Lr, Seed, Patience, Pretrained };

        public ZoneTrainingOptions Read(ParseResult parse) => new()
        {
            Architecture = parse.GetValue(Arch)!, Size = parse.GetValue(Size), Epochs = parse.GetValue(Epochs), BatchSize = parse.GetValue(Batch),
            LearningRate = parse.GetValue(Lr), Seed = parse.GetValue(Seed), Patience = parse.GetValue(Patience), Pretrained = parse.GetValue(Pretrained)?.FullName,
        };

        public Manifest Open(ParseResult parse)
        {
            var path = parse.GetValue(Manifest)!.FullName;
            var manifest = ManifestInput.Open(path, labelColumns: null);
            ZoneScoredImages.RequireColumns(manifest, path);
            return manifest;
        }
    }

    static Option<string[]> MaskOption() => new("--mask")
    {
        Description = "A structure and its masks, NAME=DIR (mask folder: same file names as the images, 0/255, or LabelMe .json), " +
                      "or with --manifest NAME=COLUMN (a manifest column of mask paths) or NAME=DIR (masks named as the images); repeat per structure.",
        Required = true,
        AllowMultipleArgumentsPerToken = true,
    };

    /// <summary>Where the training or test images come from: an image folder with mask folders, or a manifest with mask columns.</summary>
    sealed class ImageSource
    {
        public readonly Option<DirectoryInfo?> Images = new("--images") { Description = "Folder of images (with --mask NAME=DIR)." };
        public readonly Option<FileInfo?> Manifest = new("--manifest", "-m") { Description = "A manifest instead of a folder (with --mask NAME=COLUMN or NAME=DIR); parts held out by patient." };
        public readonly Option<string[]> Masks = MaskOption();
        public readonly Option<FileInfo[]> ExcludePatients = new("--exclude-patients")
        {
            Description = "With --manifest: leave out every image of a patient listed in this manifest (e.g. a study's, so that a lung model never saw its patients); repeatable.",
            AllowMultipleArgumentsPerToken = true,
        };

        public IEnumerable<Option> All => new Option[] { Images, Manifest, Masks, ExcludePatients };

        public (IReadOnlyList<SegmentationExample> Examples, IReadOnlyList<string> Structures) Read(ParseResult parse, IReadOnlyList<string>? order = null)
        {
            var pairs = parse.GetValue(Masks)!.Select(p =>
            {
                int eq = p.IndexOf('=');
                if (eq <= 0) throw new ArgumentException($"--mask '{p}' must look like NAME=DIR or NAME=COLUMN, e.g. left_lung=masks/left_lung");
                return (Name: p[..eq], Where: p[(eq + 1)..]);
            }).ToList();
            if (order is not null)
                pairs = order.Select(s => pairs.FirstOrDefault(g => g.Name == s) is { Name: not null } g ? g : throw new ArgumentException($"the model segments {s}: give --mask {s}=...")).ToList();
            var names = pairs.Select(p => p.Name).ToList();
            if (parse.GetValue(Manifest) is { } manifestFile)
            {
                var manifest = ManifestInput.Open(manifestFile.FullName, Array.Empty<string>());
                var excluded = parse.GetValue(ExcludePatients) is { Length: > 0 } others
                    ? others.SelectMany(o => ManifestInput.Open(o.FullName, Array.Empty<string>()).Rows.Select(r => r.PatientId)).ToHashSet()
                    : null;
                var examples = SegmentationExamples.FromManifest(manifest, pairs.Select(p => (p.Name, p.Where)).ToList(), excluded);
                if (excluded is not null)
                    AnsiConsole.MarkupLineInterpolated($"[grey]{manifest.Rows.Count(r => excluded.Contains(r.PatientId))} images of the {excluded.Count} excluded patients left out; {examples.Count} images with masks remain[/]");
                return (examples, names);
            }
            if (parse.GetValue(ExcludePatients) is { Length: > 0 }) throw new ArgumentException("--exclude-patients needs --manifest (image folders carry no patients)");
            var folder = parse.GetValue(Images) ?? throw new ArgumentException("give --images DIR with mask folders, or --manifest M with mask columns");
            foreach (var p in pairs) if (!Directory.Exists(p.Where)) throw new DirectoryNotFoundException($"{p.Where}: mask folder not found");
            return (SegmentationExamples.FromFolders(folder.FullName, pairs.Select(p => new StructureMasks(p.Name, p.Where)).ToList()), names);
        }
    }

    static void Show(IReadOnlyList<StructureScores> scores, string title)
    {
        var table = new Table().Title(Markup.Escape(title)).AddColumns("structure", "images", "Dice", "IoU", "HD95 (px)", "ASD (px)");
        foreach (var s in scores)
            table.AddRow(s.Structure, s.Images.ToString(), Markup.Escape(s.Dice.ToString()), Markup.Escape(s.IoU.ToString()),
                Markup.Escape(s.Hausdorff95.ToString()), Markup.Escape(s.AverageSurfaceDistance.ToString()));
        AnsiConsole.Write(table);
    }

    static Command TrainCommand()
    {
        var source = new ImageSource();
        var output = Cli.RequiredOption<FileInfo>("--out", "Model to write (.safetensors with a .json sidecar).", "-o");
        var arch = Cli.Option("--arch", $"Network: {string.Join(", ", SegmentationArchitectures.Names)}.", "unet-w16");
        var size = Cli.Option("--size", "Input size (square).", 256).AtLeast(32);
        var epochs = Cli.Option("--epochs", "Epochs.", 30).AtLeast(1);
        var batch = Cli.Option("--batch", "Batch size.", 8).AtLeast(1);
        var lr = Cli.Option("--lr", "Learning rate (Adam).", 1e-3);
        var test = Cli.Option("--test", "Share of images held out for the reported scores.", 0.1).Fraction();
        var seed = Cli.Option("--seed", "Seed for the hold-out, initialisation and shuffling.", 1);
        var patience = Cli.Option("--patience", "Stop after this many epochs without a better validation loss (the best weights are kept).", 10).AtLeast(0);
        var pretrained = new Option<FileInfo?>("--pretrained")
        {
            Description = "Backbone weights for a resnet*-unet's encoder (e.g. from `pleura weights imagenet` with resnet18-cntk-unet); " +
                          "their input recipe is recorded and used wherever the model runs.",
        };
        var command = new Command("train", "Train a U-Net (Dice + BCE) and score it on a held-out share of the images; stopped runs resume (OUT.work/).")
        {
            output, arch, size, epochs, batch, lr, test, seed, patience, pretrained,
        };
        foreach (var o in source.All) command.Options.Add(o);
        command.SetAction((parse, cancel) => Task.Run(() => Cli.Run(() =>
        {
            FolderOwner.RefuseOwnedFolderOf(parse.GetValue(output)!.FullName, "segment train");
            TorchRuntime.UseThreads(Environment.ProcessorCount);
            var (examples, structures) = source.Read(parse);
            var (scores, losses) = SegmentationJob.Train(examples, structures, parse.GetValue(output)!.FullName,
                parse.GetValue(arch)!, parse.GetValue(size), parse.GetValue(epochs), parse.GetValue(batch), parse.GetValue(lr), parse.GetValue(test), parse.GetValue(seed),
                m => AnsiConsole.MarkupLineInterpolated($"[grey]{m}[/]"), parse.GetValue(patience), parse.GetValue(pretrained)?.FullName, cancel);
            AnsiConsole.MarkupLineInterpolated($"[grey]training loss {losses[0]:0.000} -> {losses[^1]:0.000} over {losses.Count} epochs[/]");
            Show(scores, "held-out images");
            Cli.Done($"model written to {parse.GetValue(output)!.FullName}");
            return Cli.ExitOk;
        })));
        return command;
    }

    static Command EvaluateCommand()
    {
        var model = new Argument<FileInfo>("model") { Description = "A model from `pleura segment train`." };
        var source = new ImageSource();
        var bootstrap = Cli.Option("--bootstrap", "Bootstrap resamples for the 95% intervals.", 1000).AtLeast(0);
        var command = new Command("evaluate", "Dice, IoU, Hausdorff-95 and average surface distance per structure, with bootstrap intervals.") { model, bootstrap };
        foreach (var o in source.All) command.Options.Add(o);
        command.SetAction(parse => Cli.Run(() =>
        {
            var (network, structures, size, recipe) = SegmentationCheckpoint.Load(parse.GetValue(model)!.FullName);
            var (examples, _) = source.Read(parse, structures);
            var (files, x, truth, failures) = SegmentationExamples.Load(examples, structures, size);
            foreach (var f in failures) Cli.Warn($"unreadable, left out: {f.Path}: {f.Reason}");
            var scores = SegmentationJob.Score(SegmentationTraining.Predict(network, x, recipe: recipe), truth, structures, size, parse.GetValue(bootstrap));
            Show(scores, $"{files.Count} images at {size}x{size}");
            return Cli.ExitOk;
        }));
        return command;
    }

    static Command PredictCommand()
    {
        var model = new Argument<FileInfo>("model") { Description = "A model from `pleura segment train`." };
        var inputs = new Argument<string[]>("images") { Description = "Image files or folders.", Arity = ArgumentArity.ZeroOrMore };
        var output = Cli.RequiredOption<DirectoryInfo>("--out", "Folder for the masks (one subfolder per structure, PNG 0/255 at the model's input size).", "-o");
        var manifestIn = new Option<FileInfo?>("--manifest") { Description = "Predict lung masks for a manifest's images instead (post-processed and checked; a lung model with left_lung and right_lung)." };
        var manifestOut = new Option<FileInfo?>("--manifest-out") { Description = "With --manifest: the manifest copy with left_lung_mask / right_lung_mask columns (default: OUT/manifest.csv)." };
        var command = new Command("predict", "Write predicted masks for images, or lung masks for a manifest's images (for the lung and spine ROIs and HCS).") { model, inputs, output, manifestIn, manifestOut };
        command.SetAction(parse => Cli.Run(() =>
        {
            var owner = OutputOwners.Masks(parse.GetValue(model)!.FullName);
            owner.RefuseOtherOutput(parse.GetValue(output)!.FullName);
            if (parse.GetValue(manifestIn) is { } manifestFile)
            {
                var source = ManifestInput.Open(manifestFile.FullName, Array.Empty<string>());
                var (updated, flags, failed) = LungMaskJob.Run(parse.GetValue(model)!.FullName, source, parse.GetValue(output)!.FullName);
                foreach (var f in failed) Cli.Warn($"could not read {f.Path}: {f.Reason}");
                foreach (var f in flags) Cli.Warn($"{f.ImageId}: {f.Reason}");
                var target = parse.GetValue(manifestOut)?.FullName ?? Path.Combine(parse.GetValue(output)!.FullName, "manifest.csv");
                owner.ClaimOutput(parse.GetValue(output)!.FullName);
                ManifestCsv.Write(updated, target);
                Cli.Done($"lung masks in {parse.GetValue(output)!.FullName}; manifest with mask columns: {target}; {flags.Count} flagged, {failed.Count} unreadable");
                return failed.Count > 0 ? Cli.ExitInvalidData : Cli.ExitOk;
            }
            var (network, structures, size, recipe) = SegmentationCheckpoint.Load(parse.GetValue(model)!.FullName);
            var files = ImagePrediction.ExpandInputs(parse.GetValue(inputs)!);
            if (files.Count == 0) throw new ArgumentException("give image files or folders, or --manifest");
            using var read = ImageTensors.Read(files, size, ErrorPolicy.Continue);
            foreach (var f in read.Failures) Cli.Warn($"could not read {f.Path}: {f.Reason}");
            var predicted = SegmentationTraining.Predict(network, read.Images.Images, recipe: recipe);
            for (int k = 0; k < read.Readable.Count; k++)
                for (int s = 0; s < structures.Count; s++)
                    PngWriter.WriteMask(Path.Combine(parse.GetValue(output)!.FullName, structures[s], Path.GetFileNameWithoutExtension(files[read.Readable[k]]) + ".png"), predicted[k][s], size, size);
            owner.ClaimOutput(parse.GetValue(output)!.FullName);
            Cli.Done($"masks of {read.Readable.Count} images in {parse.GetValue(output)!.FullName}; {read.Failures.Count} unreadable");
            return read.Failures.Count > 0 ? Cli.ExitInvalidData : Cli.ExitOk;
        }));
        return command;
    }

    static Command OpacityCommand()
    {
        var model = new Argument<FileInfo>("model") { Description = "An opacity model from `pleura segment train` (structure 'opacity')." };
        var manifest = Cli.RequiredOption<FileInfo>("--manifest", "Manifest with lung masks (left_lung_mask / right_lung_mask or lung_mask), grades, and optionally opacity_mask and outcome columns.", "-m");
        var split = new Option<FileInfo?>("--split", "-s") { Description = "Score only a part of this split (with --part)." };
        var part = Cli.Option("--part", "Part of the split: train, validation, test or oob.", "test");
        var fold = Cli.Option("--fold", "Fold of the split.", 1).AtLeast(1);
        var bootstrap = Cli.Option("--bootstrap", "Bootstrap iterations for the intervals.", 1000).AtLeast(0);
        var output = Cli.RequiredOption<DirectoryInfo>("--out", "Folder for opacity.csv (per image) and the summary.", "-o");
        var overlays = Cli.Option("--overlays", "Also draw the map over this many images (OUT/overlays/: heat, lung outlines with their three zones, fractions and grades).", 0).AtLeast(0);
        var command = new Command("opacity", "Opacity segmentation as a grader: per-lung opaque fraction -> grade, % of the lungs opaque, agreement with the readers, Dice, and outcome AUCs (went_icu, survival).")
        {
            model, manifest, split, part, fold, bootstrap, output, overlays,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var folder = parse.GetValue(output)!.FullName;
            var owner = OutputOwners.Opacity(parse.GetValue(model)!.FullName, parse.GetValue(manifest)!.FullName);
            owner.RefuseOtherOutput(folder);
            var data = ManifestInput.Open(parse.GetValue(manifest)!.FullName, labelColumns: null);
            IReadOnlyList<ManifestRow> rows = data.Rows;
            if (parse.GetValue(split) is { } splitFile)
            {
                var plan = SplitPlan.Load(splitFile.FullName);
                if (SplitBinding.Check(plan, data, splitFile.FullName, parse.GetValue(manifest)!.FullName) is { } note) Cli.Warn(note);
                var ids = plan.Images(Pleura.Cli.Commands.EvaluateCommand.ParsePart(parse.GetValue(part)!), parse.GetValue(fold)).ToHashSet();
                rows = data.Rows.Where(r => ids.Contains(r.ImageId)).ToList();
            }
            var result = OpacityJob.Evaluate(parse.GetValue(model)!.FullName, data, rows, Side.Left, Side.Right, parse.GetValue(bootstrap));
            owner.ClaimOutput(folder);
            OpacityJob.WriteImages(Path.Combine(folder, "opacity.csv"), result.Images);
            OpacityJob.WriteSummary(Path.Combine(folder, "summary.csv"), result);
            if (parse.GetValue(overlays) is > 0 and var count)
                Cli.Done($"{OpacityJob.WriteOverlays(parse.GetValue(model)!.FullName, data, rows, Path.Combine(folder, "overlays"), count, Side.Left, Side.Right).Count} overlays in {Path.Combine(folder, "overlays")}");
            foreach (var f in result.Failures) Cli.Warn($"could not read {f.Path}: {f.Reason}");
            if (result.WithoutLungMasks > 0) Cli.Warn($"{result.WithoutLungMasks} image(s) have no lung mask and were left out (run `pleura segment predict --manifest` with a lung model first)");
            var table = new Table().AddColumns("side", "images", "macro MAE", "MAE", "weighted F1", "quadratic kappa");
            foreach (var (side, metrics) in result.GradeAgreement)
            {
                string M(string name) { var m = metrics.First(x => x.Name == name); return double.IsNaN(m.Low) ? $"{m.Value:0.000}" : $"{m.Value:0.000} [{m.Low:0.000}, {m.High:0.000}]"; }
                table.AddRow(new[] { side, result.Images.Count.ToString(), M(Pleura.Evaluation.MetricTable.MacroMae), M("mae"), M(Pleura.Evaluation.MetricTable.F1Weighted), M(Pleura.Evaluation.MetricTable.QuadraticKappa) }.Select(Markup.Escape).ToArray());
            }
            AnsiConsole.Write(table);
            if (result.Dice is { } dice) AnsiConsole.MarkupLineInterpolated($"Dice against the true opacity masks: {dice.Estimate:0.000} [[{dice.Low:0.000}, {dice.High:0.000}]]");
            foreach (var o in result.Outcomes)
                AnsiConsole.MarkupLineInterpolated($"% opacity predicting {o.Column} ({o.PositiveMeans}: {o.Positives} vs {o.Negatives}): AUC {o.Auc.Estimate:0.000} [[{o.Auc.Low:0.000}, {o.Auc.High:0.000}]]");
            Cli.Done($"per-image opacity in {Path.Combine(folder, "opacity.csv")}; every figure in summary.csv");
            return Cli.ExitOk;
        }));
        return command;
    }

    static Command TrainZonesCommand()
    {
        var zones = new ZoneTraining();
        var output = Cli.RequiredOption<FileInfo>("--out", "Opacity model to write (.safetensors with a .json sidecar; structure 'opacity').", "-o");
        var split = new Option<FileInfo?>("--split", "-s") { Description = "Train on this split's training part and validate on its validation part (test and OOB untouched); default: a tenth of the patients validates." };
        var fold = Cli.Option("--fold", "Fold of the split.", 1).AtLeast(1);
        var command = new Command("train-zones", "Train an opacity U-Net from zone scores (BrixIA, both readers; no drawn opacity): a multiple-instance loss per lung zone " +
                                                 "(zones = thirds of each lung mask's height). Writes an ordinary opacity model for `segment opacity`, `segment predict` and `serve`.")
        {
            output, split, fold,
        };
        foreach (var o in zones.All) command.Options.Add(o);
        command.SetAction((parse, cancel) => Task.Run(() => Cli.Run(() =>
        {
            FolderOwner.RefuseOwnedFolderOf(parse.GetValue(output)!.FullName, "segment train-zones");
            TorchRuntime.UseThreads(Environment.ProcessorCount);
            var manifest = zones.Open(parse);
            var scored = manifest.Rows.Where(r => ZoneTargets.Of(r) is not null).ToList();
            SplitPlan plan;
            int useFold = parse.GetValue(fold);
            IReadOnlyList<SplitPart> trainParts;
            if (parse.GetValue(split) is { } splitFile)
            {
                plan = SplitPlan.Load(splitFile.FullName);
                if (SplitBinding.Check(plan, manifest, splitFile.FullName, parse.GetValue(zones.Manifest)!.FullName) is { } note) Cli.Warn(note);
                trainParts = [SplitPart.Train];
            }
            else
            {
                // Patients dealt into ten groups: one validates, the other nine train.
                plan = PatientSplitter.Split(new Manifest(scored, manifest.ExtraColumns, manifest.BaseDirectory),
                    new SplitOptions { Seed = parse.GetValue(zones.Seed), OutOfBoxFraction = 0, Folds = 1, StratifyBy = ["left_grade", "right_grade"] });
                (useFold, trainParts) = (1, [SplitPart.Train, SplitPart.Test]);
            }
            List<ManifestRow> Rows(IReadOnlyList<SplitPart> parts)
            {
                var ids = parts.SelectMany(p => plan.Images(p, useFold)).ToHashSet();
                return scored.Where(r => ids.Contains(r.ImageId)).ToList();
            }
            var result = ZoneOpacityJob.Train(manifest, Rows(trainParts), Rows([SplitPart.Validation]), parse.GetValue(output)!.FullName, zones.Read(parse),
                m => AnsiConsole.MarkupLineInterpolated($"[grey]{m}[/]"), cancel);
            Cli.Done($"opacity model written to {parse.GetValue(output)!.FullName} (best validation loss {result.BestValidationLoss:0.0000})");
            return Cli.ExitOk;
        })));
        return command;
    }

    static Command ZonesCrossValidationCommand()
    {
        var zones = new ZoneTraining();
        var output = Cli.RequiredOption<DirectoryInfo>("--out", "Folder for the fold models (fold-F/opacity.safetensors), split.json, predictions.csv and metrics.csv.", "-o");
        var folds = Cli.Option("--folds", "Patient-level folds (each patient tested once; fold f validates on group f+1).", 5).AtLeast(3);
        var splitSeed = Cli.Option("--split-seed", "Seed of the patient-level split.", 7);
        var bootstrap = Cli.Option("--bootstrap", "Bootstrap resamples of patients for the 95% intervals.", 1000).AtLeast(1);
        var command = new Command("zones-cv", "Cross-validate an opacity U-Net trained from zone scores by patient: zone AUC, per-lung grade from the opaque fraction " +
                                              "against each reader (macro MAE), Spearman of % opacity with the global score, with intervals over patients.")
        {
            output, folds, splitSeed, bootstrap,
        };
        foreach (var o in zones.All) command.Options.Add(o);
        command.SetAction((parse, cancel) => Task.Run(() => Cli.Run(() =>
        {
            TorchRuntime.UseThreads(Environment.ProcessorCount);
            var manifest = zones.Open(parse);
            var folder = parse.GetValue(output)!.FullName;
            var figures = ZoneOpacityJob.CrossValidate(manifest, parse.GetValue(folds), parse.GetValue(splitSeed), zones.Read(parse), folder, parse.GetValue(bootstrap),
                m => AnsiConsole.MarkupLineInterpolated($"[grey]{m}[/]"), cancel);
            var table = new Table().AddColumns("figure", "value (95% CI over patients)", "n");
            foreach (var f in figures) table.AddRow(Markup.Escape(f.Name), Markup.Escape($"{f.Value.Estimate:0.000} [{f.Value.Low:0.000}, {f.Value.High:0.000}]"), f.Count.ToString());
            AnsiConsole.Write(table);
            Cli.Done($"out-of-fold predictions and figures in {folder} (predictions.csv, metrics.csv)");
            return Cli.ExitOk;
        })));
        return command;
    }

    static Command SpineBandCommand()
    {
        var left = Cli.RequiredOption<DirectoryInfo>("--left", "Folder of left-lung masks.");
        var right = Cli.RequiredOption<DirectoryInfo>("--right", "Folder of right-lung masks with the same file names.");
        var output = Cli.RequiredOption<DirectoryInfo>("--out", "Folder for the band masks (PNG 0/255, same names).", "-o");
        var command = new Command("spine-band", "Derive spine / mediastinum band masks from lung masks (the region between the lungs' medial borders): training data for a spine U-Net.")
        {
            left, right, output,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var owner = OutputOwners.SpineBand(parse.GetValue(left)!.FullName, parse.GetValue(right)!.FullName);
            owner.RefuseOtherOutput(parse.GetValue(output)!.FullName);
            var (written, failures) = SpineBandJob.Write(parse.GetValue(left)!.FullName, parse.GetValue(right)!.FullName, parse.GetValue(output)!.FullName);
            owner.ClaimOutput(parse.GetValue(output)!.FullName);
            foreach (var f in failures) Cli.Warn($"{f.Path}: {f.Reason}");
            Cli.Done($"{written} band masks in {parse.GetValue(output)!.FullName}; {failures.Count} left out");
            return failures.Count > 0 ? Cli.ExitInvalidData : Cli.ExitOk;
        }));
        return command;
    }
}
