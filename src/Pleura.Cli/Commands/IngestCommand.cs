using System.CommandLine;
using System.Globalization;
using Pleura.DicomWorkflows;
using Spectre.Console;

namespace Pleura.Cli.Commands;

internal static class IngestCommand
{
    public static Command Create()
    {
        var folder = new Argument<DirectoryInfo>("dicom-folder") { Description = "A DICOM export: a folder tree of files with any names (DICOMDIR is ignored)." };
        var output = Cli.RequiredOption<DirectoryInfo>("--out", "Output folder: images/, manifest.csv, flow.csv, flow.html, unreadable.csv.", "-o");
        var images = Cli.Option("--images-subfolder", "Subfolder of the output folder for the 16-bit PNGs.", "images");
        var strict = Cli.Option("--strict", "Stop with exit 1 (manifest not written) when any file is unreadable.", false);
        var key = new Option<FileInfo?>("--key") { Description = "Pseudonym key file to use (must exist; 64 hex digits)." };
        var keyOut = new Option<FileInfo?>("--key-out") { Description = "Where to keep the pseudonym key: read when it exists, else created (default: OUT.key beside the output folder, never inside it)." };
        var keep = Cli.Option("--keep-identifiers", "Write the real patient ids, accessions, UIDs and source paths instead of keyed pseudonyms.", false);
        var negatives = new Option<FileInfo?>("--negatives") { Description = "A negatives model (`pleura ingest train-negatives`): images it calls inverted are flipped back and counted." };
        var near = Cli.Option("--near-identical", "Images of one accession whose 64x64 renderings correlate at least this much are duplicates (the first is kept).", DicomIngest.DefaultNearIdentical);
        var excludeLossy = Cli.Option("--exclude-lossy", "Leave out lossy-compressed images (kept by default, marked lossy_compression = yes in the manifest and counted in the flow).", false);
        var command = new Command("ingest", "A DICOM export to 16-bit PNGs and a Pleura manifest, applying and counting METHOD section 2's exclusion rules (flow report); identifiers pseudonymised; run again to add only new files.")
        {
            folder, output, images, strict, key, keyOut, keep, negatives, near, excludeLossy, TrainNegatives(),
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            if (parse.GetValue(keep) && (parse.GetValue(key) is not null || parse.GetValue(keyOut) is not null))
                throw new ArgumentException("--keep-identifiers writes no pseudonyms: drop --key / --key-out");
            var source = parse.GetValue(folder)!.FullName;
            var outFolder = parse.GetValue(output)!.FullName;
            var options = new IngestOptions
            {
                ImagesSubfolder = parse.GetValue(images)!, Strict = parse.GetValue(strict), KeepIdentifiers = parse.GetValue(keep),
                KeyFile = parse.GetValue(key)?.FullName, KeyOut = parse.GetValue(keyOut)?.FullName, NegativesModel = parse.GetValue(negatives)?.FullName,
                NearIdenticalThreshold = parse.GetValue(near),
                ExcludeLossy = parse.GetValue(excludeLossy),
            };
            int files = DicomIngest.Files(source).Count;
            var result = Cli.WithProgress("ingest", 2 * Math.Max(files, 1), progress =>
                DicomIngest.Run(source, outFolder, options, (done, _) => progress(done)));
            var table = new Table().AddColumns("step", "files", "rule");
            foreach (var step in result.Flow)
                table.AddRow(Markup.Escape(step.Key), step.Count.ToString(CultureInfo.InvariantCulture), Markup.Escape(step.Description));
            foreach (var step in result.Corrections)
                table.AddRow(Markup.Escape(step.Key), step.Count.ToString(CultureInfo.InvariantCulture), Markup.Escape("(corrected, kept) " + step.Description));
            AnsiConsole.Write(table);
            foreach (var u in result.Unreadable.Take(20)) Cli.Warn($"unreadable: {u.Path}: {u.Reason}");
            if (result.Unreadable.Count > 20) Cli.Warn($"... and {result.Unreadable.Count - 20} more in {Path.Combine(outFolder, DicomIngest.UnreadableFile)}");
            if (result.Manifest.Rows.Count == result.EarlierRows)
                Cli.Warn($"no image of the {files} file(s) passed the rules (see the table)");
            if (result.KeyPath is { } keyPath)
                Cli.Done(result.KeyCreated ? $"pseudonym key created at {keyPath}: keep it secret and apart; use it again (--key) to link later exports"
                                           : $"pseudonyms made with the key {keyPath}");
            Cli.Done($"{result.Manifest.Rows.Count} images ({result.Rendered} rendered, {result.Reused} already there" +
                     (result.EarlierRows > 0 ? $", {result.EarlierRows} from earlier batches" : "") + $") in {result.ManifestPath}; " +
                     $"flow: {Path.Combine(outFolder, DicomIngest.FlowFile)}, {Path.Combine(outFolder, DicomIngest.FlowHtmlFile)}");
            return Cli.ExitOk;
        }));
        return command;
    }

    /// <summary>`pleura ingest train-negatives`: the small CNN that finds negative images whose attributes say nothing.</summary>
    static Command TrainNegatives()
    {
        var output = Cli.RequiredOption<FileInfo>("--out", "Checkpoint to write (.safetensors, with a .json sidecar holding the held-out accuracy).", "-o");
        var phantoms = Cli.Option("--phantoms", "Phantom radiographs to train on, each inverted or not at random.", 400).AtLeast(20);
        var heldOut = Cli.Option("--held-out", "Phantoms (another seed) on which the accuracy is measured.", 200).AtLeast(10);
        var imagesFolder = new Option<DirectoryInfo?>("--images") { Description = "A folder of real radiographs (as displayed) added to the training set, each inverted at random; a quarter is held out and measured." };
        var size = Cli.Option("--size", "Input side in pixels.", 64).AtLeast(32);
        var epochs = Cli.Option("--epochs", "Training epochs.", 8).AtLeast(1);
        var seed = Cli.Option("--seed", "Seed of the images, the inversions and the training.", 1);
        var arch = Cli.Option("--arch", "Architecture (a small one: the input is 64x64).", "resnet10-w16");
        var command = new Command("train-negatives", "Train the negatives model (inverted or upright) on phantoms and optionally real images inverted at random; reports the held-out accuracy with a 95% Clopper-Pearson interval.")
        {
            output, phantoms, heldOut, imagesFolder, size, epochs, seed, arch,
        };
        command.SetAction((parse, cancel) => Task.Run(() => Cli.Run(() =>
        {
            Pleura.Data.FolderOwner.RefuseOwnedFolderOf(parse.GetValue(output)!.FullName, "ingest train-negatives");
            var job = new NegativeTrainJob
            {
                Output = parse.GetValue(output)!.FullName, Phantoms = parse.GetValue(phantoms), HeldOut = parse.GetValue(heldOut),
                Images = parse.GetValue(imagesFolder)?.FullName, Size = parse.GetValue(size), Epochs = parse.GetValue(epochs),
                Seed = parse.GetValue(seed), Architecture = parse.GetValue(arch)!,
            };
            var outcome = NegativeDetector.Train(job, line => AnsiConsole.MarkupLineInterpolated($"[grey]{line}[/]"), Cli.EpochLines(), cancel);
            Cli.Done($"{outcome.CheckpointPath}, trained on {outcome.TrainImages} images; held-out accuracy, {outcome.Phantoms}" +
                     (outcome.Images is { } real ? $"; {real}" : ""));
            return Cli.ExitOk;
        }), cancel));
        return command;
    }
}
