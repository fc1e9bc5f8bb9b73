using System.CommandLine;
using Pleura.Data;
using Pleura.Files;
using Pleura.Grading;
using Pleura.Imaging;
using Spectre.Console;

namespace Pleura.Cli.Commands;

internal static class PredictCommand
{
    public static Command Create()
    {
        var run = new Argument<DirectoryInfo>("run") { Description = "Run folder with left/ and right/ checkpoints." };
        var inputs = new Argument<string[]>("images") { Description = "Image files or folders.", Arity = ArgumentArity.OneOrMore };
        var output = Cli.Option("--out", "CSV to write (a .json twin is written too).", new FileInfo("predictions.csv"), "-o");
        var precision = Cli.Option("--precision", "auto (bf16 where this CPU computes it natively and the run's bf16 check holds, else fp32), fp32 or bf16.", "auto");
        var strict = Cli.Option("--strict", "Stop at the first unreadable image.", false);
        var lungs = Cli.Option<FileInfo?>("--lungs", "The lung U-Net (`pleura segment train`) that finds each image's lungs for a run trained on a lung ROI.", null);
        var allowIncomplete = Cli.AllowIncompleteOption();
        var command = new Command("predict", "Grade images: per image and lung, the grade, the class probabilities and the expected grade.")
        {
            run, inputs, output, precision, strict, lungs, allowIncomplete,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            FolderOwner.RefuseOwnedFolderOf(parse.GetValue(output)!.FullName, "predict");
            var files = ImagePrediction.ExpandInputs(parse.GetValue(inputs)!);
            if (files.Count == 0) throw new FileNotFoundException("no images found in the given paths");
            var (predictions, failures, unfinished) = ImagePrediction.Predict(parse.GetValue(run)!.FullName, files,
                Cli.Precision(parse.GetValue(precision)!, parse.GetValue(run)!.FullName), parse.GetValue(strict) ? ErrorPolicy.Strict : ErrorPolicy.Continue,
                parse.GetValue(lungs)?.FullName, parse.GetValue(allowIncomplete));
            var note = unfinished.Count > 0 ? RunRecord.IncompleteNote(unfinished) : null;
            if (note is not null) Cli.Warn($"{parse.GetValue(run)!.FullName}: {note}");
            foreach (var f in failures) Cli.Warn($"could not read {f.Path}: {f.Reason}");
            var path = parse.GetValue(output)!.FullName;
            // Nothing graded: an earlier predictions file stays as it was.
            if (predictions.Count == 0) throw new InvalidDataException($"none of the {files.Count} image(s) could be read; {path} not written");
            AtomicFile.Write(path, temp => CheckpointEvaluation.WritePredictions(temp, predictions, unfinished));
            AtomicFile.WriteAllText(Path.ChangeExtension(path, ".json"), System.Text.Json.JsonSerializer.Serialize(
                new { predictions = predictions.Select(p => new { image = p.ImageId, side = p.Side, grade = p.Predicted, probabilities = p.Probabilities, expected_grade = p.ExpectedGrade }),
                      unreadable = failures.Select(f => new { path = f.Path, reason = f.Reason }),
                      unfinished_sides = unfinished, note },
                JsonText.Indented));
            var table = new Table().AddColumns("image", "side", "grade", "expected");
            foreach (var p in predictions.Take(20)) table.AddRow(Markup.Escape(Path.GetFileName(p.ImageId)), p.Side, p.Predicted.ToString(), p.ExpectedGrade.ToString("0.00"));
            AnsiConsole.Write(table);
            Cli.Done($"{predictions.Count / Math.Max(1, predictions.Select(p => p.Side).Distinct().Count())} images graded; {failures.Count} unreadable; written to {path}");
            return failures.Count > 0 ? Cli.ExitInvalidData : Cli.ExitOk;
        }));
        return command;
    }
}
