using System.CommandLine;
using Pleura.Pipeline;
using Spectre.Console;

namespace Pleura.Cli.Commands;

internal static class IngestCommand
{
    public static Command Create()
    {
        var folder = new Argument<DirectoryInfo>("dicom-folder") { Description = "A DICOM export: a folder tree of files with any names (DICOMDIR is ignored)." };
        var output = Cli.RequiredOption<DirectoryInfo>("--out", "Output folder: images/, manifest.csv, flow.csv, unreadable.csv.", "-o");
        var images = Cli.Option("--images-subfolder", "Subfolder of the output folder for the 16-bit PNGs.", "images");
        var strict = Cli.Option("--strict", "Stop with exit 1 (manifest not written) when any file is unreadable.", false);
        var command = new Command("ingest", "A DICOM export to 16-bit PNGs and a Pleura manifest, applying and counting METHOD section 2's exclusion rules (flow report); run again to add only new files.")
        {
            folder, output, images, strict,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var source = parse.GetValue(folder)!.FullName;
            var outFolder = parse.GetValue(output)!.FullName;
            int files = DicomIngest.Files(source).Count;
            var result = Cli.WithProgress("ingest", 2 * Math.Max(files, 1), progress =>
                DicomIngest.Run(source, outFolder, parse.GetValue(images)!, parse.GetValue(strict), (done, _) => progress(done)));
            var table = new Table().AddColumns("step", "files", "rule");
            foreach (var step in result.Flow)
                table.AddRow(Markup.Escape(step.Key), step.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(step.Description));
            AnsiConsole.Write(table);
            foreach (var u in result.Unreadable.Take(20)) Cli.Warn($"unreadable: {u.Path}: {u.Reason}");
            if (result.Unreadable.Count > 20) Cli.Warn($"... and {result.Unreadable.Count - 20} more in {Path.Combine(outFolder, DicomIngest.UnreadableFile)}");
            if (result.Manifest.Rows.Count == 0)
                Cli.Warn(files == 0 ? $"{source} holds no files" : $"no image of the {files} file(s) passed the rules (see the table)");
            Cli.Done($"{result.Manifest.Rows.Count} images ({result.Rendered} rendered, {result.Reused} already there) in {result.ManifestPath}; " +
                     $"flow: {Path.Combine(outFolder, DicomIngest.FlowFile)}");
            return Cli.ExitOk;
        }));
        return command;
    }
}
