using System.CommandLine;
using System.Globalization;
using Pleura.Data;
using Pleura.Evaluation;
using Pleura.Reporting;
using Spectre.Console;

namespace Pleura.Cli.Commands;

internal static class MetricsCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("table") { Description = "CSV with one row per case (a model's output, or two readers' grades)." };
        var truth = Cli.RequiredOption<string>("--truth", "Column with the reference grade (0..K-1).");
        var pred = Cli.RequiredOption<string>("--pred", "Column with the predicted (or second reader's) grade.");
        var proba = new Option<string[]>("--proba") { Description = "K columns of class probabilities, in class order (enables ROC AUC).", AllowMultipleArgumentsPerToken = true };
        var by = new Option<string?>("--by") { Description = "Grouping column: metrics per group as well as overall (e.g. sex)." };
        var classes = Cli.Option("--classes", "Number of grades K.", 4).AtLeast(2);
        var bootstrap = Cli.Option("--bootstrap", "Bootstrap resamples for the 95% intervals (0 = none).", 1000).AtLeast(0);
        var seed = Cli.Option("--seed", "Bootstrap seed.", 0);
        var output = new Option<DirectoryInfo?>("--out", "-o") { Description = "Folder for metrics.json and metrics.csv (default: beside the table)." };
        var command = new Command("metrics", "Score any table of grades against a reference: MAE, macro MAE, F1, kappa, R², binary splits, AUC, with bootstrap intervals, overall and per group.")
        {
            file, truth, pred, proba, by, classes, bootstrap, seed, output,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var folder = parse.GetValue(output)?.FullName ?? Path.GetDirectoryName(parse.GetValue(file)!.FullName)!;
            FolderOwner.RefuseOwnedFolderOf(Path.Combine(folder, "metrics.csv"), "metrics");
            var table = CsvTable.Read(parse.GetValue(file)!.FullName);
            var columns = new GradeTableColumns(parse.GetValue(truth)!, parse.GetValue(pred)!, parse.GetValue(proba) ?? Array.Empty<string>(), parse.GetValue(by));
            var results = GradeTableScores.Score(table, columns, parse.GetValue(classes), parse.GetValue(bootstrap), parse.GetValue(seed), Cli.Warn);
            foreach (var r in results) Show(r);
            GradeTableScores.Write(results, folder);
            Cli.Done($"{results[0].Count} cases scored; metrics.json and metrics.csv in {folder}");
            return Cli.ExitOk;
        }));
        return command;
    }

    static void Show(ScoredGroup result)
    {
        var table = new Table().Title(Markup.Escape($"{result.Group} (n = {result.Count})")).AddColumns("metric", "value", "95% CI");
        foreach (var v in result.Values)
            table.AddRow(v.Name, Format(v.Value), double.IsNaN(v.Low) ? "" : $"{Format(v.Low)} – {Format(v.High)}");
        AnsiConsole.Write(table);
        var confusion = new Table().Title("confusion (rows: truth, columns: prediction)").AddColumn("");
        for (int c = 0; c < result.Metrics.Confusion.ClassCount; c++) confusion.AddColumn(c.ToString());
        foreach (var (row, i) in result.Metrics.Confusion.ToRows().Select((r, i) => (r, i)))
            confusion.AddRow(new[] { i.ToString() }.Concat(row.Select(x => x.ToString())).ToArray());
        AnsiConsole.Write(confusion);
    }

    static string Format(double v) => double.IsNaN(v) ? "n/a" : v.ToString("0.0000", CultureInfo.InvariantCulture);
}
