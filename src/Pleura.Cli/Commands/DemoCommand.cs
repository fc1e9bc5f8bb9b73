using System.CommandLine;
using Pleura.Datasets;
using Pleura.Grading;
using Pleura.Networks;
using Pleura.Training;
using Spectre.Console;

namespace Pleura.Cli.Commands;

internal static class DemoCommand
{
    public static Command Create()
    {
        var output = Cli.Option("--out", "Run folder to write (run the same command again to resume).", new DirectoryInfo(Path.Combine("runs", "demo")), "-o");
        var images = Cli.Option("--images", "Phantoms to generate.", 800).AtLeast(60);
        var size = Cli.Option("--size", "Phantom and model input size in pixels.", 128).AtLeast(32);
        var seed = Cli.Option("--seed", "Seed for data, split, training and bootstrap.", 1);
        var epochs = Cli.Option("--epochs", "Maximum stage-2 epochs (stage 1 runs 2).", 25).AtLeast(1);
        var command = new Command("demo",
            "The main job on the embedded default data (no download): phantoms -> validated manifest -> patient-level split -> one model per lung " +
            "(two-stage training) -> METHOD metrics on the test part and the OOB set against both readers, beside reader-vs-reader agreement and a global-intensity baseline.")
        {
            output, images, size, seed, epochs,
        };
        command.SetAction((parse, cancel) => Task.Run(() => Cli.Run(() =>
        {
            TorchRuntime.UseThreads(Environment.ProcessorCount);
            var folder = parse.GetValue(output)!.FullName;
            var defaults = new DemoOptions();
            var options = defaults with
            {
                Images = parse.GetValue(images),
                Size = parse.GetValue(size),
                Seed = parse.GetValue(seed),
                Training = defaults.Training with { ImageSize = parse.GetValue(size), Stage2Epochs = parse.GetValue(epochs) },
            };
            void Log(string message) => AnsiConsole.MarkupLineInterpolated($"[grey]{message}[/]");
            var lines = Side.Both.ToDictionary(s => s.Name, s => Cli.EpochLines(s.Name + ": "));
            var result = DemoRun.Run(options, folder, Log, training: (side, p) => lines[side.Name](p), cancel: cancel);

            var table = new Table().Title("mean of left and right lungs").AddColumns("set", "comparison", "macro MAE", "weighted F1", "quadratic kappa");
            foreach (var set in DemoRun.Sets)
                foreach (var comparison in DemoRun.Comparisons)
                    table.AddRow(DemoRun.SetLabel(set), DemoRun.ComparisonLabel(comparison),
                        DemoRun.SideAverage(result.Metrics, set, comparison, Pleura.Evaluation.MetricTable.MacroMae).ToString("0.000"),
                        DemoRun.SideAverage(result.Metrics, set, comparison, Pleura.Evaluation.MetricTable.F1Weighted).ToString("0.000"),
                        DemoRun.SideAverage(result.Metrics, set, comparison, Pleura.Evaluation.MetricTable.QuadraticKappa).ToString("0.000"));
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLineInterpolated($"bfloat16 vs float32 on the OOB set: same grade for {result.Bf16.SameGrade:P1} of {result.Bf16.Lungs} lungs, max probability difference {result.Bf16.MaxProbabilityDifference:0.0000}");
            AnsiConsole.MarkupLineInterpolated($"heatmaps on the OOB set: HCS {result.Heatmaps.MeanHcs:0.000}, MA-HCS {result.Heatmaps.MaHcs:0.000} (overlays in explain/)");
            Cli.Done($"run folder: {folder} (report.md, metrics.csv, predictions.csv, split.json, left/ and right/ checkpoints, explain/, data/)");
            return Cli.ExitOk;
        })));
        return command;
    }
}
