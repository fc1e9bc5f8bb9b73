using System.CommandLine;
using Pleura.Data;
using Pleura.Files;
using Spectre.Console;

namespace Pleura.Cli.Commands;

internal static class ManifestCommand
{
    public static Command Create() => new("manifest", "Import a label table as a Pleura manifest and validate manifests.")
    {
        ImportCommand(),
        ValidateCommand(),
        BrixiaCommand(),
    };

    static Command BrixiaCommand()
    {
        var annotations = new Argument<FileInfo>("annotations") { Description = "BrixIA annotations CSV (filename, patientid, S_A..S_F, J_A..J_F)." };
        var metadata = Cli.RequiredOption<FileInfo>("--metadata", "COVID-19 image collection metadata.csv (sex, age, finding, view, outcomes).");
        var images = Cli.RequiredOption<DirectoryInfo>("--images", "Folder with the images named in the annotations.");
        var output = Cli.RequiredOption<FileInfo>("--out", "Manifest to write.", "-o");
        var replace = ReplaceOption();
        var masks = new Option<DirectoryInfo?>("--lung-masks") { Description = "Folder of both-lung masks named by the image's base name (.png): written to a lung_mask column for the lung and spine ROIs and HCS." };
        var command = new Command("brixia", "Manifest from BrixIA zone scores: per-lung grade = zones scored above 0 (reader 1 = senior, reader 2 = junior).")
        {
            annotations, metadata, images, output, masks, replace,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            FolderOwner.RefuseOwnedFolderOf(parse.GetValue(output)!.FullName, "manifest brixia");
            var report = new ValidationReport();
            var manifest = BrixiaImport.Build(parse.GetValue(annotations)!.FullName, parse.GetValue(metadata)!.FullName, parse.GetValue(images)!.FullName, report,
                parse.GetValue(masks)?.FullName);
            ManifestValidator.Validate(manifest, report);
            var outPath = parse.GetValue(output)!.FullName;
            if (Refused(report, manifest, outPath, parse.GetValue(replace))) return Cli.ExitInvalidData;
            Show(report, manifest.Rows.Count, Path.ChangeExtension(outPath, ".validation.csv"));
            AtomicFile.Write(outPath, temp => ManifestCsv.Write(manifest, temp));
            AtomicFile.Write(Path.ChangeExtension(outPath, ".validation.csv"), report.WriteCsv);
            Cli.Done($"{manifest.Rows.Count} images of {manifest.Rows.Select(r => r.PatientId).Distinct().Count()} patients written to {outPath}");
            return report.IsValid ? Cli.ExitOk : Cli.ExitInvalidData;
        }));
        return command;
    }

    static Command ImportCommand()
    {
        var table = new Argument<FileInfo>("table") { Description = "Your CSV: one row per image." };
        var map = new Option<string[]>("--map", "-m")
        {
            Description = "Column mapping ours=theirs, repeatable (e.g. --map patient_id=PatientID --map left_grade=LeftScore).",
            AllowMultipleArgumentsPerToken = true,
        };
        var imageRoot = new Option<DirectoryInfo?>("--image-root") { Description = "Folder relative image paths start from (default: the table's folder)." };
        var output = Cli.RequiredOption<FileInfo>("--out", "Where to write the manifest CSV.", "-o");
        var strict = Cli.Option("--strict", "Write nothing if any error is found.", false);
        var replace = ReplaceOption();
        var command = new Command("import", "Read a CSV with a column mapping, validate it, and write a Pleura manifest plus a validation report.")
        {
            table, map, imageRoot, output, strict, replace,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            FolderOwner.RefuseOwnedFolderOf(parse.GetValue(output)!.FullName, "manifest import");
            var report = new ValidationReport();
            var mapping = ColumnMapping.Parse(parse.GetValue(map) ?? Array.Empty<string>());
            var manifest = ManifestCsv.Read(parse.GetValue(table)!.FullName, report, mapping, parse.GetValue(imageRoot)?.FullName);
            ManifestValidator.Validate(manifest, report);
            var outPath = parse.GetValue(output)!.FullName;
            Show(report, manifest.Rows.Count, parse.GetValue(strict) && !report.IsValid ? null : Path.ChangeExtension(outPath, ".validation.csv"));
            if (parse.GetValue(strict) && !report.IsValid)
            {
                Cli.Error($"{report.ErrorCount} error(s); nothing written (--strict)");
                return Cli.ExitInvalidData;
            }
            if (Refused(report, manifest, outPath, parse.GetValue(replace))) return Cli.ExitInvalidData;
            // Written image paths are absolute so the manifest works from wherever it is saved.
            var portable = new Manifest(manifest.Rows.Select(r => r with { Path = manifest.ResolvePath(r) }).ToList(), manifest.ExtraColumns, manifest.BaseDirectory);
            AtomicFile.Write(outPath, temp => ManifestCsv.Write(portable, temp));
            var reportPath = Path.ChangeExtension(outPath, ".validation.csv");
            AtomicFile.Write(reportPath, report.WriteCsv);
            Cli.Done($"manifest with {manifest.Rows.Count} images written to {outPath}; report: {reportPath}");
            return report.IsValid ? Cli.ExitOk : Cli.ExitInvalidData;
        }));
        return command;
    }

    static Option<bool> ReplaceOption() =>
        Cli.Option("--replace", "Replace an existing manifest at --out even when the import found errors (the rows that passed are written).", false);

    /// <summary>
    /// Whether an import must write nothing: every row has an error, or some have and a manifest is already at the
    /// output (an earlier, good import is never replaced by a partial one unless --replace says so). The reason is printed.
    /// </summary>
    static bool Refused(ValidationReport report, Manifest manifest, string outPath, bool replace)
    {
        var failedLines = report.Issues.Where(i => i.Severity == IssueSeverity.Error).Select(i => i.Line).ToHashSet();
        // An error of the whole table (line 0 or 1: a mapping, the header) fails every row.
        bool tableFailed = failedLines.Any(l => l <= 1);
        int rows = manifest.Rows.Count, passed = tableFailed ? 0 : manifest.Rows.Count(r => !failedLines.Contains(r.SourceLine));
        string? reason = passed == 0 ? $"no row could be imported ({report.ErrorCount} error(s)); nothing written"
            : !report.IsValid && File.Exists(outPath) && !replace
                ? $"{report.ErrorCount} error(s): {outPath} already holds a manifest and is kept; fix the errors, write to a new --out, or pass --replace"
                : null;
        if (reason is null) return false;
        Show(report, rows);
        Cli.Error(reason);
        return true;
    }

    static Command ValidateCommand()
    {
        var file = new Argument<FileInfo>("manifest") { Description = "A Pleura manifest CSV." };
        var noFiles = Cli.Option("--skip-file-check", "Do not look for the image files.", false);
        var reportFile = new Option<FileInfo?>("--report") { Description = "Also write every problem to this CSV (line, image, kind, severity, message)." };
        var command = new Command("validate", "List every problem of a manifest with its line: missing files, bad grades, duplicates, missing patients, conflicting labels.")
        {
            file, noFiles, reportFile,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var report = new ValidationReport();
            var manifest = ManifestCsv.Read(parse.GetValue(file)!.FullName, report);
            ManifestValidator.Validate(manifest, report, checkFiles: !parse.GetValue(noFiles));
            var target = parse.GetValue(reportFile)?.FullName;
            if (target is not null) AtomicFile.Write(target, report.WriteCsv);
            Show(report, manifest.Rows.Count, target);
            return report.IsValid ? Cli.ExitOk : Cli.ExitInvalidData;
        }));
        return command;
    }

    internal static void Show(ValidationReport report, int rows, string? reportFile = null)
    {
        if (report.Issues.Count == 0)
        {
            Cli.Done($"{rows} rows, no problems found");
            return;
        }
        var table = new Table().AddColumns("line", "image", "severity", "problem");
        foreach (var issue in report.Issues.OrderBy(i => i.Line).Take(200))
            table.AddRow(issue.Line.ToString(), Markup.Escape(issue.ImageId),
                issue.Severity == IssueSeverity.Error ? "[red]error[/]" : "[yellow]warning[/]", Markup.Escape(issue.Message));
        AnsiConsole.Write(table);
        if (report.Issues.Count > 200)
            AnsiConsole.MarkupLineInterpolated($"... and {report.Issues.Count - 200} more ({(reportFile is null ? "write them all with --report FILE" : "all of them are in " + reportFile)})");
        AnsiConsole.MarkupLine($"{rows} rows: [red]{report.ErrorCount} error(s)[/], [yellow]{report.WarningCount} warning(s)[/]");
    }
}
