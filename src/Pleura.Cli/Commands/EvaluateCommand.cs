using System.CommandLine;
using Pleura.Data;
using Pleura.Grading;
using Spectre.Console;

namespace Pleura.Cli.Commands;

internal static class EvaluateCommand
{
    public static Command Create()
    {
        var set = new RunSetSymbols("test");
        var precision = Cli.Option("--precision", "fp32 (the default, so that figures reproduce), bf16, or auto (bf16 where native and the run's bf16 check holds).", "fp32");
        var bootstrap = Cli.Option("--bootstrap", "Bootstrap resamples for the 95% intervals.", 1000).AtLeast(0);
        var output = new Option<DirectoryInfo?>("--out", "-o") { Description = "Output folder (default: RUN/evaluation/PART-foldK)." };
        var hcs = Cli.Option("--hcs", "Also compute HCS and MA-HCS from Grad-CAM heatmaps where the manifest has lung masks.", true);
        var allowSeen = Cli.Option("--allow-seen",
            "Score test or OOB images even if the model was trained or validated on some of them (refused otherwise); the overlap is reported.", false);
        var allowIncomplete = Cli.AllowIncompleteOption();
        var command = new Command("evaluate", "Score a run's checkpoints on a split part or the OOB set: every METHOD section 7 metric per side and averaged over sides.")
        {
            precision, bootstrap, output, hcs, allowSeen, allowIncomplete,
        };
        set.AddTo(command);
        command.SetAction(parse => Cli.Run(() =>
        {
            var (runFolder, manifest, split, which, fold) = set.Read(parse);
            var folder = parse.GetValue(output)?.FullName ?? RunSetSymbols.DefaultFolder(runFolder, "evaluation", which, fold);
            var owner = OutputOwners.Evaluation(runFolder, which, fold);
            owner.RefuseOtherOutput(folder);
            bool bf16 = Cli.Precision(parse.GetValue(precision)!, runFolder);
            var (results, predictions, failures) = CheckpointEvaluation.Evaluate(runFolder, manifest, split, which, fold, bf16, parse.GetValue(bootstrap),
                log: Cli.Warn, heatmaps: parse.GetValue(hcs), allowSeen: parse.GetValue(allowSeen), allowIncomplete: parse.GetValue(allowIncomplete));
            foreach (var f in failures) Cli.Warn($"unreadable, left out: {f.Path}: {f.Reason}");
            Show(results, $"{which} part, fold {fold}{(bf16 ? ", bfloat16" : "")}");
            owner.ClaimOutput(folder);
            CheckpointEvaluation.Write(folder, results, predictions);
            Cli.Done($"metrics.json, metrics.csv and predictions.csv in {folder}");
            return Cli.ExitOk;
        }));
        return command;
    }

    internal static SplitPart ParsePart(string text) => text.ToLowerInvariant() switch
    {
        "test" => SplitPart.Test,
        "validation" or "val" => SplitPart.Validation,
        "train" => SplitPart.Train,
        "oob" or "out-of-box" => SplitPart.OutOfBox,
        _ => throw new ArgumentException($"--part must be test, validation, train or oob, not '{text}'"),
    };

    internal static void Show(IReadOnlyList<SideEvaluation> results, string title)
    {
        string[] headline = { Pleura.Evaluation.MetricTable.MacroMae, "mae", "accuracy", Pleura.Evaluation.MetricTable.F1Weighted, Pleura.Evaluation.MetricTable.QuadraticKappa, "r2", "clear_vs_any_f1_weighted", "roc_auc_ovr_macro", "hcs_mean", "ma_hcs" };
        var table = new Table().Title(title).AddColumn("metric");
        foreach (var r in results) table.AddColumn(Markup.Escape($"{r.Side} (n={r.Count})"));
        foreach (var name in headline)
            table.AddRow(new[] { name }.Concat(results.Select(r =>
            {
                var m = r.Metrics.FirstOrDefault(x => x.Name == name);
                if (m is null || double.IsNaN(m.Value)) return "n/a";
                return double.IsNaN(m.Low) ? m.Value.ToString("0.000") : Markup.Escape($"{m.Value:0.000} [{m.Low:0.000}, {m.High:0.000}]");
            })).ToArray());
        AnsiConsole.Write(table);
    }
}
