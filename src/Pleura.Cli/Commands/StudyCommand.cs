using System.CommandLine;
using Pleura.Cluster;
using Pleura.Files;
using Pleura.Networks;
using Pleura.Reporting;
using Pleura.Store;
using Pleura.Study;
using Spectre.Console;

namespace Pleura.Cli.Commands;

internal static class StudyCommand
{
    public static Command Create() => new("study", "The whole method from one study file: the grid, levels 1-4 of model selection, the experiment store and the report.")
    {
        RunCommand("run", "Run a study (levels 1-4); finished trials are kept, so running it again continues where it stopped."),
        RunCommand("resume", "Continue a stopped study: the same as run."),
        TrialCommand(),
        StatusCommand(),
        ReportCommand(),
        ExportCommand(),
        CompareCommand(),
    };

    static Command CompareCommand()
    {
        var first = new Argument<FileInfo>("first") { Description = "The first study file (the reference, e.g. from scratch)." };
        var second = new Argument<FileInfo>("second") { Description = "The second study file (e.g. the same study from pretrained weights)." };
        var output = new Option<FileInfo?>("--out", "-o") { Description = "Also write the comparison as CSV." };
        var command = new Command("compare", "Two finished studies that differ in one setting, paired trial by trial (same combination, side and fold; " +
                                             "test parts of levels 1-2): mean difference with a 95% interval per combination and metric; and when both finished level 3 on the " +
                                             "same OOB set, their final models lung by lung with bootstrap intervals.") { first, second, output };
        command.SetAction(parse => Cli.Run(() =>
        {
            if (parse.GetValue(output) is { } target) Pleura.Data.FolderOwner.RefuseOwnedFolderOf(target.FullName, "study compare");
            (StudySpec Spec, IExperimentStore Store) Load(Argument<FileInfo> file)
            {
                var path = parse.GetValue(file)!.FullName;
                var spec = StudySpec.Load(path);
                return (spec, OpenFinished(spec, StudyRunner.DefaultFolder(path, spec), null));
            }
            var (a, storeA) = Load(first);
            using var _ = storeA;
            var (b, storeB) = Load(second);
            using var __ = storeB;
            var oob = OobComparison.HasFinalModels(storeA, a.Name) && OobComparison.HasFinalModels(storeB, b.Name)
                ? OobComparison.Compare(storeA, a.Name, storeB, b.Name, seed: b.Seed)
                : null;
            if (oob is not null)
            {
                ShowPaired($"Final models on the same OOB lungs ({oob[0].Images} images): {Markup.Escape(b.Name)} against {Markup.Escape(a.Name)}, mean of sides",
                    a.Name, b.Name, "images", oob.Select(r => (r.Metric, r.First, r.Second, r.Difference)));
            }
            var cv = CrossValidation.HasEstimate(storeA, a.Name) && CrossValidation.HasEstimate(storeB, b.Name)
                ? CrossValidation.Compare(storeA, a.Name, storeB, b.Name, seed: b.Seed)
                : null;
            if (cv is not null)
            {
                ShowPaired($"Chosen recipes cross-validated on the same folds (every patient): {Markup.Escape(b.Name)} against {Markup.Escape(a.Name)}, mean of sides",
                    a.Name, b.Name, "patients", cv.Select(r => (r.Metric, r.First, r.Second, r.Difference)));
                if (parse.GetValue(output) is { } cvCsv)
                {
                    WritePaired(Path.ChangeExtension(cvCsv.FullName, null) + ".cv.csv", a.Name, b.Name, cv.Select(r => (r.Metric, r.First, r.Second, r.Difference, "")), null);
                }
            }
            var rows = StudyComparison.Compare(storeA, a.Name, storeB, b.Name, allowNone: oob is not null || cv is not null);
            var table = new Table().Title($"{Markup.Escape(b.Name)} against {Markup.Escape(a.Name)}")
                .AddColumns("combination", "metric", a.Name, b.Name, "difference [[95% CI]]", $"{b.Name} better in");
            foreach (var r in rows)
            {
                table.AddRow(Markup.Escape(r.Combination), r.Metric, r.First.ToString("0.000"), r.Second.ToString("0.000"), Cli.Difference(r.Difference, r.HigherIsBetter),
                    $"{r.SecondBetter} of {r.Difference.Pairs}");
            }
            // Studies run with --cv-only have no selection trials to pair: no empty table.
            if (rows.Count > 0) AnsiConsole.Write(table);
            if (parse.GetValue(output) is { } csv)
            {
                AtomicFile.WriteAllLines(csv.FullName, rows.Select(r => FormattableString.Invariant(
                        $"{Pleura.Data.CsvText.Field(r.Combination)},{r.Metric},{r.First},{r.Second},{r.Difference.Mean},{r.Difference.Interval.Low},{r.Difference.Interval.High},{r.SecondBetter},{r.Difference.Pairs}"))
                    .Prepend($"combination,metric,{a.Name},{b.Name},difference,ci_low,ci_high,{b.Name}_better_in,pairs"));
                Cli.Done(csv.FullName);
                if (oob is not null)
                {
                    WritePaired(Path.ChangeExtension(csv.FullName, null) + ".oob.csv", a.Name, b.Name,
                        oob.Select(r => (r.Metric, r.First, r.Second, r.Difference, r.Images.ToString(System.Globalization.CultureInfo.InvariantCulture))), "images");
                }
            }
            return Cli.ExitOk;
        }));
        return command;
    }

