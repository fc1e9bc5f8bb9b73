using System.Globalization;
using System.Text.Json.Nodes;
using Pleura.Evaluation;
using Pleura.Files;
using Pleura.Store;

namespace Pleura.Reporting;

/// <summary>
/// `pleura study report`: one self-contained HTML file (figures embedded; the same figures also as PNG and SVG beside
/// it) built from the experiment store alone: data flow, split and grades, level 1 to 4, readers, heatmaps, cost.
/// </summary>
public static class StudyReport
{
    static readonly string[] Level1Metrics = { MetricTable.MacroMae, "mae", "accuracy", MetricTable.F1Weighted, MetricTable.QuadraticKappa, "ma_hcs" };
    // The names MetricTable writes (the binary views were once asked for under names it never wrote, and silently left out).
    static readonly string[] AgreementMetrics = new[]
    {
        MetricTable.MacroMae, MetricTable.Mae, MetricTable.Accuracy, "precision_weighted", "recall_weighted", MetricTable.F1Weighted,
        MetricTable.QuadraticKappa, MetricTable.R2,
    }.Concat(GradeMetrics.StandardSplits.Select(s => MetricTable.BinaryF1(s.Name))).Append(MetricTable.MacroAuc).ToArray();

    public static string Write(IExperimentStore store, string study, string outputFolder)
    {
        var specJson = store.StudySpec(study) ?? throw new InvalidDataException($"the store holds no study named '{study}'");
        var spec = JsonNode.Parse(specJson)!.AsObject();
        var results = store.Results(study);
        var trials = store.Trials(study);
        var artefacts = store.Artefacts(study);
        var figures = new Figures(Path.Combine(outputFolder, "figures"));
        var html = new Html();

        html.Heading($"Pleura study: {study}", 1);
        html.Paragraph($"Report written {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC from {trials.Count} trials in the experiment store. " +
                       $"Manifest: {spec["manifest"]}. Grid: ROI {List(spec["grid"]?["roi"])} × balancing {List(spec["grid"]?["balancing"])} × backbones {List(spec["grid"]?["backbones"])} " +
                       $"× sides {List(spec["grid"]?["sides"])}; {spec["folds"]} folds; top {spec["top_k"]} go to level 2.");
        var training = spec["training"]?.AsObject();
        if (training is not null)
            html.Paragraph("Training: " + string.Join(", ", training.Where(p => p.Key is not ("architecture" or "balancing" or "seed")).Select(p => $"{p.Key} {p.Value}")) +
                           (spec["pretrained"] is JsonObject pre && pre.Count > 0 ? "; pretrained: " + string.Join(", ", pre.Select(p => $"{p.Key} from {Path.GetFileName(p.Value!.ToString())}")) : "; backbones start from one seeded initialisation each"));

        if (BaselineWarning.Of(results) is { } warning) html.Paragraph("Warning: " + warning);
        DataSection(html, figures, results);
        Level1(html, figures, results, trials);
        Level2(html, figures, results);
        Level3(html, figures, results, artefacts);
        Level4(html, figures, results, spec);
        CrossValidated(html, results);
        Cost(html, results, trials, StudyCost.ByLevel(trials, store.Epochs));

        Directory.CreateDirectory(outputFolder);
        string path = Path.Combine(outputFolder, "report.html");
        AtomicFile.WriteAllText(path, html.Page($"Pleura study {study}"));
        return path;
    }

    static string List(JsonNode? node) => node is JsonArray a ? "{" + string.Join(", ", a.Select(v => v!.ToString())) + "}" : "?";

