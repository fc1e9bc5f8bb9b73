using System.Globalization;
using System.Text.Json;
using Pleura.Data;
using Pleura.Evaluation;
using Pleura.Files;

namespace Pleura.Reporting;

/// <summary>Which columns of a table of grades `pleura metrics` reads.</summary>
/// <param name="Probabilities">One column per class, in class order, or none (then no ROC AUC).</param>
/// <param name="GroupBy">A column to score each of its values apart as well (e.g. sex), or null.</param>
public sealed record GradeTableColumns(string Truth, string Predicted, IReadOnlyList<string> Probabilities, string? GroupBy);

/// <summary>One group's scores: all rows ("all") or the rows of one value of the grouping column.</summary>
public sealed record ScoredGroup(string Group, int Count, GradeMetrics Metrics, IReadOnlyList<MetricValue> Values);

/// <summary>
/// `pleura metrics`: any table of grades (a model's output, or two readers') scored against a reference column,
/// overall and per group, with bootstrap intervals, and written as metrics.csv and metrics.json. A row whose grade or
/// probability cannot be read is reported and left out, never scored as something else.
/// </summary>
public static class GradeTableScores
{
    const int ReportedRows = 20;

    sealed record Case(int Row, int Truth, int Predicted, double[]? Probabilities);

    /// <summary>Scores <paramref name="table"/>; <paramref name="warn"/> hears of each row left out (the first 20, then a count).</summary>
    public static IReadOnlyList<ScoredGroup> Score(CsvTable table, GradeTableColumns columns, int classes, int bootstrap, int seed, Action<string> warn)
    {
        if (columns.Probabilities.Count > 0 && columns.Probabilities.Count != classes)
            throw new ArgumentException($"--proba needs {classes} columns (one per class), got {columns.Probabilities.Count}");
        table.RequireColumns(new[] { columns.Truth, columns.Predicted }.Concat(columns.Probabilities)
            .Concat(columns.GroupBy is null ? Array.Empty<string>() : new[] { columns.GroupBy }).ToArray());
        foreach (var problem in table.Problems) warn($"{table.Path}: {problem}");

        var cases = Read(table, columns, classes, warn);
        if (cases.Count == 0) throw new InvalidDataException($"{table.Path}: no row has both a valid truth and prediction");
        var groups = new List<(string Name, List<Case> Cases)> { ("all", cases) };
        if (columns.GroupBy is { } by)
            groups.AddRange(cases.GroupBy(c => table.Rows[c.Row][by]).OrderBy(g => g.Key, StringComparer.InvariantCulture)
                .Select(g => ($"{by}={(g.Key.Length == 0 ? "(blank)" : g.Key)}", g.ToList())));
        return groups.Select(g => Score(g.Name, g.Cases, classes, columns.Probabilities.Count > 0, bootstrap, seed)).ToList();
    }

    static List<Case> Read(CsvTable table, GradeTableColumns columns, int k, Action<string> warn)
    {
        var cases = new List<Case>();
        int skipped = 0;
        for (int i = 0; i < table.Rows.Count; i++)
        {
            var row = table.Rows[i];
            string? problem = null;
            if (!TryGrade(row[columns.Truth], k, out var t)) problem = $"{columns.Truth} = '{row[columns.Truth]}' is not a grade 0-{k - 1}";
            else if (!TryGrade(row[columns.Predicted], k, out var p)) problem = $"{columns.Predicted} = '{row[columns.Predicted]}' is not a grade 0-{k - 1}";
            else
            {
                double[]? probabilities = null;
                if (columns.Probabilities.Count > 0)
                {
                    probabilities = new double[k];
                    for (int c = 0; c < k && problem is null; c++)
                        if (!double.TryParse(row[columns.Probabilities[c]], NumberStyles.Float, CultureInfo.InvariantCulture, out probabilities[c]))
                            problem = $"{columns.Probabilities[c]} = '{row[columns.Probabilities[c]]}' is not a number";
                }
                if (problem is null) { cases.Add(new Case(i, t, p, probabilities)); continue; }
            }
            skipped++;
            if (skipped <= ReportedRows) warn($"{table.Path} line {row.Line}: {problem}; row not scored");
        }
        if (skipped > ReportedRows) warn($"{skipped - ReportedRows} more rows not scored");
        return cases;
    }

    static bool TryGrade(string text, int k, out int grade) =>
        int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out grade) && grade >= 0 && grade < k;

    static ScoredGroup Score(string name, List<Case> cases, int k, bool withProbabilities, int iterations, int seed)
    {
        var truth = cases.Select(c => c.Truth).ToArray();
        var predicted = cases.Select(c => c.Predicted).ToArray();
        var probabilities = withProbabilities ? cases.Select(c => (IReadOnlyList<double>)c.Probabilities!).ToArray() : null;
        return new ScoredGroup(name, cases.Count, GradeMetrics.Compute(truth, predicted, k),
            MetricTable.Score(truth, predicted, probabilities, k, iterations, seed));
    }

    /// <summary>Writes metrics.csv (a row per group and metric) and metrics.json (with confusion matrices) into <paramref name="folder"/>.</summary>
    public static void Write(IReadOnlyList<ScoredGroup> results, string folder)
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
        AtomicFile.WriteAllText(Path.Combine(folder, "metrics.json"), JsonSerializer.Serialize(json, JsonText.Indented));
    }
}