    static Argument<FileInfo> StudyFile() => new("study") { Description = "The study file (.yaml, .yml or .json)." };
    static Option<DirectoryInfo?> FolderOption() => new("--folder") { Description = "Study folder (store, split, trials, report); default: beside the study file, named after the study." };

    static Option<string?> StoreOption() => new("--store")
    {
        Description = "The experiment store, instead of the study file's: a postgresql://user@host:port/database URI or Host=... connection string, or a SQLite file (default: STUDY_FOLDER/study.db).",
    };

    /// <summary>The CSV of <see cref="ShowPaired"/>'s rows: metric, both figures, the difference and its interval (and one
    /// more column when <paramref name="extraColumn"/> names it).</summary>
    static void WritePaired(string path, string first, string second,
        IEnumerable<(string Metric, double First, double Second, Pleura.Evaluation.BootstrapEstimate Difference, string Extra)> rows, string? extraColumn)
    {
        string tail = extraColumn is null ? "" : "," + extraColumn;
        AtomicFile.WriteAllLines(path, rows.Select(r => FormattableString.Invariant($"{r.Metric},{r.First},{r.Second},{r.Difference.Estimate},{r.Difference.Low},{r.Difference.High}")
                + (extraColumn is null ? "" : "," + r.Extra))
            .Prepend($"metric,{first},{second},difference,ci_low,ci_high{tail}"));
        Cli.Done(path);
    }

    /// <summary>Two studies' figures side by side with the paired difference and its interval over <paramref name="units"/>.</summary>
    static void ShowPaired(string title, string first, string second, string units,
        IEnumerable<(string Metric, double First, double Second, Pleura.Evaluation.BootstrapEstimate Difference)> rows)
    {
        var table = new Table().Title(title).AddColumns("metric", first, second, $"difference [[95% bootstrap CI over {units}]]");
        foreach (var r in rows)
            table.AddRow(r.Metric, r.First.ToString("0.000"), r.Second.ToString("0.000"), Markup.Escape(Cli.SignedInterval(r.Difference.Estimate, r.Difference.Low, r.Difference.High)));
        AnsiConsole.Write(table);
    }

    static (StudySpec Spec, string Folder) Open(ParseResult parse, Argument<FileInfo> file, Option<DirectoryInfo?> folder)
    {
        var path = parse.GetValue(file)!.FullName;
        var spec = StudySpec.Load(path);
        var studyFolder = parse.GetValue(folder)?.FullName ?? StudyRunner.DefaultFolder(path, spec);
        // Before any store is opened or made there: a folder of another study is refused whatever the subcommand.
        StudyFolder.Check(spec, studyFolder);
        return (spec, studyFolder);
    }

