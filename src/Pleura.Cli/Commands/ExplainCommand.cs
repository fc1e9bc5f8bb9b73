using System.CommandLine;
using Pleura.Data;
using Pleura.Grading;
using Spectre.Console;

namespace Pleura.Cli.Commands;

internal static class ExplainCommand
{
    public static Command Create()
    {
        var set = new RunSetSymbols("oob", "Pleura manifest CSV (lung masks from its left_lung_mask/right_lung_mask columns).");
        var limit = Cli.Option("--limit", "At most this many images.", 60).AtLeast(1);
        var layer = new Option<string?>("--layer") { Description = "Target layer (default: layer4 for ResNets, features.29 for VGG-16, features.norm5 for DenseNet-121)." };
        var output = new Option<DirectoryInfo?>("--out", "-o") { Description = "Folder for overlays, hcs.csv and matrix.png (default: RUN/explain/PART-foldK)." };
        var command = new Command("explain", "Grad-CAM heatmaps per image (overlay PNGs), the Heatmap Concordance Score and MA-HCS, and a matrix of cases by agreement level.")
        {
            limit, layer, output,
        };
        set.AddTo(command);
        command.SetAction(parse => Cli.Run(() =>
        {
            var (runFolder, manifest, split, which, fold) = set.Read(parse);
            var folder = parse.GetValue(output)?.FullName ?? RunSetSymbols.DefaultFolder(runFolder, "explain", which, fold);
            var owner = OutputOwners.Explanation(runFolder, which, fold);
            owner.RefuseOtherOutput(folder);
            var (images, summary) = Cli.WithProgress("heatmaps", parse.GetValue(limit), progress =>
                Explanation.Run(runFolder, manifest, split, which, fold, folder, parse.GetValue(limit), parse.GetValue(layer), (done, _) => progress(done)));
            owner.ClaimOutput(folder);
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
