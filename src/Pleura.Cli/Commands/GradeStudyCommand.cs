using System.CommandLine;
using Pleura.Data;
using Pleura.DicomWeb;
using Pleura.DicomWorkflows;
using Pleura.Files;
using Spectre.Console;

namespace Pleura.Cli.Commands;

internal static class GradeStudyCommand
{
    /// <summary>The PACS password is read from here, never from the command line (which other users can see).</summary>
    public const string PasswordVariable = "PLEURA_PACS_PASSWORD";

    public static Command Create()
    {
        var pacs = Cli.RequiredOption<string>("--pacs", "DICOMweb root of the PACS, e.g. http://pacs:8042/dicom-web/.");
        var study = Cli.RequiredOption<string>("--study", "Study Instance UID to grade.");
        var run = Cli.RequiredOption<DirectoryInfo>("--run", "Run folder with left/ and right/ checkpoints.");
        var overlay = Cli.Option("--overlay", "Also store a Grad-CAM overlay per image as a Secondary Capture image.", false);
        var output = new Option<DirectoryInfo?>("--out", "-o") { Description = "Folder for a copy of the stored objects (sr/, sc/) and grade-study.json." };
        var user = new Option<string?>("--user") { Description = $"HTTP Basic user for the PACS (password from ${PasswordVariable})." };
        var timeout = Cli.Option("--timeout", "Seconds to wait for each PACS request.", 120).AtLeast(1);
        var precision = Cli.Option("--precision", "auto (bf16 where this CPU computes it natively and the run's bf16 check holds, else fp32), fp32 or bf16.", "auto");
        var lungs = Cli.Option<FileInfo?>("--lungs", "The lung U-Net (`pleura segment train`) for a run trained on a lung ROI.", null);
        var command = new Command("grade-study",
            "Grade a study on a PACS (DICOMweb): retrieve its images, grade each frontal chest radiograph, store a DICOM SR (TID 1500) per image, and with --overlay a Grad-CAM Secondary Capture, back into the same study.")
        {
            pacs, study, run, overlay, output, user, timeout, precision, lungs,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            if (!Uri.TryCreate(parse.GetValue(pacs), UriKind.Absolute, out var root) || root.Scheme is not ("http" or "https"))
                throw new ArgumentException($"--pacs: '{parse.GetValue(pacs)}' is not an http(s) URL");
            var runFolder = parse.GetValue(run)!.FullName;
            if (!Directory.Exists(runFolder)) throw new DirectoryNotFoundException($"{runFolder}: run folder not found");
            var folder = parse.GetValue(output)?.FullName;
            var options = new StudyGradingOptions
            {
                Overlay = parse.GetValue(overlay), OutputFolder = folder, BFloat16 = Cli.Precision(parse.GetValue(precision)!, runFolder),
                LungModel = parse.GetValue(lungs)?.FullName,
            };
            using var client = new DicomWebClient(root, TimeSpan.FromSeconds(parse.GetValue(timeout)), parse.GetValue(user), Environment.GetEnvironmentVariable(PasswordVariable));
            StudyGradingResult result;
            try
            {
                result = StudyGrading.GradeAsync(client, runFolder, parse.GetValue(study)!, options).GetAwaiter().GetResult();
            }
            catch (Exception e) when (e is DicomWebException or StudyNotFoundException)
            {
                Cli.Error(e.Message);
                return Cli.ExitInvalidData;
            }

            foreach (var s in result.Skipped) Cli.Warn($"not graded: {s.SopInstanceUid}: {s.Reason}");
            if (result.Graded.Count > 0)
            {
                var table = new Table().AddColumns("image (SOP Instance UID)", "right lung", "left lung", "report");
                foreach (var g in result.Graded)
                    table.AddRow(Markup.Escape(g.SopInstanceUid), $"{g.Right.Grade} ({g.Right.ExpectedGrade:0.00})", $"{g.Left.Grade} ({g.Left.ExpectedGrade:0.00})", Markup.Escape(g.ReportUid));
                AnsiConsole.Write(table);
            }
            foreach (var o in result.Stored)
                AnsiConsole.MarkupLineInterpolated($"stored {o.Kind} {o.SopInstanceUid} in series {o.SeriesUid} (for {o.SourceInstanceUid}){(o.LocalPath is null ? "" : $", copy {o.LocalPath}")}");
            if (folder is not null)
                AtomicFile.WriteAllText(Path.Combine(folder, "grade-study.json"), System.Text.Json.JsonSerializer.Serialize(result, JsonText.Indented));
            if (result.Graded.Count == 0)
            {
                Cli.Error($"no image of study {result.StudyUid} could be graded ({result.Skipped.Count} instance(s) skipped); nothing stored");
                return Cli.ExitInvalidData;
            }
            Cli.Done($"{result.Graded.Count} image(s) graded, {result.Skipped.Count} skipped; {result.Stored.Count} object(s) stored in study {result.StudyUid}");
            return Cli.ExitOk;
        }));
        return command;
    }
}