    /// <summary>The store of a study that has run; a clear error rather than a new empty store where it has not.</summary>
    static SqlExperimentStore OpenFinished(StudySpec spec, string studyFolder, string? location)
    {
        location = StudyRunner.StoreLocation(spec, location);
        var defaultPath = Path.Combine(studyFolder, StudyRunner.StoreFile);
        if (!ExperimentStores.Exists(location, defaultPath))
            throw new FileNotFoundException($"no study store at {ExperimentStores.Describe(location, defaultPath)}: run the study first");
        var store = ExperimentStores.Open(location, defaultPath);
        if (store.StudySpec(spec.Name) is null)
        {
            store.Dispose();
            throw new FileNotFoundException($"the store at {ExperimentStores.Describe(location, defaultPath)} has no study '{spec.Name}': run the study first");
        }
        return store;
    }

    static Command RunCommand(string name, string description)
    {
        var file = StudyFile();
        var folder = FolderOption();
        var upTo = Cli.Option("--up-to", "Run levels up to this one (1-4).", 4).AtLeast(1);
        var noCache = Cli.Option("--no-cache", "Compute every frozen layer every epoch (for timing the cache).", false);
        var report = Cli.Option("--report", "Write the HTML report when done (--report false to skip it).", true);
        var threads = Cli.Option("--threads", "Threads for the networks (default: all cores).", Environment.ProcessorCount).AtLeast(1);
        var workers = Cli.Option("--workers", "Trials at once; the threads are shared out between them.", 1).AtLeast(1);
        var storeOption = StoreOption();
        var executor = Cli.Option("--executor", "Where trials run: local (this process) or slurm (one job array per level; needs a store every node reaches).", "local");
        var partition = new Option<string?>("--partition") { Description = "Slurm partition (default: the study file's slurm.partition, else the cluster's default)." };
        var maxParallel = new Option<int?>("--max-parallel") { Description = "Slurm tasks running at once (default: the study file's slurm.max_parallel)." };
        var cvOnly = Cli.Option("--cv-only", "Skip levels 1-4: only the cross-validated estimate (cross_validation in the study file) of the grid's combinations, " +
                                             "the first as the reference; for a recipe fixed beforehand, to pair settings on the same folds.", false);
        var command = new Command(name, description) { file, folder, upTo, noCache, report, threads, workers, storeOption, executor, partition, maxParallel, cvOnly };
        command.SetAction((parse, cancel) => Task.Run(() => Cli.Run(() =>
        {
            int workerCount = Math.Max(1, parse.GetValue(workers));
            TorchRuntime.UseThreads(Math.Max(1, parse.GetValue(threads) / workerCount));
            var (spec, studyFolder) = Open(parse, file, folder);
            var executorName = parse.GetValue(executor)!.ToLowerInvariant();
            if (executorName is not ("local" or "slurm")) throw new ArgumentException($"--executor must be local or slurm, not '{executorName}'");
            if (parse.GetValue(maxParallel) is < 0) throw new ArgumentException("--max-parallel must be 0 (no limit) or more");
            var slurm = executorName == "slurm"
                ? new SlurmExecutor(new SlurmOptions
                {
                    StudyFile = parse.GetValue(file)!.FullName, Folder = studyFolder, Store = parse.GetValue(storeOption),
                    Partition = parse.GetValue(partition), MaxParallel = parse.GetValue(maxParallel),
                })
                : null;
            var options = new StudyRunOptions
            {
                UpToLevel = parse.GetValue(upTo), Cache = parse.GetValue(noCache) ? false : null, Workers = workerCount, Executor = slurm,
                CrossValidationOnly = parse.GetValue(cvOnly),
            };
            // Everything the study file names in the manifest is checked before the study folder and store exist.
            StudyRunner.OpenManifest(spec);
            using var store = StudyRunner.OpenStore(spec, studyFolder, parse.GetValue(storeOption));
            void Log(string message) => AnsiConsole.MarkupLineInterpolated($"[grey]{message}[/]");
            using var context = Cli.WithProgress("reading images", 2, _ => StudyRunner.Open(spec, studyFolder, store, options, Log));
            StudyRunner.Run(context, options, cancel);
            ShowStatus(store, spec.Name);
            if (parse.GetValue(report))
                Cli.Done($"report: {StudyReport.Write(store, spec.Name, Path.Combine(studyFolder, "report"))}");
            Cli.Done($"study {spec.Name}: store {PostgreSqlLocation.Redact(store.Location)}");
            return Cli.ExitOk;
        })));
        return command;
    }

