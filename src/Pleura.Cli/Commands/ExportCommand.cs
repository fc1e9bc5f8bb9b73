using System.CommandLine;
using Pleura.Data;
using Pleura.Export;
using Spectre.Console;

namespace Pleura.Cli.Commands;

internal static class ExportCommand
{
    public static Command Create() => new("export", "Write a run's models in formats other tools run.")
    {
        OnnxCommand(),
    };

    static Command OnnxCommand()
    {
        var run = new Argument<DirectoryInfo>("run") { Description = "A grading run (left/ and right/ checkpoints) or a classifier run (fold1/ ... foldK/)." };
        var output = Cli.RequiredOption<DirectoryInfo>("--out", "Folder for the .onnx files, export.json and README.md.", "-o");
        var check = Cli.Option("--check", "Run each graph in ONNX Runtime on phantom images before writing it and print its largest difference from Pleura's probabilities; refuse over 1e-4.", false);
        var images = Cli.Option("--check-images", "Phantom images per model for --check.", 8).AtLeast(1);
        var command = new Command("onnx", "Each model of a run as ONNX (float32, opset 17): input the grey radiograph in [0, 1], N x 1 x S x S; the graph applies the input recipe; outputs logits and probabilities; the checkpoint's description in the metadata.")
        {
            run, output, check, images,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var folder = parse.GetValue(output)!.FullName;
            var owner = OutputOwners.OnnxExport(parse.GetValue(run)!.FullName);
            owner.RefuseOtherOutput(folder);
            var models = OnnxRunExport.Export(parse.GetValue(run)!.FullName, folder, line =>
            {
                if (line.StartsWith("warning: ", StringComparison.Ordinal)) Cli.Warn(line["warning: ".Length..]);
                else AnsiConsole.MarkupLine(Markup.Escape(line));
            }, parse.GetValue(check) ? parse.GetValue(images) : 0);
            owner.ClaimOutput(folder);
            Cli.Done($"{models.Count} model(s) written to {folder} ({string.Join(", ", models.Select(m => m.File))}, {OnnxRunExport.DescriptionFile}, {OnnxRunExport.ReadmeFile})");
            return Cli.ExitOk;
        }));
        return command;
    }
}
