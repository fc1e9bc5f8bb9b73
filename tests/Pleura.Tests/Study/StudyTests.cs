using Pleura.Phantoms;
using Pleura.Store;
using Pleura.Study;
using Pleura.Tests.Cli;
using Xunit.Abstractions;

namespace Pleura.Tests.Study;

/// <summary>The phantom study in reduced form: tiny images, a 3 x 2 grid, short training; levels, cache, resume and report end to end.</summary>
public class StudyTests(ITestOutputHelper output)
{
    static string WriteStudy(string folder, string name = "phantom-study", string extra = "")
    {
        PhantomDataset.Generate(new PhantomOptions { Count = 200, Size = 48, Seed = 5 }, Path.Combine(folder, "data"));
        string path = Path.Combine(folder, "study.yaml");
        File.WriteAllText(path, $"""
            # a reduced phantom study
            name: {name}
            manifest: data/manifest.csv
            groups: [sex, age]
            grid:
              roi: [none, lung, spine]
              balancing: [under, over]
              backbones: [resnet10-w16]
            folds: 2
            top_k: 2
            training:
              image_size: 48
              input_channels: 1
              batch_size: 32
              stage1_epochs: 2
              stage2_epochs: 2
              stage1_learning_rate: 0.003
              stage2_learning_rate: 0.002
              unfreeze_conv_layers: 5
            bootstrap: 100
            min_group_size: 15
            """ + extra);
        return path;
    }

