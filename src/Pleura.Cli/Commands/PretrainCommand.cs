using System.CommandLine;
using Pleura.Datasets;
using Pleura.Imaging;
using Pleura.Transfer;
using Spectre.Console;

namespace Pleura.Cli.Commands;

internal static class PretrainCommand
{
    /// <summary>How a label table names its fields: shared by every command that reads a labelled set.</summary>
    internal sealed class LabelOptions
    {
        public readonly Option<string[]> Classes = new("--classes") { Description = "Classes to use, in label order (default: all, sorted).", AllowMultipleArgumentsPerToken = true };
        public readonly Option<string> PathColumn = Cli.Option("--path-column", "Column of the label table with the image path.", "path");
        public readonly Option<string> ClassColumn = Cli.Option("--class-column", "Column of the label table with the class.", "class");
        public readonly Option<string?> PatientColumn = new("--patient-column") { Description = "Column with the patient id, for patient-level hold-outs (default: 'patient' where present)." };
        public readonly Option<DirectoryInfo?> Images = new("--images") { Description = "Folder the table's image paths are relative to (default: the table's folder)." };
        public readonly Option<string[]> Merge = new("--merge") { Description = "Class names to merge, FROM=TO (e.g. \"AP Supine=AP\").", AllowMultipleArgumentsPerToken = true };

        public IEnumerable<Option> All => new Option[] { Classes, PathColumn, ClassColumn, PatientColumn, Images, Merge };

        /// <summary>The labelled set the options describe.</summary>
        public LabelledInput Input(ParseResult parse, string source, bool strict) => new(source)
        {
            Classes = parse.GetValue(Classes),
            Format = Format(parse),
            OnUnreadableImage = strict ? ErrorPolicy.Strict : ErrorPolicy.Continue,
        };

        LabelledSourceFormat Format(ParseResult parse) => new()
        {
            PathColumn = parse.GetValue(PathColumn)!,
            ClassColumn = parse.GetValue(ClassColumn)!,
            PatientColumn = parse.GetValue(PatientColumn),
            ImageFolder = parse.GetValue(Images)?.FullName,
            Merge = LabelledSourceFormat.ParseMerge(parse.GetValue(Merge) ?? Array.Empty<string>()),
        };
    }

    public static Command Create()
    {
        var source = new Argument<string>("source") { Description = "A folder with one subfolder per class, or a label table (CSV): path, class and optionally patient columns." };
        var output = Cli.RequiredOption<FileInfo>("--out", "Checkpoint to write (.safetensors, with a .json sidecar).", "-o");
        var labels = new LabelOptions();
        var validation = Cli.Option("--validation", "Share of each class held out for early stopping and the reported accuracy.", 0.15).Fraction();
        var from = new Option<FileInfo?>("--from") { Description = "safetensors weights to start from (head replaced)." };
        var strict = Cli.Option("--strict", "Stop at the first unreadable image.", false);
        var training = new TrainCommand.TrainingOptions();
        var command = new Command("pretrain", "Train a whole backbone on a labelled CXR set and save it as a transfer-learning source (`pleura train --pretrained`).")
        {
            source, output, validation, from, strict,
        };
        foreach (var o in training.All.Concat(labels.All)) command.Options.Add(o);
        command.SetAction((parse, cancel) => Task.Run(() => Cli.Run(() =>
        {
            // Pretraining fine-tunes everything in one stage; the stage-1 options do not apply.
            Pleura.Data.FolderOwner.RefuseOwnedFolderOf(parse.GetValue(output)!.FullName, "pretrain");
            var config = training.Read(parse) with { Stage1Epochs = 0, UnfreezeConvLayers = -1 };
            var job = new PretrainJob
            {
                Input = labels.Input(parse, parse.GetValue(source)!, parse.GetValue(strict)),
                Output = parse.GetValue(output)!.FullName,
                ValidationFraction = parse.GetValue(validation),
                Training = config,
                StartFrom = parse.GetValue(from)?.FullName,
            };
            var outcome = Pretraining.Run(job, m => AnsiConsole.MarkupLineInterpolated($"[grey]{m}[/]"), Cli.EpochLines(), cancel);
            foreach (var f in outcome.Failures) Cli.Warn($"unreadable, left out: {f.Path}: {f.Reason}");
            Cli.Done($"{outcome.CheckpointPath}: {outcome.Classes.Count} classes, {outcome.TrainImages} training images, validation accuracy {outcome.ValidationAccuracy:P1}; {outcome.Training.StopReason}");
            return Cli.ExitOk;
        })));
        return command;
    }
}