    static void DataSection(Html html, Figures figures, IReadOnlyList<ResultRecord> results)
    {
        html.Heading("Data flow");
        var flow = results.Where(r => r.Level == "data" && r.Grouping == "flow").ToList();
        html.Table(new[] { "step", "side", "images", "note" }, flow.Select(r => (IReadOnlyList<string>)new[] { r.Group, r.Side, r.Count.ToString(CultureInfo.InvariantCulture), r.Note }));
        var roi = results.Where(r => r.Level == "roi").ToList();
        if (roi.Count > 0)
        {
            html.Paragraph($"ROI fall-backs: {roi.Count} image-side pairs whose ROI failed a sanity check. Rule: that side's model sees the whole image (ROI none) for the image.");
            html.Table(new[] { "ROI", "side", "reason", "images", "which" }, roi.GroupBy(r => (r.Grouping, r.Side, Reason: r.Note.Split(';')[0]))
                .OrderBy(g => g.Key.Grouping).ThenBy(g => g.Key.Side)
                .Select(g => (IReadOnlyList<string>)new[] { g.Key.Grouping, g.Key.Side, g.Key.Reason, g.Count().ToString(CultureInfo.InvariantCulture),
                    string.Join(", ", g.Select(r => r.Group).Take(12)) + (g.Count() > 12 ? ", …" : "") }));
        }
        else html.Paragraph("ROI fall-backs: none (every lung and spine ROI passed its sanity checks).");

        var grades = results.Where(r => r.Level == "data" && r.Grouping.StartsWith("grades", StringComparison.Ordinal)).ToList();
        if (grades.Count == 0) return;
        html.Heading("Split and grade distribution (fold 1)", 3);
        var groups = grades.GroupBy(r => (r.Side, r.Group)).ToList();
        var labels = groups.Select(g => $"{g.Key.Side} {g.Key.Group}").ToList();
        var counts = groups.Select(g => Enumerable.Range(0, 4).Select(k => g.FirstOrDefault(r => r.Metric == $"grade{k}")?.Count ?? 0).ToArray()).ToList();
        html.Table(new[] { "side / part", "grade 0", "grade 1", "grade 2", "grade 3", "total" },
            labels.Select((l, i) => (IReadOnlyList<string>)new[] { l }.Concat(counts[i].Select(c => c.ToString())).Append(counts[i].Sum().ToString()).ToArray()));
        html.Figure(figures.GradeDistribution("grades", "Grades by reader 1 per part of fold 1 and side (OOB = out-of-box test set).", labels, counts));
    }

    static void Level1(Html html, Figures figures, IReadOnlyList<ResultRecord> results, IReadOnlyList<TrialRecord> trials)
    {
        html.Heading("Level 1: every combination on fold 1");
        var rows = results.Where(r => r.Level == "1").GroupBy(r => r.Group).OrderBy(g => g.First().Count).ToList();
        if (rows.Count == 0) { html.Paragraph("Not run yet."); return; }
        html.Paragraph("Ranked by test macro MAE averaged over the sides (lower is better); the top K go on to level 2. " + TestLungsNote);
        html.Table(new[] { "rank", "combination" }.Concat(Level1Metrics).Append(TestLungsColumn).Append("note").ToList(),
            rows.Select(g => (IReadOnlyList<string>)new[] { g.First().Count.ToString(), g.Key }
                .Concat(Level1Metrics.Select(m => Html.Number(g.FirstOrDefault(r => r.Metric == m)?.Value))).Append(WithInterval(g.FirstOrDefault(r => r.Metric == TestLungs)))
                .Append(g.First().Note).ToArray()),
            i => rows[i].First().Selected ? "chosen" : "");
        var withMae = rows.Where(g => g.Any(r => r.Metric == MetricTable.MacroMae)).ToList();
        html.Figure(figures.Bars("level1", "Level 1: test macro MAE (mean of sides) per combination, best first; highlighted: the best.", "macro MAE",
            withMae.Select(g => g.Key).ToList(), withMae.Select(g => g.First(r => r.Metric == MetricTable.MacroMae).Value).ToList(), highlight: 0));
        var failed = trials.Where(t => t.Status == TrialStatus.Failed).ToList();
        if (failed.Count > 0)
            html.Table(new[] { "failed trial", "side", "fold", "reason" }, failed.Select(t => (IReadOnlyList<string>)new[] { t.Combination, t.Side, t.Fold.ToString(), t.Error }));
    }

    const string TestLungs = "macro_mae_test_lungs", TestLungsColumn = "macro MAE, test lungs pooled [95% CI]";
    const string TestLungsNote = "The column 'test lungs pooled' scores all the combination's test lungs at once (the folds' test parts are disjoint) " +
                                 "with a 95% interval that resamples patients: overlapping intervals mean the ranking cannot tell the combinations apart.";

    static string WithInterval(ResultRecord? r) => r is null ? "–" : r.Low is null ? Html.Number(r.Value) : $"{Html.Number(r.Value)} [{Html.Number(r.Low)}, {Html.Number(r.High)}]";