    [Fact]
    public void AStudyRunsItsLevelsResumesAfterAStopAndReports()
    {
        using var dir = new TempFolder();
        var file = WriteStudy(dir.Path);
        var spec = StudySpec.Load(file);
        string folder = StudyRunner.DefaultFolder(file, spec);

        // First run: stopped after four level-1 trials, as a killed process would be.
        using (var store = StudyRunner.OpenStore(folder))
        {
            using var cancel = new CancellationTokenSource();
            int finished = 0;
            using var context = StudyRunner.Open(spec, folder, store, new StudyRunOptions(), m =>
            {
                if (m.Contains(" queued; ETA", StringComparison.Ordinal) && ++finished == 4) cancel.Cancel();
            });
            Assert.Throws<OperationCanceledException>(() => StudyRunner.Run(context, new StudyRunOptions(), cancel.Token));
        }
        Dictionary<string, DateTime?> firstRun;
        using (var store = StudyRunner.OpenStore(folder))
        {
            var trials = store.Trials(spec.Name);
            Assert.Equal(4, trials.Count(t => t.Status == TrialStatus.Done));
            Assert.DoesNotContain(trials, t => t.Status == TrialStatus.Running);
            firstRun = trials.Where(t => t.Status == TrialStatus.Done).ToDictionary(t => t.Hash, t => t.FinishedUtc);
        }

        // Second run through the command line: continues, never recomputes a finished trial.
        Assert.Equal(0, CliRunner.Run("study", "resume", file));
        using (var store = StudyRunner.OpenStore(folder))
        {
            var trials = store.Trials(spec.Name);
            foreach (var (hash, finishedAt) in firstRun) Assert.Equal(finishedAt, store.Trial(hash)!.FinishedUtc);
            Assert.All(trials, t => Assert.Equal(TrialStatus.Done, t.Status));
            Assert.Equal(12, trials.Count(t => t.Level == 1));           // 3 ROIs x 2 balancings x 2 sides on fold 1
            Assert.Equal(4, trials.Count(t => t.Level == 2));            // top 2 x fold 2 x 2 sides: fold 1 reused from level 1
            Assert.Equal(2, trials.Count(t => t.Level == 3));            // the chosen combination, both sides, on the final fold

            var results = store.Results(spec.Name);
            Assert.Equal(6, results.Where(r => r.Level == "1").Select(r => r.Group).Distinct().Count());
            Assert.Single(results, r => r.Level == "2" && r.Metric == "macro_mae" && r.Note.StartsWith("chosen", StringComparison.Ordinal));
            Assert.Contains(results, r => r.Level == "2" && r.Metric == "ma_hcs");     // phantoms have lung masks: MA-HCS takes part in the choice
            foreach (var comparison in new[] { Levels.Reader1, Levels.Reader2, Levels.ReaderVsReader })
                Assert.Contains(results, r => r.Level == "3" && r.Side == "mean" && r.Comparison == comparison && r.Metric == "macro_mae");
            Assert.Contains(results, r => r.Level == "3" && r.Side == "left" && r.Metric == "macro_mae" && r.Low is not null && r.High is not null);
            // The bars beside the model: a global-intensity grader and a ridge probe on the starting backbone's features.
            foreach (var baseline in new[] { Baselines.Intensity, Baselines.Probe })
                Assert.Contains(results, r => r.Level == "3" && r.Side == "mean" && r.Comparison == baseline && r.Metric == "macro_mae");
            var ages = results.Where(r => r.Level == "4" && r.Grouping == "age").Select(r => r.Group).Distinct().ToList();
            Assert.True(ages.Count >= 2, string.Join(",", ages));
            Assert.Contains(results, r => r.Level == "4" && r.Note.StartsWith("too small", StringComparison.Ordinal));
            Assert.Contains(results, r => r.Level == "timing" && r.Note.Contains("rows reused", StringComparison.Ordinal));
            output.WriteLine(string.Join("\n", results.Where(r => r.Level == "3" && r.Side == "mean" && r.Metric == "macro_mae").Select(r => $"{r.Comparison} {r.Value:0.000}")));
        }

        string report = Path.Combine(folder, "report", "report.html");
        Assert.True(File.Exists(report));
        string html = File.ReadAllText(report);
        foreach (var heading in new[] { "Data flow", "Level 1", "Level 2", "Level 3", "Level 4", "Cost", "stage 2 epochs (s)", "data:image/png;base64" })
            Assert.Contains(heading, html);
        // The level-3 table shows the binary views and the macro AUC with their values (not only their names).
        using (var store = StudyRunner.OpenStore(folder))
            foreach (var metric in new[] { "clear_vs_any_f1_weighted", "0-2_vs_3_f1_weighted", "roc_auc_ovr_macro" })
            {
                var row = store.Results(spec.Name).First(r => r.Level == "3" && r.Side == "left" && r.Comparison == Levels.Reader1 && r.Metric == metric);
                Assert.Contains($">{metric}</td><td class=\"n\">{Pleura.Reporting.Html.Number(row.Value)} [", html);
            }
        foreach (var figure in new[] { "level1", "level2", "confusion_left", "calibration", "grades" })
        {
            Assert.True(File.Exists(Path.Combine(folder, "report", "figures", figure + ".png")), figure);
            Assert.True(File.Exists(Path.Combine(folder, "report", "figures", figure + ".svg")), figure);
        }
        Assert.True(File.Exists(Path.Combine(folder, "explain", "matrix.png")));

        // A third run has nothing left to do; status and export read the store.
        Assert.Equal(0, CliRunner.Run("study", "run", file, "--report", "false"));
        Assert.Equal(0, CliRunner.Run("study", "status", file));
        string csv = Path.Combine(dir.Path, "export");
        Assert.Equal(0, CliRunner.Run("study", "export", file, "--out", csv));
        Assert.Equal(1 + 18, File.ReadAllLines(Path.Combine(csv, "trials.csv")).Length);
        Assert.Equal(0, CliRunner.Run("study", "export", file, "--out", csv, "--format", "parquet"));
        Assert.True(new FileInfo(Path.Combine(csv, "metrics.parquet")).Length > 100);
    }