    static Command TrialCommand()
    {
        var file = StudyFile();
        var folder = FolderOption();
        var storeOption = StoreOption();
        var next = Cli.Option("--next", "Claim the next queued trial of the study (what each task of a Slurm job array runs).", false);
        var hash = new Option<string?>("--trial") { Description = "Run this trial (its hash, as `study export` lists them) if it is queued or failed." };
        var threads = Cli.Option("--threads", "Threads for the network (default: all cores).", Environment.ProcessorCount).AtLeast(1);
        var noCache = Cli.Option("--no-cache", "Compute every frozen layer every epoch.", false);
        var command = new Command("trial", "Train one trial of a study whose levels are run by another process (`study run --executor slurm`): " +
                                           "claims it in the shared store, trains it, records it; exit 1 when it failed.") { file, folder, storeOption, next, hash, threads, noCache };
        command.SetAction((parse, cancel) => Task.Run(() => Cli.Run(() =>
        {
            if (parse.GetValue(next) == parse.GetValue(hash) is not null)
                throw new ArgumentException("say which trial: --next (the next queued trial of the study) or --trial HASH, one of them");
            TorchRuntime.UseThreads(parse.GetValue(threads));
            var (spec, studyFolder) = Open(parse, file, folder);
            if (!File.Exists(Path.Combine(studyFolder, "split.json")))
                throw new FileNotFoundException($"no split.json in {studyFolder}: trials run from a study that `pleura study run` has opened");
            using var store = StudyRunner.OpenStore(spec, studyFolder, parse.GetValue(storeOption));
            var options = new StudyRunOptions { Cache = parse.GetValue(noCache) ? false : null, Worker = SlurmExecutor.TaskWorker() };
            void Log(string message) => AnsiConsole.MarkupLineInterpolated($"[grey]{message}[/]");
            using var context = StudyRunner.Open(spec, studyFolder, store, options, Log);
            var trial = parse.GetValue(hash) is { } one ? TrialTask.Run(context, one, cancel) : TrialTask.RunNext(context, cancel);
            if (trial is null) return Cli.ExitOk;
            if (trial.Status != TrialStatus.Done)
            {
                Cli.Error($"trial {trial.Hash} ({trial.Combination}, {trial.Side}, fold {trial.Fold}) {trial.Status}: {trial.Error}");
                return Cli.ExitInvalidData;
            }
            Cli.Done($"trial {trial.Hash} ({trial.Combination}, {trial.Side}, fold {trial.Fold}) done in {trial.Seconds:0} s");
            return Cli.ExitOk;
        })));
        return command;
    }

    static Command StatusCommand()
    {
        var file = StudyFile();
        var folder = FolderOption();
        var storeOption = StoreOption();
        var command = new Command("status", "Trials per level and state (done, running, queued, failed) and the level results so far.") { file, folder, storeOption };
        command.SetAction(parse => Cli.Run(() =>
        {
            var (spec, studyFolder) = Open(parse, file, folder);
            using var store = OpenFinished(spec, studyFolder, parse.GetValue(storeOption));
            ShowStatus(store, spec.Name);
            return Cli.ExitOk;
        }));
        return command;
    }