    static void Level2(Html html, Figures figures, IReadOnlyList<ResultRecord> results)
    {
        html.Heading("Level 2: the top combinations on every fold");
        var rows = results.Where(r => r.Level == "2").GroupBy(r => r.Group).OrderBy(g => g.FirstOrDefault(r => r.Metric == "selection_rank")?.Value ?? 99).ToList();
        if (rows.Count == 0) { html.Paragraph("Not run yet."); return; }
        string Cell(IGrouping<string, ResultRecord> g, string m) =>
            g.FirstOrDefault(r => r.Metric == m) is { } v ? $"{Html.Number(v.Value)} ± {Html.Number(g.FirstOrDefault(r => r.Metric == m + "_sd")?.Value)}" : "–";
        html.Paragraph(TestLungsNote);
        html.Table(new[] { "combination", "folds" }.Concat(Level1Metrics.Select(m => m + " (mean ± SD)")).Append(TestLungsColumn).Append("selection rank").ToList(),
            rows.Select(g => (IReadOnlyList<string>)new[] { g.Key, g.First().Count.ToString() }.Concat(Level1Metrics.Select(m => Cell(g, m)))
                .Append(WithInterval(g.FirstOrDefault(r => r.Metric == TestLungs)))
                .Append(Html.Number(g.FirstOrDefault(r => r.Metric == "selection_rank")?.Value, "0.0")).ToArray()),
            i => rows[i].First().Selected ? "chosen" : "");
        var chosen = rows.FirstOrDefault(g => g.First().Selected);
        if (chosen is not null) html.Note($"Chosen: {chosen.Key}. Rule: {chosen.First().Note["chosen; ".Length..]}.");
        html.Figure(figures.Bars("level2", "Level 2: macro MAE mean ± SD over folds; highlighted: the chosen combination.", "macro MAE",
            rows.Select(g => g.Key).ToList(), rows.Select(g => g.FirstOrDefault(r => r.Metric == MetricTable.MacroMae)?.Value ?? double.NaN).ToList(),
            rows.Select(g => g.FirstOrDefault(r => r.Metric == "macro_mae_sd")?.Value ?? 0).ToList(), rows.FindIndex(g => g == chosen)));
    }

    static void CrossValidated(Html html, IReadOnlyList<ResultRecord> results)
    {
        var rows = results.Where(r => r.Level == ResultLevels.CrossValidated).ToList();
        if (rows.Count == 0) return;
        html.Heading("Cross-validated over every patient");
        html.Paragraph("Each combination trained again on a patient-level cross-validation of all patients (the OOB set included): every lung is " +
                       "scored by the fold model that never saw its patient. 95% intervals resample patients. Reader 2 against reader 1 on the same lungs " +
                       "is the human benchmark. Candidates are paired against the chosen combination on the same folds (difference = candidate − chosen).");
        string Cell(ResultRecord? r) => r is null ? "–" : r.Low is null ? Html.Number(r.Value) : $"{Html.Number(r.Value)} [{Html.Number(r.Low)}, {Html.Number(r.High)}]";
        var comparisons = new[] { ResultComparisons.ModelVsReader1, ResultComparisons.ModelVsReader2, ResultComparisons.Reader2VsReader1 }.Where(c => rows.Any(r => r.Comparison == c)).ToList();
        var paired = results.Where(r => r.Level == ResultLevels.CrossValidatedPaired && r.Metric == MetricTable.MacroMae).ToDictionary(r => r.Group);
        html.Table(new[] { "combination", "side", "lungs" }.Concat(comparisons.Select(c => $"macro MAE {c}")).Append("candidate − chosen").ToList(),
            rows.Where(r => r.Metric == MetricTable.MacroMae && r.Comparison == comparisons[0])
                .OrderByDescending(r => r.Selected).ThenBy(r => r.Group, StringComparer.Ordinal).ThenBy(r => r.Side == "mean" ? 0 : 1).ThenBy(r => r.Side)
                .Select(r => (IReadOnlyList<string>)new[] { r.Group + (r.Selected ? " (chosen)" : r.Grouping == ResultComparisons.BaselineGrouping ? " (baseline)" : ""), r.Side, r.Count.ToString(CultureInfo.InvariantCulture) }
                    .Concat(comparisons.Select(c => Cell(rows.FirstOrDefault(x => x.Group == r.Group && x.Side == r.Side && x.Comparison == c && x.Metric == r.Metric))))
                    .Append(r.Side == "mean" && paired.TryGetValue(r.Group, out var d) ? Cell(d) : "").ToArray()));
    }