    [Fact]
    public void AnEnsembleWithExpectedGradesAndBothReadersIsComparedWithTheSingleArgMaxModelOnTheSameOobLungs()
    {
        using var dir = new TempFolder();
        var argmax = WriteStudy(dir.Path, "argmax");
        var text = File.ReadAllText(argmax).Replace("roi: [none, lung, spine]", "roi: [none]").Replace("balancing: [under, over]", "balancing: [under]")
            .Replace("top_k: 2", "top_k: 1");
        File.WriteAllText(argmax, text);
        string ensemble = Path.Combine(dir.Path, "ensemble.yaml");
        File.WriteAllText(ensemble, text.Replace("name: argmax", "name: ensemble").Replace("  unfreeze_conv_layers: 5", "  unfreeze_conv_layers: 5\n  decision: expected")
            + "\nensemble: true\ntrain_on_both_readers: true\n");
        Assert.Equal(0, CliRunner.Run("study", "run", argmax, "--report", "false"));
        Assert.Equal(0, CliRunner.Run("study", "run", ensemble, "--report", "false"));

        var spec = StudySpec.Load(ensemble);
        Assert.Equal(Pleura.Networks.GradeDecision.Expected, spec.Training.Decision);
        Assert.True(spec.TrainOnBothReaders);
        using (var store = StudyRunner.OpenStore(StudyRunner.DefaultFolder(ensemble, spec)))
        {
            var results = store.Results(spec.Name);
            Assert.Contains(results, r => r.Level == "3" && r.Side == "mean" && r.Comparison == Levels.SingleModel && r.Metric == "macro_mae");
            Assert.Contains(results, r => r.Level == "3" && r.Side == "mean" && r.Comparison == Levels.Reader1 && r.Metric == "macro_mae");
        }
        // The ensemble is the study's answer in final/: evaluate there on the OOB set gives level 3's own predictions,
        // and the exported ONNX graph combines the members as Pleura does.
        string folder = StudyRunner.DefaultFolder(ensemble, spec);
        foreach (var side in new[] { "left", "right" })
            Assert.Equal(3, Pleura.Networks.Weights.Checkpoint.ReadInfo(Path.Combine(folder, "final", side, "model.safetensors")).EnsembleMembers?.Count);
        string evaluation = Path.Combine(dir.Path, "evaluation");
        var (evaluated, printed) = CliRunner.RunCaptured("evaluate", Path.Combine(folder, "final"), "-m", Path.Combine(dir.Path, "data", "manifest.csv"),
            "-s", Path.Combine(folder, "split.json"), "--part", "oob", "--hcs", "false", "-o", evaluation);
        Assert.True(evaluated == 0, printed);
        var evaluatedRows = File.ReadAllLines(Path.Combine(evaluation, "predictions.csv")).Skip(1).Select(l => l.Split(','))
            .ToDictionary(f => (f[0], f[1]), f => (Grade: int.Parse(f[3], System.Globalization.CultureInfo.InvariantCulture),
                P: f[4..8].Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray()));
        foreach (var side in new[] { "left", "right" })
        {
            var answered = TrialRunner.ReadPredictions(Path.Combine(folder, $"{Levels.OobPredictionsKind}{side}.csv"));
            Assert.NotEmpty(answered);
            foreach (var p in answered)
            {
                var e = evaluatedRows[(p.ImageId, side)];
                Assert.Equal(p.Predicted, e.Grade);
                for (int k = 0; k < 4; k++) Assert.InRange(Math.Abs(p.Probabilities[k] - e.P[k]), 0, 2e-6);   // both files carry 6 decimals
            }
        }
        var (exported, exportPrinted) = CliRunner.RunCaptured("export", "onnx", Path.Combine(folder, "final"), "-o", Path.Combine(dir.Path, "onnx"), "--check", "--check-images", "3");
        Assert.True(exported == 0, exportPrinted);

        string csv = Path.Combine(dir.Path, "compare.csv");
        Assert.Equal(0, CliRunner.Run("study", "compare", argmax, ensemble, "-o", csv));
        var oob = File.ReadAllLines(Path.ChangeExtension(csv, null) + ".oob.csv");
        Assert.Equal(6, oob.Length);
        var argmaxSpec = StudySpec.Load(argmax);
        using var first = StudyRunner.OpenStore(StudyRunner.DefaultFolder(argmax, argmaxSpec));
        double level3 = first.Results(argmaxSpec.Name).Single(r => r.Level == "3" && r.Side == "mean" && r.Comparison == Levels.Reader1 && r.Metric == "macro_mae").Value;
        var macro = oob.Single(l => l.StartsWith("macro_mae,", StringComparison.Ordinal)).Split(',');
        Assert.Equal(level3, double.Parse(macro[1], System.Globalization.CultureInfo.InvariantCulture), 9);
    }

