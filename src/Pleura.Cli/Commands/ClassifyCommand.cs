using System.CommandLine;
using Pleura.Classification;
using Pleura.Data;
using Pleura.Grading;
using Pleura.Imaging;
using Pleura.Reporting;
using Spectre.Console;

namespace Pleura.Cli.Commands;

/// <summary>`pleura classify`: image-level classifiers (view, pneumonia type) with the method's splits and evaluation.</summary>
internal static class ClassifyCommand
{
    public static Command Create() => new("classify", "Image-level classification (e.g. frontal vs lateral view, pneumonia type): train with a patient-level 75/25 split " +
                                                      "and five-fold cross-validation, evaluate with ROC, AUC, Youden cut-offs and Clopper-Pearson intervals.")
    {
        TrainCommandFor(),
        PredictCommand(),
        RobustnessCommand(),
        ExplainCommand(),
        EvaluateCommandFor(),
        CompareCommand(),
    };

    static Command PredictCommand()
    {
        var run = new Argument<DirectoryInfo>("run") { Description = "A run folder of `pleura classify train`." };
        var inputs = new Argument<string[]>("images") { Description = "Image files (PNG, JPEG, TIFF, DICOM) or folders.", Arity = ArgumentArity.OneOrMore };
        var output = Cli.Option("--out", "CSV to write: image, class, one probability per class.", new FileInfo("classes.csv"), "-o");
        var precision = Cli.Option("--precision", "auto (bf16 where this CPU computes it natively and the run's bf16 check holds, else fp32), fp32 or bf16.", "auto");
        var strict = Cli.Option("--strict", "Stop at the first unreadable image.", false);
        var lungs = LungsOption();
        var command = new Command("predict", "Classify images with a run's fold models (mean probability); prints the end-to-end throughput (decode, resize, inference).")
        {
            run, inputs, output, precision, strict, lungs,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            Pleura.Data.FolderOwner.RefuseOwnedFolderOf(parse.GetValue(output)!.FullName, "classify predict");
            var files = ImagePrediction.ExpandInputs(parse.GetValue(inputs)!);
            if (files.Count == 0) throw new FileNotFoundException("no images found in the given paths");
            bool bf16 = Cli.Precision(parse.GetValue(precision)!, parse.GetValue(run)!.FullName);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var (classes, answers, failures) = ClassifierRun.Predict(parse.GetValue(run)!.FullName, files, bf16, parse.GetValue(strict) ? ErrorPolicy.Strict : ErrorPolicy.Continue,
                parse.GetValue(lungs)?.FullName);
            clock.Stop();
            foreach (var f in failures) Cli.Warn($"could not read {f.Path}: {f.Reason}");
            var path = parse.GetValue(output)!.FullName;
            if (answers.Count == 0) throw new InvalidDataException($"none of the {files.Count} image(s) could be read; {path} not written");
            ClassifierRun.WriteClassTable(path, classes, answers);
            Cli.Done($"{answers.Count} images classified in {clock.Elapsed.TotalSeconds:0.0} s ({answers.Count / clock.Elapsed.TotalSeconds:0.0} images/s end to end, " +
                     $"{(bf16 ? "bfloat16" : "float32")}); {failures.Count} unreadable; written to {path}");
            return failures.Count > 0 ? Cli.ExitInvalidData : Cli.ExitOk;
        }));
        return command;
    }

    static Command ExplainCommand()
    {
        var run = new Argument<DirectoryInfo>("run") { Description = "A run folder of `pleura classify train`." };
        var inputs = new Argument<string[]>("images") { Description = "Images or folders to explain (default: the run's held-out test images).", Arity = ArgumentArity.ZeroOrMore };
        var output = new Option<DirectoryInfo?>("--out", "-o") { Description = "Folder for the overlays and explain.csv (default: RUN/explain)." };
        var limit = Cli.Option("--limit", "At most this many images (classes taken in turn).", 40).AtLeast(1);
        var lungs = LungsOption();
        var command = new Command("explain", "Grad-CAM overlays of a classifier (the fold models' mean heatmap) with the predicted and true class: where the model looks.")
        {
            run, inputs, output, limit, lungs,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var folder = parse.GetValue(run)!.FullName;
            var files = ImagePrediction.ExpandInputs(parse.GetValue(inputs) ?? Array.Empty<string>());
            var outputFolder = parse.GetValue(output)?.FullName ?? Path.Combine(folder, "explain");
            var owner = OutputOwners.ClassifierExplanation(folder);
            owner.RefuseOtherOutput(outputFolder);
            var results = Cli.WithProgress("explaining", parse.GetValue(limit), step =>
                ClassifierExplanation.Run(folder, files, outputFolder, parse.GetValue(limit), (done, _) => step(done), parse.GetValue(lungs)?.FullName));
            owner.ClaimOutput(outputFolder);
            int known = results.Count(r => r.Truth is not null);
            Cli.Done($"{results.Count} overlays in {Path.Combine(outputFolder, "images")}" +
                     (known > 0 ? $"; {results.Count(r => r.Truth == r.Predicted)} of {known} with a known class right" : "") + $"; table {Path.Combine(outputFolder, "explain.csv")}");
            return Cli.ExitOk;
        }));
        return command;
    }

    static Command RobustnessCommand()
    {
        var run = new Argument<DirectoryInfo>("run") { Description = "A run folder of `pleura classify train`." };
        var lungs = LungsOption();
        var command = new Command("robustness", "The held-out test images as stored and rotated, flipped, marked with text, half blanked, cropped and inverted: " +
                                                "accuracy per transform (Clopper-Pearson) and McNemar's test against the originals; writes RUN/report/robustness.csv.")
        {
            run, lungs,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var folder = parse.GetValue(run)!.FullName;
            var rows = ClassifierRun.Robustness(folder, m => AnsiConsole.MarkupLineInterpolated($"[grey]{m}[/]"), parse.GetValue(lungs)?.FullName);
            var table = new Table().AddColumns("transform", "accuracy [[95% CI]]", "changed answers (right -> wrong / wrong -> right)", "McNemar p");
            foreach (var r in rows)
                table.AddRow(Markup.Escape(r.Transform), Markup.Escape($"{r.Accuracy.Value:0.000} [{r.Accuracy.Interval.Low:0.000}, {r.Accuracy.Interval.High:0.000}]"),
                    $"{r.AgainstOriginal.OnlyA} / {r.AgainstOriginal.OnlyB}", r.AgainstOriginal.P.ToString("0.0000"));
            AnsiConsole.Write(table);
            var csv = Path.Combine(folder, "report", "robustness.csv");
            Pleura.Data.CsvOutput.Write(csv, ["transform", "accuracy", "ci_low", "ci_high", "correct", "images", "right_to_wrong", "wrong_to_right", "mcnemar_p"],
                rows.Select(r => new[]
                {
                    r.Transform, Pleura.Data.CsvText.Number(r.Accuracy.Value), Pleura.Data.CsvText.Number(r.Accuracy.Interval.Low), Pleura.Data.CsvText.Number(r.Accuracy.Interval.High),
                    Pleura.Data.CsvOutput.Integer(r.Accuracy.Successes), Pleura.Data.CsvOutput.Integer(r.Accuracy.Trials),
                    Pleura.Data.CsvOutput.Integer(r.AgainstOriginal.OnlyA), Pleura.Data.CsvOutput.Integer(r.AgainstOriginal.OnlyB), Pleura.Data.CsvText.Number(r.AgainstOriginal.P),
                }));
            Cli.Done(csv);
            return Cli.ExitOk;
        }));
        return command;
    }

    static Command TrainCommandFor()
    {
        var source = new Argument<string>("source") { Description = "A folder with one subfolder per class, or a label table (CSV): path, class and optionally patient columns." };
        var output = Cli.RequiredOption<DirectoryInfo>("--out", "Run folder: split, one model per fold, evaluation and report (run again to resume).", "-o");
        var test = Cli.Option("--test", "Share of patients held out as the test part.", 0.25).Fraction();
        var folds = Cli.Option("--folds", "Cross-validation folds on the rest (one model each).", 5).AtLeast(2);
        var pretrained = new Option<FileInfo?>("--pretrained") { Description = "safetensors weights to start from (head replaced), e.g. from `pleura weights imagenet`." };
        var strict = Cli.Option("--strict", "Stop at the first unreadable image.", false);
        var roi = Cli.Option("--roi", "What the classifier sees: none (the whole image) or lung (both lungs found by the --lungs U-Net, the rest zeroed, cropped to them).", "none");
        roi.AcceptOnlyFromAmong("none", "lung");
        var lungs = Cli.Option<FileInfo?>("--lungs", "The lung U-Net (`pleura segment train` with left_lung and right_lung) that finds each image's lungs for --roi lung.", null);
        var labels = new PretrainCommand.LabelOptions();
        var training = new TrainCommand.TrainingOptions();
        var command = new Command("train", "Train one classifier per fold and evaluate them on the held-out test part: per class ROC and AUC with a DeLong interval, " +
                                           "the Youden cut-off chosen on the out-of-fold probabilities and its sensitivity and specificity on test (Clopper-Pearson), " +
                                           "the confusion matrix; writes evaluation/ and report/report.html.")
        {
            source, output, test, folds, pretrained, strict, roi, lungs,
        };
        foreach (var o in training.All.Concat(labels.All)) command.Options.Add(o);
        command.SetAction((parse, cancel) => Task.Run(() => Cli.Run(() =>
        {
            var job = new ClassifierJob
            {
                Input = labels.Input(parse, parse.GetValue(source)!, parse.GetValue(strict)),
                RunFolder = parse.GetValue(output)!.FullName,
                TestFraction = parse.GetValue(test),
                Folds = parse.GetValue(folds),
                Training = training.Read(parse),
                Pretrained = parse.GetValue(pretrained)?.FullName,
                Roi = ParseRoi(parse.GetValue(roi)!),
                LungModel = parse.GetValue(lungs)?.FullName,
            };
            var lines = new Dictionary<int, Action<Pleura.Training.TrainingProgress>>();
            var outcome = Pleura.Data.NewOutputFolder.Run(job.RunFolder, () => ClassifierRun.Run(job, m => AnsiConsole.MarkupLineInterpolated($"[grey]{m}[/]"),
                (fold, p) => (lines.TryGetValue(fold, out var line) ? line : lines[fold] = Cli.EpochLines($"fold {fold}: "))(p), cancel));
            foreach (var f in outcome.Failures) Cli.Warn($"unreadable, left out: {f.Path}: {f.Reason}");
            Show(outcome);
            var report = ClassifierReport.Write(Path.Combine(job.RunFolder, "report"), $"Classifier: {string.Join(" / ", outcome.Classes)}", outcome.Evaluation, outcome.Test);
            outcome.WriteTestPredictions(Path.Combine(job.RunFolder, "report", "test_predictions.csv"));
            outcome.WriteValidationPredictions(Path.Combine(job.RunFolder, "report", ClassifierRun.ValidationPredictionsFile));
            Cli.Done($"{outcome.Checkpoints.Count} fold models in {job.RunFolder}; report: {report}");
            return Cli.ExitOk;
        })));
        return command;
    }

    static Command EvaluateCommandFor()
    {
        var run = new Argument<DirectoryInfo>("run") { Description = "A run folder of `pleura classify train`." };
        var source = new Argument<string>("source") { Description = "Another labelled set: a folder with one subfolder per class, or a label table (CSV)." };
        var output = new Option<DirectoryInfo?>("--out", "-o") { Description = "Folder for the evaluation and its report (default: RUN/external/NAME)." };
        var strict = Cli.Option("--strict", "Stop at the first unreadable image.", false);
        var lungs = LungsOption();
        var labels = new PretrainCommand.LabelOptions();
        var command = new Command("evaluate", "External validation: the fold models on another labelled set, with the Youden cut-offs the run chose on its own " +
                                              "out-of-fold probabilities: per class ROC and AUC (DeLong), sensitivity and specificity (Clopper-Pearson), confusion, report.")
        {
            run, source, output, strict, lungs,
        };
        foreach (var o in labels.All) command.Options.Add(o);
        command.SetAction((parse, cancel) => Task.Run(() => Cli.Run(() =>
        {
            var folder = parse.GetValue(run)!.FullName;
            var input = labels.Input(parse, parse.GetValue(source)!, parse.GetValue(strict));
            var name = Path.GetFileNameWithoutExtension(Path.TrimEndingDirectorySeparator(input.Source));
            var outputFolder = parse.GetValue(output)?.FullName ?? Path.Combine(folder, "external", Pleura.Reporting.ClassifierResultFiles.FileSafe(name));
            var owner = OutputOwners.ClassifierEvaluation(folder, input.Source);
            owner.RefuseOtherOutput(outputFolder);
            var (evaluation, scores, images, failures) = ClassifierRun.Evaluate(folder, input, outputFolder, m => AnsiConsole.MarkupLineInterpolated($"[grey]{m}[/]"),
                parse.GetValue(lungs)?.FullName, cancel);
            foreach (var f in failures) Cli.Warn($"unreadable, left out: {f.Path}: {f.Reason}");
            Show(evaluation, $"{input.Source}: {evaluation.Count} images (cut-offs from the run's out-of-fold probabilities)");
            owner.ClaimOutput(outputFolder);
            var report = ClassifierReport.Write(outputFolder, $"External validation on {name}: {string.Join(" / ", evaluation.Classes)}", evaluation, scores);
            ClassifierRun.WriteScores(Path.Combine(outputFolder, "predictions.csv"), evaluation.Classes.ToList(), images, scores);
            Cli.Done($"report: {report}");
            return failures.Count > 0 ? Cli.ExitInvalidData : Cli.ExitOk;
        })));
        return command;
    }

    static Command CompareCommand()
    {
        var first = new Argument<DirectoryInfo>("run-a") { Description = "The reference run (`pleura classify train`)." };
        var second = new Argument<DirectoryInfo>("run-b") { Description = "The run compared with it, trained on the same source and split." };
        var output = Cli.RequiredOption<DirectoryInfo>("--out", "Folder for comparison.csv and the HTML report (B's figures with the paired tests).", "-o");
        var command = new Command("compare", "Two classifier runs on the same held-out test images, paired: per class DeLong's test of the AUC difference (B - A), " +
                                             "McNemar's exact test of accuracy; an HTML report.")
        {
            first, second, output,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            string a = parse.GetValue(first)!.FullName, b = parse.GetValue(second)!.FullName;
            var owner = OutputOwners.ClassifierComparison(a, b);
            owner.RefuseOtherOutput(parse.GetValue(output)!.FullName);
            var (comparison, evaluation, test) = ClassifierRun.Compare(a, b);
            string nameA = Path.GetFileName(a), nameB = Path.GetFileName(b);
            var table = new Table().Title(Markup.Escape($"{nameB} - {nameA} on {test.Count} test images")).AddColumns("class", $"AUC {Markup.Escape(nameA)}", $"AUC {Markup.Escape(nameB)}", "difference [[95% CI]]", "DeLong p");
            for (int c = 0; c < comparison.Classes.Count; c++)
            {
                var d = comparison.AucPerClass[c];
                table.AddRow(Markup.Escape(comparison.Classes[c]), d.AucA.ToString("0.000"), d.AucB.ToString("0.000"),
                    Markup.Escape(Cli.SignedInterval(d.Difference, d.Interval.Low, d.Interval.High)), d.P.ToString("0.0000"));
            }
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLineInterpolated($"accuracy {nameA} {comparison.AccuracyA.Value:0.000}, {nameB} {comparison.AccuracyB.Value:0.000}; McNemar exact p {comparison.Accuracy.P:0.0000}");
            owner.ClaimOutput(parse.GetValue(output)!.FullName);
            var report = ClassifierReport.Write(parse.GetValue(output)!.FullName, $"{nameB} against {nameA}", evaluation, test,
                compared: new Pleura.Reporting.ComparedModel(nameA, nameB, comparison));
            Cli.Done($"report: {report}");
            return Cli.ExitOk;
        }));
        return command;
    }

    static Option<FileInfo?> LungsOption() => Cli.Option<FileInfo?>("--lungs", "The lung U-Net (`pleura segment train`) for a run trained on segmented lungs (default: the one it was trained with).", null);

    /// <summary>An image-level classifier sees the whole image or both lungs (the option accepts only those); the grading's one-side 'spine' cut does not apply.</summary>
    static Pleura.Imaging.Roi.RoiScheme ParseRoi(string text) => Pleura.Imaging.Roi.RoiSchemes.Parse(text);

    static void Show(ClassifierOutcome outcome) =>
        Show(outcome.Evaluation, $"test part: {outcome.Evaluation.Count} images (cut-offs chosen on {outcome.Validation.Count} out-of-fold images)");

    static void Show(Pleura.Evaluation.ClassifierEvaluation e, string title)
    {
        static string P(Pleura.Evaluation.Proportion p) => Markup.Escape($"{p.Value:0.000} [{p.Interval.Low:0.000}, {p.Interval.High:0.000}]");
        var table = new Table().Title(Markup.Escape(title))
            .AddColumns("class", "AUC [[95% CI]]", "cut-off", "sensitivity [[95% CI]]", "specificity [[95% CI]]");
        foreach (var c in e.PerClass)
            table.AddRow(Markup.Escape(c.Class), Markup.Escape($"{c.Auc.Auc:0.000} [{c.Auc.Interval.Low:0.000}, {c.Auc.Interval.High:0.000}]"),
                c.ValidationCutoff.Threshold.ToString("0.000"), P(c.Sensitivity), P(c.Specificity));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"accuracy {P(e.Accuracy)}, macro AUC {e.MacroAuc:0.000}");
    }
}