    static void Level3(Html html, Figures figures, IReadOnlyList<ResultRecord> results, IReadOnlyList<ArtefactRecord> artefacts)
    {
        html.Heading("Level 3: the final model on the out-of-box set, against two readers");
        var rows = results.Where(r => r.Level == "3").ToList();
        if (rows.Count == 0) { html.Paragraph("Not run yet."); return; }
        html.Paragraph("Reader 1 is the reference label; reader 2 a second expert. Reader 2 against reader 1 is the human benchmark. " +
                       "Two baselines fit on the final model's training part, scored against reader 1, are the bars the model must clear: " +
                       "a global-intensity grader and a linear probe (ridge on the frozen features of the backbone the model started from). " +
                       "With `ensemble: true` the model is the mean of the final model and the chosen combination's fold models; the final model alone is shown too. " +
                       "Mean-of-sides values first, then each side with its 95% bootstrap interval.");
        var comparisons = new[] { ResultComparisons.ModelVsReader1, ResultComparisons.ModelVsReader2, ResultComparisons.Reader2VsReader1, ResultComparisons.SingleModelVsReader1,
                ResultComparisons.ProbeVsReader1, ResultComparisons.IntensityVsReader1 }
            .Where(c => rows.Any(r => r.Comparison == c)).ToList();
        string Cell(string side, string comparison, string metric)
        {
            var r = rows.FirstOrDefault(x => x.Side == side && x.Comparison == comparison && x.Metric == metric);
            if (r is null) return "–";
            return r.Low is null ? Html.Number(r.Value) : $"{Html.Number(r.Value)} [{Html.Number(r.Low)}, {Html.Number(r.High)}]";
        }
        foreach (var side in new[] { "mean", "left", "right" }.Where(s => rows.Any(r => r.Side == s)))
        {
            html.Heading(side == "mean" ? "Mean of the two lungs" : $"{side} lung (n = {rows.First(r => r.Side == side).Count})", 3);
            html.Table(new[] { "metric" }.Concat(comparisons).ToList(),
                AgreementMetrics.Where(m => rows.Any(r => r.Metric == m && r.Side == side)).Select(m => (IReadOnlyList<string>)new[] { m }.Concat(comparisons.Select(c => Cell(side, c, m))).ToArray()));
        }
        var heat = results.Where(r => r.Level == ResultLevels.FinalHeatmaps).ToList();
        if (heat.Count > 0) html.Paragraph("Heatmaps of the final model on the OOB set: " + string.Join(", ", heat.Select(h => $"{h.Metric} {Html.Number(h.Value)}")) + $" ({heat[0].Count} images).");

        var calibration = new List<(string, IReadOnlyList<(double, bool)>)>();
        foreach (var side in new[] { "left", "right" })
        {
            var file = artefacts.FirstOrDefault(a => a.Kind == $"oob_predictions_{side}")?.Path;
            if (file is null || !File.Exists(file)) continue;
            var predictions = ReadPredictions(file);
            var counts = new int[4, 4];
            foreach (var p in predictions) counts[p.Truth, p.Predicted]++;
            html.Figure(figures.Confusion($"confusion_{side}", $"{side} lung, OOB: confusion matrix, model against reader 1.", counts, "reader 1 grade", "model grade"));
            calibration.Add(($"{side} lung", predictions.Select(p => ((double)p.Probabilities.Max(), p.Truth == p.Predicted)).ToList()));
        }
        if (calibration.Count > 0)
            html.Figure(figures.Calibration("calibration", "Calibration on the OOB set: confidence of the predicted grade against the share correct (10 bins); the dashed line is perfect calibration.", calibration));
        var matrix = artefacts.FirstOrDefault(a => a.Kind == "heatmap_matrix")?.Path;
        if (matrix is not null && File.Exists(matrix))
        {
            html.Heading("Heatmaps by agreement level", 3);
            html.Image(File.ReadAllBytes(matrix), "OOB cases by agreement with reader 1 (both lungs right / one grade off / two or more off): Grad-CAM (inferno), lung outline (cyan), grades per side.", matrix);
        }
    }

