using System.CommandLine;
using Pleura.Data;
using Spectre.Console;

namespace Pleura.Cli.Commands;

internal static class SplitCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("manifest") { Description = "A Pleura manifest CSV." };
        var output = Cli.RequiredOption<FileInfo>("--out", "Where to save the split (JSON).", "-o");
        var seed = Cli.Option("--seed", "Random seed.", 42);
        var oob = Cli.Option("--oob", "Share of patients put aside as the out-of-box test set.", 0.1).Fraction();
        var folds = Cli.Option("--folds", "Number of train/validation/test (80/10/10) folds.", 5).AtLeast(2);
        var stratify = new Option<string[]>("--stratify-by")
        {
            Description = "Grade columns whose per-patient maximum stratifies the split (default: every column with 'grade' in its name).",
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("split", "Make a patient-level split: an out-of-box set, then folds of train/validation/test 80/10/10, deterministic from the seed.")
        {
            file, output, seed, oob, folds, stratify,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var outPath = parse.GetValue(output)!.FullName;
            FolderOwner.RefuseOwnedFolderOf(outPath, "split");
            var by = parse.GetValue(stratify);
            var manifest = ManifestInput.Open(parse.GetValue(file)!.FullName, by is { Length: > 0 } ? by : null);
            var plan = PatientSplitter.Split(manifest, new SplitOptions
            {
                Seed = parse.GetValue(seed),
                OutOfBoxFraction = parse.GetValue(oob),
                Folds = parse.GetValue(folds),
                StratifyBy = by is { Length: > 0 } ? by : null,
            });
            plan.Save(outPath);
            ShowSizes(plan, manifest);
            Cli.Done($"split of {plan.Patients.Count} patients saved to {outPath}");
            return Cli.ExitOk;
        }));
        return command;
    }

    static void ShowSizes(SplitPlan plan, Manifest manifest)
    {
        var strata = plan.Patients.ToDictionary(p => p.PatientId, p => p.Stratum);
        var table = new Table().AddColumns("fold", "part", "patients", "images", "patients by max grade");
        void Row(string fold, SplitPart part, IEnumerable<PatientAssignment> patients)
        {
            var list = patients.ToList();
            var byGrade = string.Join("  ", list.GroupBy(p => p.Stratum).OrderBy(g => g.Key).Select(g => $"{(g.Key < 0 ? "none" : g.Key.ToString())}:{g.Count()}"));
            table.AddRow(fold, part.ToString(), list.Count.ToString(), list.Sum(p => p.Images.Count).ToString(), byGrade);
        }
        Row("-", SplitPart.OutOfBox, plan.Patients.Where(p => p.OutOfBox));
        for (int f = 1; f <= plan.FoldCount; f++)
            foreach (var part in new[] { SplitPart.Train, SplitPart.Validation, SplitPart.Test })
                Row(f.ToString(), part, plan.Patients.Where(p => !p.OutOfBox && p.Folds[f - 1] == part));
        AnsiConsole.Write(table);
    }
}
