using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Pleura.Data;
using Pleura.Evaluation;
using Pleura.Files;
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
            string truthColumn = parse.GetValue(truth)!, predColumn = parse.GetValue(pred)!;
            var probaColumns = parse.GetValue(proba) ?? Array.Empty<string>();
            var groupColumn = parse.GetValue(by);
            int k = parse.GetValue(classes);
            if (probaColumns.Length > 0 && probaColumns.Length != k)
                throw new ArgumentException($"--proba needs {k} columns (one per class), got {probaColumns.Length}");
            table.RequireColumns(new[] { truthColumn, predColumn }.Concat(probaColumns).Concat(groupColumn is null ? Array.Empty<string>() : new[] { groupColumn }).ToArray());
            foreach (var problem in table.Problems) Cli.Warn($"{table.Path}: {problem}");

            var cases = ReadCases(table, truthColumn, predColumn, probaColumns, k);
            if (cases.Count == 0) throw new InvalidDataException($"{table.Path}: no row has both a valid truth and prediction");
            var groups = new List<(string Name, List<Case> Cases)> { ("all", cases) };
            if (groupColumn is not null)
                groups.AddRange(cases.GroupBy(c => table.Rows[c.Row][groupColumn]).OrderBy(g => g.Key)
                    .Select(g => ($"{groupColumn}={(g.Key.Length == 0 ? "(blank)" : g.Key)}", g.ToList())));

            var results = groups.Select(g => Score(g.Name, g.Cases, k, probaColumns.Length > 0, parse.GetValue(bootstrap), parse.GetValue(seed))).ToList();
            foreach (var r in results) Show(r);
            Write(results, folder);
            Cli.Done($"{cases.Count} cases scored; metrics.json and metrics.csv in {folder}");
            return Cli.ExitOk;
        }));
        return command;
    }

    sealed record Case(int Row, int Truth, int Predicted, double[]? Probabilities);

    sealed record GroupResult(string Group, int Count, GradeMetrics Metrics, IReadOnlyList<MetricValue> Values);

    static List<Case> ReadCases(CsvTable table, string truthColumn, string predColumn, string[] probaColumns, int k)
    {
        var cases = new List<Case>();
        int skipped = 0;
        for (int i = 0; i < table.Rows.Count; i++)
        {
            var row = table.Rows[i];
            string? problem = null;
            if (!TryGrade(row[truthColumn], k, out var t)) problem = $"{truthColumn} = '{row[truthColumn]}' is not a grade 0-{k - 1}";
            else if (!TryGrade(row[predColumn], k, out var p)) problem = $"{predColumn} = '{row[predColumn]}' is not a grade 0-{k - 1}";
            else
            {
                double[]? probabilities = null;
                if (probaColumns.Length > 0)
                {
                    probabilities = new double[k];
                    for (int c = 0; c < k && problem is null; c++)
                        if (!double.TryParse(row[probaColumns[c]], NumberStyles.Float, CultureInfo.InvariantCulture, out probabilities[c]))
                            problem = $"{probaColumns[c]} = '{row[probaColumns[c]]}' is not a number";
                }
                if (problem is null) { cases.Add(new Case(i, t, p, probabilities)); continue; }
            }
            skipped++;
            if (skipped <= 20) Cli.Warn($"{table.Path} line {row.Line}: {problem}; row not scored");
        }
        if (skipped > 20) Cli.Warn($"{skipped - 20} more rows not scored");
        return cases;
    }

    static bool TryGrade(string text, int k, out int grade) =>
        int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out grade) && grade >= 0 && grade < k;

    static GroupResult Score(string name, List<Case> cases, int k, bool withProbabilities, int iterations, int seed)
    {
        var truth = cases.Select(c => c.Truth).ToArray();
        var predicted = cases.Select(c => c.Predicted).ToArray();
        var probabilities = withProbabilities ? cases.Select(c => (IReadOnlyList<double>)c.Probabilities!).ToArray() : null;
        return new GroupResult(name, cases.Count, GradeMetrics.Compute(truth, predicted, k),
            MetricTable.Score(truth, predicted, probabilities, k, iterations, seed));
    }

    static void Show(GroupResult result)
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

    static void Write(List<GroupResult> results, string folder)
    {
        Directory.CreateDirectory(folder);
        CsvOutput.Write(Path.Combine(folder, "metrics.csv"), ["group", "n", "metric", "value", "ci_low", "ci_high"],
            results.SelectMany(r => r.Values.Select(v => new[] { r.Group, CsvOutput.Integer(r.Count), v.Name, CsvText.Number(v.Value), CsvText.Number(v.Low), CsvText.Number(v.High) })));
        var json = results.Select(r => new
        {
            group = r.Group,
            n = r.Count,
            metrics = r.Values.ToDictionary(v => v.Name, v => new { value = CsvText.OrNull(v.Value), ci_low = CsvText.OrNull(v.Low), ci_high = CsvText.OrNull(v.High) }),
            confusion_matrix = r.Metrics.Confusion.ToRows(),
            support = r.Metrics.Report.Support,
        });
        AtomicFile.WriteAllText(Path.Combine(folder, "metrics.json"), JsonSerializer.Serialize(json, Pleura.Data.JsonText.Indented));
    }

}