    [Fact]
    public void TheSameStudyFileRunTwiceGivesTheSameTrialsChoiceFiguresAndWeights()
    {
        using var dir = new TempFolder();
        var file = WriteStudy(dir.Path);
        File.WriteAllText(file, File.ReadAllText(file).Replace("roi: [none, lung, spine]", "roi: [none]").Replace("top_k: 2", "top_k: 1"));
        string a = Path.Combine(dir.Path, "a"), b = Path.Combine(dir.Path, "b");
        foreach (var folder in new[] { a, b }) Assert.Equal(0, CliRunner.Run("study", "run", file, "--folder", folder, "--report", "false"));

        var spec = StudySpec.Load(file);
        using var first = StudyRunner.OpenStore(a);
        using var second = StudyRunner.OpenStore(b);
        Assert.Equal(first.Trials(spec.Name).Select(t => t.Hash), second.Trials(spec.Name).Select(t => t.Hash));
        Assert.Equal(first.Metrics(spec.Name), second.Metrics(spec.Name));
        // Results apart from the wall-clock timings: the choice at level 2 and every level-3/4 figure.
        static IEnumerable<string> Figures(Pleura.Store.IExperimentStore store, string study) =>
            store.Results(study).Where(r => r.Level != "timing").Select(r => $"{r.Level}|{r.Grouping}|{r.Group}|{r.Side}|{r.Comparison}|{r.Metric}|{r.Value:R}|{r.Low:R}|{r.High:R}|{r.Note}");
        Assert.Equal(Figures(first, spec.Name), Figures(second, spec.Name));
        foreach (var trial in first.Trials(spec.Name))
            Assert.Equal(File.ReadAllBytes(Path.Combine(a, "trials", trial.Hash, "model.safetensors")), File.ReadAllBytes(Path.Combine(b, "trials", trial.Hash, "model.safetensors")));
    }

    [Fact]
    public void StudyRunWithTheFolderOfAnotherStudyIsRefusedAndChangesNothing()
    {
        using var dir = new TempFolder();
        var first = WriteStudy(dir.Path, "first");
        var text = File.ReadAllText(first).Replace("roi: [none, lung, spine]", "roi: [none]").Replace("balancing: [under, over]", "balancing: [under]")
            .Replace("stage1_epochs: 2", "stage1_epochs: 1").Replace("stage2_epochs: 2", "stage2_epochs: 1");
        File.WriteAllText(first, text);
        Assert.Equal(0, CliRunner.Run("study", "run", first, "--up-to", "1", "--report", "false"));
        string folder = StudyRunner.DefaultFolder(first, StudySpec.Load(first));
        var before = FolderSnapshot.Of(folder);

        // Another study (another name) pointed at the first one's folder: refused before any work, naming both.
        string second = Path.Combine(dir.Path, "second.yaml");
        File.WriteAllText(second, text.Replace("name: first", "name: second").Replace("balancing: [under]", "balancing: [over]"));
        foreach (var command in new[] { "run", "status", "report" })
        {
            var (code, printed) = CliRunner.RunCaptured("study", command, second, "--folder", folder);
            Assert.True(code == 1, $"{command}: exit {code}\n{printed}");
            Assert.Contains("belongs to study 'first', not study 'second'", printed);
        }
        // A copy of the study file under the same name with other contents is another study too.
        string copy = Path.Combine(dir.Path, "copy", "first.yaml");
        Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
        File.WriteAllText(copy, text.Replace("data/manifest.csv", "../data/manifest.csv") + "\nseed: 2\n");
        var (copyCode, copyPrinted) = CliRunner.RunCaptured("study", "run", copy, "--folder", folder);
        Assert.True(copyCode == 1, copyPrinted);
        Assert.Contains("is another study file of that name with other contents", copyPrinted.Replace("\n", " ", StringComparison.Ordinal));
        Assert.Equal(before, FolderSnapshot.Of(folder));

        // The same study file edited in place still continues in its own folder.
        File.AppendAllText(first, "\n# edited\n");
        StudyFolder.Check(StudySpec.Load(first), folder);
    }

    [Fact]
    public void StudiesOfTwoBackbonesArePairedByRoiAndBalancing()
    {
        using var dir = new TempFolder();
        var small = WriteStudy(dir.Path, "small");
        var text = File.ReadAllText(small).Replace("roi: [none, lung, spine]", "roi: [none, spine]").Replace("balancing: [under, over]", "balancing: [under]");
        File.WriteAllText(small, text);
        string wide = Path.Combine(dir.Path, "wide.yaml");
        File.WriteAllText(wide, text.Replace("name: small", "name: wide").Replace("backbones: [resnet10-w16]", "backbones: [resnet10-w32]"));
        foreach (var file in new[] { small, wide }) Assert.Equal(0, CliRunner.Run("study", "run", file, "--up-to", "1", "--report", "false"));
        var a = StudySpec.Load(small);
        var b = StudySpec.Load(wide);
        using var first = StudyRunner.OpenStore(StudyRunner.DefaultFolder(small, a));
        using var second = StudyRunner.OpenStore(StudyRunner.DefaultFolder(wide, b));
        var rows = StudyComparison.Compare(first, a.Name, second, b.Name);
        var macro = Assert.Single(rows, r => r.Metric == "macro_mae" && r.Combination == "roi none / under");
        Assert.Equal(2, macro.Difference.Pairs);    // left and right lung of fold 1
        var spine = Assert.Single(rows, r => r.Metric == "macro_mae" && r.Combination == "roi spine / under");
        var pooled = Assert.Single(rows, r => r.Metric == "macro_mae" && r.Combination == StudyComparison.AllCombinations);
        Assert.Equal(4, pooled.Difference.Pairs);
        Assert.Equal((macro.Difference.Mean + spine.Difference.Mean) / 2, pooled.Difference.Mean, 12);
    }