    static void Level4(Html html, Figures figures, IReadOnlyList<ResultRecord> results, JsonObject spec)
    {
        html.Heading("Level 4: the final model per subgroup (OOB, against reader 1)");
        var rows = results.Where(r => r.Level == "4").ToList();
        if (rows.Count == 0) { html.Paragraph("Not run yet."); return; }
        html.Paragraph($"Groups with fewer than {spec["min_group_size"]} OOB images are shown greyed and marked: their figures are too uncertain to judge.");
        var metrics = new[] { MetricTable.MacroMae, "mae", "accuracy", MetricTable.F1Weighted };
        foreach (var grouping in rows.Select(r => r.Grouping).Distinct())
        {
            var mine = rows.Where(r => r.Grouping == grouping && r.Side == "mean").GroupBy(r => r.Group).ToList();
            var sides = rows.Where(r => r.Grouping == grouping && r.Side != "mean").ToList();
            string Interval(string group, string metric) => string.Join("; ", sides.Where(r => r.Group == group && r.Metric == metric)
                .Select(r => $"{r.Side} {Html.Number(r.Value)} [{Html.Number(r.Low)}, {Html.Number(r.High)}]"));
            html.Heading(grouping, 3);
            html.Table(new[] { "group", "lungs (n)" }.Concat(metrics.Select(m => m + " (mean of sides)")).Append("macro_mae per side [95% CI]").Append("note").ToList(),
                mine.Select(g => (IReadOnlyList<string>)new[] { g.Key, g.First().Count.ToString() }.Concat(metrics.Select(m => Html.Number(g.FirstOrDefault(r => r.Metric == m)?.Value)))
                    .Append(Interval(g.Key, MetricTable.MacroMae)).Append(g.First().Note).ToArray()),
                i => mine[i].First().Note != "" ? "small" : "");
            var forest = sides.Where(r => r.Metric == MetricTable.MacroMae).OrderBy(r => r.Group, StringComparer.Ordinal).ThenBy(r => r.Side).ToList();
            if (forest.Count > 0)
                html.Figure(figures.Forest($"subgroups_{Safe(grouping)}", $"Macro MAE per {grouping} subgroup and side with 95% bootstrap intervals (n in brackets).", "macro MAE",
                    forest.Select(r => $"{r.Group} {r.Side} (n={r.Count}){(r.Note != "" ? " *" : "")}").ToList(), forest.Select(r => r.Value).ToList(),
                    forest.Select(r => r.Low).ToList(), forest.Select(r => r.High).ToList()));
        }
    }

    static void Cost(Html html, IReadOnlyList<ResultRecord> results, IReadOnlyList<TrialRecord> trials, IReadOnlyList<LevelCost> training)
    {
        html.Heading("Cost");
        var timing = results.Where(r => r.Level == "timing").OrderBy(r => r.Group).ToList();
        html.Table(new[] { "level", "wall time (s) of the last run", "trials", "trial time (s, sum)", "note" },
            timing.Select(t => (IReadOnlyList<string>)new[]
            {
                t.Group, Html.Number(t.Value, "0.0"), trials.Count(x => x.Level.ToString() == t.Group).ToString(),
                Html.Number(trials.Where(x => x.Level.ToString() == t.Group).Sum(x => x.Seconds), "0.0"), t.Note,
            }));
        html.Note("Each trial is stored with its configuration hash; a trial already done is never recomputed, and level 2 reuses level 1's fold-1 trials.");
        html.Table(new[] { "level", "finished trials", "trial time (s)", "stage 1 epochs (s)", "stage 2 epochs (s)", "rest of the trials (s)", "peak resident memory (MB)" },
            training.Select(c => (IReadOnlyList<string>)new[]
            {
                c.Level, c.Trials.ToString(System.Globalization.CultureInfo.InvariantCulture), Html.Number(c.TrialSeconds, "0.0"), Html.Number(c.Stage1Seconds, "0.0"),
                Html.Number(c.Stage2Seconds, "0.0"), Html.Number(c.OtherSeconds, "0.0"), Html.Number(c.PeakResidentMb, "0"),
            }));
        html.Note("Where the trials' time went, by the level that first asked for them: stage 1 trains the head on the frozen layers' cached activations, " +
                  "stage 2 the unfrozen layers; the rest is reading inputs, caching activations, scoring and saving.");
    }

    sealed record Prediction(int Truth, int Predicted, float[] Probabilities);

    static List<Prediction> ReadPredictions(string path) => Pleura.Data.CsvTable.Read(path).Rows.Select(r =>
        new Prediction(int.Parse(r["truth"], CultureInfo.InvariantCulture), int.Parse(r["predicted"], CultureInfo.InvariantCulture),
            new[] { "p0", "p1", "p2", "p3" }.Select(c => float.Parse(r[c], CultureInfo.InvariantCulture)).ToArray())).ToList();

    static string Safe(string s) => string.Concat(s.Select(c => char.IsLetterOrDigit(c) ? c : '_'));
}

