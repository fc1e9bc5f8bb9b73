using System.CommandLine;
using Pleura.Pipeline;
using Spectre.Console;

namespace Pleura.Cli.Commands;

internal static class ExplainCommand
{
    public static Command Create()
    {
        var run = new Argument<DirectoryInfo>("run") { Description = "Run folder with left/ and right/ checkpoints." };
        var manifest = Cli.RequiredOption<FileInfo>("--manifest", "Pleura manifest CSV (lung masks from its left_lung_mask/right_lung_mask columns).", "-m");
        var split = Cli.RequiredOption<FileInfo>("--split", "Split file.", "-s");
        var part = Cli.Option("--part", "Which images: test, validation, train or oob.", "oob");
        var fold = Cli.Option("--fold", "Fold of the split.", 1);
        var limit = Cli.Option("--limit", "At most this many images.", 60);
        var layer = new Option<string?>("--layer") { Description = "Target layer (default: layer4 for ResNets, features.29 for VGG-16, features.norm5 for DenseNet-121)." };
        var output = new Option<DirectoryInfo?>("--out", "-o") { Description = "Folder for overlays, hcs.csv and matrix.png (default: RUN/explain/PART-foldK)." };
        var command = new Command("explain", "Grad-CAM heatmaps per image (overlay PNGs), the Heatmap Concordance Score and MA-HCS, and a matrix of cases by agreement level.")
        {
            run, manifest, split, part, fold, limit, layer, output,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var which = EvaluateCommand.ParsePart(parse.GetValue(part)!);
            var runFolder = parse.GetValue(run)!.FullName;
            var folder = parse.GetValue(output)?.FullName ?? Path.Combine(runFolder, "explain", $"{which.ToString().ToLowerInvariant()}-fold{parse.GetValue(fold)}");
            var (images, summary) = Cli.WithProgress("heatmaps", parse.GetValue(limit), progress =>
                Explanation.Run(runFolder, parse.GetValue(manifest)!.FullName, parse.GetValue(split)!.FullName, which, parse.GetValue(fold), folder,
                    parse.GetValue(limit), parse.GetValue(layer), (done, _) => progress(done)));
            var table = new Table().AddColumns("images", "mean HCS", "MA-HCS", "mean HCS (count form)", "attention on true opacity");
            string F(double v) => double.IsNaN(v) ? "n/a" : v.ToString("0.000");
            table.AddRow(summary.Images.ToString(), F(summary.MeanHcs), F(summary.MaHcs), F(summary.MeanHcsCount), F(summary.MeanOpacityConcordance));
            AnsiConsole.Write(table);
            Cli.Done($"{images.Count} overlays, hcs.csv and matrix.png in {folder}");
            return Cli.ExitOk;
        }));
        return command;
    }
}