    static void ShowStatus(IExperimentStore store, string study)
    {
        var trials = store.Trials(study);
        // A trial marked running whose process has ended (killed, or the machine went down) is stopped: the next run resumes it.
        bool Live(TrialRecord t) => t.Status == TrialStatus.Running && !StudyRunner.WorkerIsGone(t.Worker, self: false);
        bool Stopped(TrialRecord t) => t.Status == TrialStatus.Running && !Live(t);
        var table = new Table().Title($"study {Markup.Escape(study)}").AddColumns("level", "trials", "done", "running", "stopped", "queued", "failed", "trial time (s)");
        foreach (var level in trials.GroupBy(t => t.Level).OrderBy(g => g.Key))
            table.AddRow(level.Key.ToString(), level.Count().ToString(), level.Count(t => t.Status == TrialStatus.Done).ToString(),
                level.Count(Live).ToString(), level.Count(Stopped).ToString(), level.Count(t => t.Status == TrialStatus.Queued).ToString(),
                level.Count(t => t.Status == TrialStatus.Failed).ToString(), level.Sum(t => t.Seconds).ToString("0"));
        if (trials.Any(Stopped)) Cli.Warn("stopped trials were interrupted; run the study again to resume them");
        AnsiConsole.Write(table);
        var results = store.Results(study);
        var chosen = results.FirstOrDefault(r => r.Level == ResultLevels.Selection && r.Selected);
        if (chosen is not null) AnsiConsole.MarkupLineInterpolated($"chosen: [bold]{chosen.Group}[/]");
        var final = results.Where(r => r.Level == "3" && r.Side == "mean" && r.Metric == Pleura.Evaluation.MetricTable.MacroMae).ToList();
        foreach (var r in final) AnsiConsole.MarkupLineInterpolated($"OOB {r.Comparison}: macro MAE {r.Value:0.000}");
        foreach (var r in results.Where(r => r.Level == ResultLevels.CrossValidated && r.Side == "mean" && r.Metric == Pleura.Evaluation.MetricTable.MacroMae))
            AnsiConsole.MarkupLineInterpolated($"cross-validated ({r.Count} lungs) {r.Group}{(r.Selected ? " (chosen)" : "")}, {r.Comparison}: macro MAE {r.Value:0.000} [[{r.Low:0.000}, {r.High:0.000}]]");
        foreach (var r in results.Where(r => r.Level == ResultLevels.CrossValidatedPaired && r.Metric == Pleura.Evaluation.MetricTable.MacroMae))
            AnsiConsole.MarkupLineInterpolated($"cross-validated, paired: {r.Group} minus the chosen: macro MAE {Cli.SignedInterval(r.Value, r.Low ?? double.NaN, r.High ?? double.NaN)}");
        foreach (var t in trials.Where(t => t.Status == TrialStatus.Failed)) Cli.Warn($"{t.Combination} {t.Side} fold {t.Fold}: {t.Error}");
    }

    static Command ReportCommand()
    {
        var file = StudyFile();
        var folder = FolderOption();
        var output = new Option<DirectoryInfo?>("--out", "-o") { Description = "Report folder (default: STUDY_FOLDER/report)." };
        var storeOption = StoreOption();
        var command = new Command("report", "Write the self-contained HTML report (and its figures as PNG and SVG) from the experiment store.") { file, folder, output, storeOption };
        command.SetAction(parse => Cli.Run(() =>
        {
            var (spec, studyFolder) = Open(parse, file, folder);
            using var store = OpenFinished(spec, studyFolder, parse.GetValue(storeOption));
            Cli.Done($"report: {StudyReport.Write(store, spec.Name, parse.GetValue(output)?.FullName ?? Path.Combine(studyFolder, "report"))}");
            return Cli.ExitOk;
        }));
        return command;
    }

    static Command ExportCommand()
    {
        var file = StudyFile();
        var folder = FolderOption();
        var output = Cli.RequiredOption<DirectoryInfo>("--out", "Folder for the exported tables.", "-o");
        var format = Cli.Option("--format", "csv or parquet.", "csv");
        var storeOption = StoreOption();
        var command = new Command("export", "Write every table of the experiment store (studies, trials, metrics, epochs, results, artefacts) as CSV or Parquet.") { file, folder, output, format, storeOption };
        command.SetAction(parse => Cli.Run(() =>
        {
            var formatName = parse.GetValue(format)!.ToLowerInvariant();
            if (formatName is not ("csv" or "parquet")) throw new ArgumentException($"--format must be csv or parquet, not '{formatName}'");
            var (spec, studyFolder) = Open(parse, file, folder);
            using var store = OpenFinished(spec, studyFolder, parse.GetValue(storeOption));
            foreach (var path in StoreExport.Write(store, parse.GetValue(output)!.FullName, formatName)) Cli.Done(path);
            return Cli.ExitOk;
        }));
        return command;
    }
}