    [Fact]
    public void ProbesAndFineTunedModelsAreRankedInOneGridOnTheSameFolds()
    {
        using var dir = new TempFolder();
        var file = WriteStudy(dir.Path, "heads");
        File.WriteAllText(file, File.ReadAllText(file).Replace("roi: [none, lung, spine]", "roi: [none]").Replace("balancing: [under, over]", "balancing: [under]")
            .Replace("backbones: [resnet10-w16]", "backbones: [resnet10-w16]\n  heads: [fine_tune, ridge]"));
        Assert.Equal(0, CliRunner.Run("study", "run", file, "--up-to", "1", "--report", "false"));
        var spec = StudySpec.Load(file);
        using var store = StudyRunner.OpenStore(StudyRunner.DefaultFolder(file, spec));
        var trials = store.Trials(spec.Name);
        Assert.Equal(4, trials.Count);   // two heads x two lungs, fold 1
        var ridge = trials.Where(t => t.Combination.Contains("ridge head", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, ridge.Count);
        Assert.All(ridge, t => Assert.Equal(Pleura.Training.HeadFit.Ridge,
            System.Text.Json.JsonSerializer.Deserialize<Pleura.Training.TrainingConfig>(t.ConfigJson, StudySpec.CompactJson)!.Head));
        Assert.All(trials.Except(ridge), t => Assert.DoesNotContain("ridge", t.ConfigJson, StringComparison.Ordinal));
        var ranked = store.Results(spec.Name).Where(r => r.Level == ResultLevels.Ranking && r.Side == "mean" && r.Metric == "macro_mae").ToList();
        Assert.Equal(2, ranked.Select(r => r.Group).Distinct().Count());

        File.WriteAllText(file, File.ReadAllText(file).Replace("heads: [fine_tune, ridge]", "heads: [fine_tune, lasso]"));
        var refused = Assert.Throws<InvalidDataException>(() => StudySpec.Load(file));
        Assert.Contains("heads[1]", refused.Message);
        Assert.Contains("lasso", refused.Message);
    }

    [Fact]
    public void Level1CanRankOnEverySelectionFoldAndLevel2ReusesThoseTrials()
    {
        using var dir = new TempFolder();
        var file = WriteStudy(dir.Path, "all-folds", "\nselection: { rank_on: all_folds }\n");
        File.WriteAllText(file, File.ReadAllText(file).Replace("roi: [none, lung, spine]", "roi: [none, spine]").Replace("balancing: [under, over]", "balancing: [under]"));
        Assert.Equal(0, CliRunner.Run("study", "run", file, "--up-to", "2", "--report", "false"));
        var spec = StudySpec.Load(file);
        Assert.Equal(RankingFolds.AllFolds, spec.Selection.RankOn);
        using var store = StudyRunner.OpenStore(StudyRunner.DefaultFolder(file, spec));
        var trials = store.Trials(spec.Name);
        Assert.Equal(8, trials.Count);   // 2 combinations x 2 lungs x 2 folds, all at level 1; level 2 trained nothing new
        Assert.All(trials, t => Assert.Equal(1, t.Level));
        // Level 1's test-lung figure now covers both folds' test parts: every non-OOB patient once.
        var lungs = store.Results(spec.Name).Where(r => r.Level == ResultLevels.Ranking && r.Metric == Levels.TestLungsMacroMae).ToList();
        Assert.Equal(2, lungs.Count);
        Assert.All(lungs, r => Assert.NotNull(r.Low));
    }

    [Fact]
    public void TrialsRunOnSeveralWorkers()
    {
        using var dir = new TempFolder();
        var file = WriteStudy(dir.Path, "two-workers");
        var spec = StudySpec.Load(file) with { Grid = new GridSpec { Roi = new[] { "none", "spine" }, Balancing = new[] { "under" }, Backbones = new[] { "resnet10-w16" } } };
        string folder = StudyRunner.DefaultFolder(file, spec);
        using var store = StudyRunner.OpenStore(folder);
        var options = new StudyRunOptions { UpToLevel = 1, Workers = 2 };
        using var context = StudyRunner.Open(spec, folder, store, options, output.WriteLine);
        StudyRunner.Run(context, options);
        var trials = store.Trials(spec.Name);
        Assert.Equal(4, trials.Count);
        Assert.All(trials, t => Assert.Equal(TrialStatus.Done, t.Status));
        Assert.Equal(4, store.Metrics(spec.Name).Where(m => m.Set == "test" && m.Metric == "macro_mae").Select(m => m.TrialHash).Distinct().Count());
    }

    [Fact]
    public void AStudyFileWithMistakesIsRefusedWithItsNameAndTheReason()
    {
        using var dir = new TempFolder();
        string path = Path.Combine(dir.Path, "bad.yaml");
        File.WriteAllText(path, "name: x\nmanifest: m.csv\ngrid:\n  balancing: [sideways]\n");
        var e = Assert.Throws<InvalidDataException>(() => StudySpec.Load(path));
        Assert.Contains("bad.yaml", e.Message);
        Assert.Contains("sideways", e.Message);
        File.WriteAllText(path, "name: x\nmanifest: m.csv\nfoldz: 3\n");
        Assert.Contains("foldz", Assert.Throws<InvalidDataException>(() => StudySpec.Load(path)).Message);
        string json = Path.Combine(dir.Path, "ok.json");
        File.WriteAllText(json, """{ "name": "x", "manifest": "m.csv", "folds": 3, "grid": { "roi": ["none"], "balancing": ["under"], "backbones": ["resnet18"] } }""");
        var spec = StudySpec.Load(json);
        Assert.Equal(3, spec.Folds);
        Assert.Equal(Path.Combine(dir.Path, "m.csv"), spec.Manifest);
        Assert.Equal(1, CliRunner.Run("study", "run", path));

        // A study that never ran has nothing to report or export, and asking leaves no empty store behind.
        string never = StudyRunner.DefaultFolder(json, spec);
        Assert.Equal(1, CliRunner.Run("study", "report", json));
        Assert.Equal(1, CliRunner.Run("study", "export", json, "--out", Path.Combine(dir.Path, "export")));
        Assert.Equal(2, CliRunner.Run("study", "export", json, "--out", Path.Combine(dir.Path, "export"), "--format", "xlsx"));
        Assert.False(File.Exists(Path.Combine(never, StudyRunner.StoreFile)));
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "export")));

        // A lung ROI in the grid without lung masks in the manifest is refused before any training.
        PhantomDataset.Generate(new PhantomOptions { Count = 20, Size = 32, Seed = 2 }, Path.Combine(dir.Path, "data"));
        var lines = File.ReadAllLines(Path.Combine(dir.Path, "data", "manifest.csv"));
        var header = lines[0].Split(',');
        var keep = Enumerable.Range(0, header.Length).Where(i => !header[i].EndsWith("lung_mask", StringComparison.Ordinal)).ToList();
        File.WriteAllLines(Path.Combine(dir.Path, "data", "bare.csv"), lines.Select(l => string.Join(',', keep.Select(i => l.Split(',')[i]))));
        File.WriteAllText(Path.Combine(dir.Path, "lung.yaml"), "name: lung\nmanifest: data/bare.csv\ngrid: { roi: [lung], balancing: [under], backbones: [resnet10-w16] }\ntraining: { image_size: 32 }\n");
        var lungSpec = StudySpec.Load(Path.Combine(dir.Path, "lung.yaml"));
        using var store = StudyRunner.OpenStore(Path.Combine(dir.Path, "lung"));
        var refused = Assert.Throws<InvalidDataException>(() => StudyRunner.Open(lungSpec, Path.Combine(dir.Path, "lung"), store, new StudyRunOptions(), _ => { }));
        Assert.Contains("needs lung masks", refused.Message);
    }
}
