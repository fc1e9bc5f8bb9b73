using System.CommandLine;
using Pleura.Imaging;
using Pleura.Pipeline;
using Spectre.Console;

namespace Pleura.Cli.Commands;

internal static class PretrainCommand
{
    public static Command Create()
    {
        var source = new Argument<string>("source") { Description = "A folder with one subfolder per class, or a CSV with path and class columns." };
        var output = Cli.RequiredOption<FileInfo>("--out", "Checkpoint to write (.safetensors, with a .json sidecar).", "-o");
        var classes = new Option<string[]>("--classes") { Description = "Classes to use (default: all).", AllowMultipleArgumentsPerToken = true };
        var validation = Cli.Option("--validation", "Share of each class held out for early stopping and the reported accuracy.", 0.15);
        var from = new Option<FileInfo?>("--from") { Description = "safetensors weights to start from (head replaced)." };
        var strict = Cli.Option("--strict", "Stop at the first unreadable image.", false);
        var training = new TrainCommand.TrainingOptions();
        var command = new Command("pretrain", "Train a whole backbone on a labelled CXR set and save it as a transfer-learning source (`pleura train --pretrained`).")
        {
            source, output, classes, validation, from, strict,
        };
        foreach (var o in training.All) command.Options.Add(o);
        command.SetAction((parse, cancel) => Task.FromResult(Cli.Run(() =>
        {
            // Pretraining fine-tunes everything in one stage; the stage-1 options do not apply.
            var config = training.Read(parse) with { Stage1Epochs = 0, UnfreezeConvLayers = -1 };
            var job = new PretrainJob
            {
                Source = parse.GetValue(source)!,
                Output = parse.GetValue(output)!.FullName,
                Classes = parse.GetValue(classes),
                ValidationFraction = parse.GetValue(validation),
                Training = config,
                StartFrom = parse.GetValue(from)?.FullName,
                OnUnreadableImage = parse.GetValue(strict) ? ErrorPolicy.Strict : ErrorPolicy.Continue,
            };
            var outcome = Pretraining.Run(job, m => AnsiConsole.MarkupLineInterpolated($"[grey]{m}[/]"), Cli.EpochLines(), cancel);
            foreach (var f in outcome.Failures) Cli.Warn($"unreadable, left out: {f.Path}: {f.Reason}");
            Cli.Done($"{outcome.CheckpointPath}: {outcome.Classes.Count} classes, {outcome.TrainImages} training images, validation accuracy {outcome.ValidationAccuracy:P1}; {outcome.Training.StopReason}");
            return Cli.ExitOk;
        })));
        return command;
    }
}
