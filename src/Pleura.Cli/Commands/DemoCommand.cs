using System.CommandLine;
using Pleura.Pipeline;
using Spectre.Console;

namespace Pleura.Cli.Commands;

internal static class DemoCommand
{
    public static Command Create()
    {
        var output = Cli.Option("--out", "Run folder to write.", new DirectoryInfo(Path.Combine("runs", "demo")), "-o");
        var images = Cli.Option("--images", "Phantoms to generate.", 400);
        var size = Cli.Option("--size", "Phantom size in pixels.", 128);
        var seed = Cli.Option("--seed", "Seed for data, split and bootstrap.", 1);
        var command = new Command("demo",
            "The main job on the embedded default data (no download): phantoms -> validated manifest -> patient-level split -> per-lung " +
            "global-intensity baseline -> METHOD metrics on the test part and the OOB set, beside reader-vs-reader agreement.")
        {
            output, images, size, seed,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var folder = parse.GetValue(output)!.FullName;
            var options = new BaselineRunOptions { Images = parse.GetValue(images), Size = parse.GetValue(size), Seed = parse.GetValue(seed) };
            var metrics = Cli.WithProgress("phantoms", options.Images, progress =>
                BaselineRun.Run(options, folder, message => AnsiConsole.MarkupLineInterpolated($"[grey]{message}[/]"), progress));
            var table = new Table().Title("macro MAE, mean of left and right (lower is better)").AddColumns("set", "baseline vs reader 1", "reader 2 vs reader 1");
            foreach (var set in new[] { "test", "oob" })
                table.AddRow(set,
                    BaselineRun.SideAverage(metrics, set, "baseline_vs_reader1", "macro_mae").ToString("0.000"),
                    BaselineRun.SideAverage(metrics, set, "reader2_vs_reader1", "macro_mae").ToString("0.000"));
            AnsiConsole.Write(table);
            Cli.Done($"run folder: {folder} (report.md, metrics.csv, predictions.csv, split.json, data/)");
            return Cli.ExitOk;
        }));
        return command;
    }
}
