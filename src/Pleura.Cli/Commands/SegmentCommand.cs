using Pleura.Data;
using System.CommandLine;
using Pleura.Imaging;
using Pleura.Networks;
using Pleura.Networks.Segmentation;
using Pleura.Pipeline;
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
    };

    static Option<string[]> MaskOption() => new("--mask")
    {
        Description = "A structure and its mask folder, NAME=DIR (same file names as the images, 0/255); repeat per structure.",
        Required = true,
        AllowMultipleArgumentsPerToken = true,
    };

    static List<StructureMasks> ParseMasks(IEnumerable<string> pairs) => pairs.Select(p =>
    {
        int eq = p.IndexOf('=');
        if (eq <= 0) throw new ArgumentException($"--mask '{p}' must look like NAME=DIR, e.g. left_lung=masks/left_lung");
        var folder = p[(eq + 1)..];
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: mask folder not found");
        return new StructureMasks(p[..eq], folder);
    }).ToList();

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
        var images = Cli.RequiredOption<DirectoryInfo>("--images", "Folder of images.");
        var masks = MaskOption();
        var output = Cli.RequiredOption<FileInfo>("--out", "Model to write (.safetensors with a .json sidecar).", "-o");
        var arch = Cli.Option("--arch", $"Network: {string.Join(", ", SegmentationArchitectures.Names)}.", "unet-w16");
        var size = Cli.Option("--size", "Input size (square).", 256);
        var epochs = Cli.Option("--epochs", "Epochs.", 30);
        var batch = Cli.Option("--batch", "Batch size.", 8);
        var lr = Cli.Option("--lr", "Learning rate (Adam).", 1e-3);
        var test = Cli.Option("--test", "Share of images held out for the reported scores.", 0.1);
        var seed = Cli.Option("--seed", "Seed for the hold-out, initialisation and shuffling.", 1);
        var command = new Command("train", "Train a U-Net (Dice + BCE) and score it on a held-out share of the images.")
        {
            images, masks, output, arch, size, epochs, batch, lr, test, seed,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            TorchRuntime.UseThreads(Environment.ProcessorCount);
            var (scores, losses) = SegmentationJob.Train(parse.GetValue(images)!.FullName, ParseMasks(parse.GetValue(masks)!), parse.GetValue(output)!.FullName,
                parse.GetValue(arch)!, parse.GetValue(size), parse.GetValue(epochs), parse.GetValue(batch), parse.GetValue(lr), parse.GetValue(test), parse.GetValue(seed),
                m => AnsiConsole.MarkupLineInterpolated($"[grey]{m}[/]"));
            AnsiConsole.MarkupLineInterpolated($"[grey]training loss {losses[0]:0.000} -> {losses[^1]:0.000} over {losses.Count} epochs[/]");
            Show(scores, "held-out images");
            Cli.Done($"model written to {parse.GetValue(output)!.FullName}");
            return Cli.ExitOk;
        }));
        return command;
    }

    static Command EvaluateCommand()
    {
        var model = new Argument<FileInfo>("model") { Description = "A model from `pleura segment train`." };
        var images = Cli.RequiredOption<DirectoryInfo>("--images", "Folder of images.");
        var masks = MaskOption();
        var bootstrap = Cli.Option("--bootstrap", "Bootstrap resamples for the 95% intervals.", 1000);
        var command = new Command("evaluate", "Dice, IoU, Hausdorff-95 and average surface distance per structure, with bootstrap intervals.") { model, images, masks, bootstrap };
        command.SetAction(parse => Cli.Run(() =>
        {
            var (network, structures, size) = SegmentationJob.LoadModel(parse.GetValue(model)!.FullName);
            var given = ParseMasks(parse.GetValue(masks)!);
            var ordered = structures.Select(s => given.FirstOrDefault(g => g.Name == s) ?? throw new ArgumentException($"the model segments {s}: give --mask {s}=DIR")).ToList();
            var (files, x, truth, failures) = SegmentationJob.Load(parse.GetValue(images)!.FullName, ordered, size);
            foreach (var f in failures) Cli.Warn($"unreadable, left out: {f.Path}: {f.Reason}");
            var scores = SegmentationJob.Score(SegmentationTraining.Predict(network, x), truth, structures, size, parse.GetValue(bootstrap));
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
            if (parse.GetValue(manifestIn) is { } manifestFile)
            {
                var report = new ValidationReport();
                var source = ManifestCsv.Read(manifestFile.FullName, report);
                var (updated, flags, failed) = LungMaskJob.Run(parse.GetValue(model)!.FullName, source, parse.GetValue(output)!.FullName);
                foreach (var f in failed) Cli.Warn($"could not read {f.Path}: {f.Reason}");
                foreach (var f in flags) Cli.Warn($"{f.ImageId}: {f.Reason}");
                var target = parse.GetValue(manifestOut)?.FullName ?? Path.Combine(parse.GetValue(output)!.FullName, "manifest.csv");
                ManifestCsv.Write(updated, target);
                Cli.Done($"lung masks in {parse.GetValue(output)!.FullName}; manifest with mask columns: {target}; {flags.Count} flagged, {failed.Count} unreadable");
                return failed.Count > 0 ? Cli.ExitInvalidData : Cli.ExitOk;
            }
            var (network, structures, size) = SegmentationJob.LoadModel(parse.GetValue(model)!.FullName);
            var files = ImagePrediction.ExpandInputs(parse.GetValue(inputs)!);
            if (files.Count == 0) throw new ArgumentException("give image files or folders, or --manifest");
            using var read = ImageTensors.Read(files, size, ErrorPolicy.Continue);
            foreach (var f in read.Failures) Cli.Warn($"could not read {f.Path}: {f.Reason}");
            var predicted = SegmentationTraining.Predict(network, read.Images.Images);
            for (int k = 0; k < read.Readable.Count; k++)
                for (int s = 0; s < structures.Count; s++)
                    PngWriter.WriteMask(Path.Combine(parse.GetValue(output)!.FullName, structures[s], Path.GetFileNameWithoutExtension(files[read.Readable[k]]) + ".png"), predicted[k][s], size, size);
            Cli.Done($"masks of {read.Readable.Count} images in {parse.GetValue(output)!.FullName}; {read.Failures.Count} unreadable");
            return read.Failures.Count > 0 ? Cli.ExitInvalidData : Cli.ExitOk;
        }));
        return command;
    }
}
